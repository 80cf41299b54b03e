"""Errors of dataset versions: one line naming the file, version or registry entry."""

from __future__ import annotations

from featureops.exceptions import FeatureopsError


class DatasetError(FeatureopsError):
    """A training-set file, a dataset version or a registry entry is missing or malformed."""
