"""Errors of model bundles: one line naming the bundle, spec or feature."""

from __future__ import annotations

from featureops.exceptions import FeatureopsError


class BundleError(FeatureopsError):
    """A bundle, its spec, or the data it is applied to does not fit."""
