"""Errors of the offline side: training sets and leakage checks."""

from __future__ import annotations

from featureops.exceptions import FeatureopsError


class TrainingSetError(FeatureopsError):
    """A training-set request cannot be served (spine, references, options, warehouse)."""


class MacroRenderError(FeatureopsError):
    """A featureops dbt macro refused its input (raise_compiler_error) or is missing."""
