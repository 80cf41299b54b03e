"""The error of `featureops init`."""

from featureops.exceptions import FeatureopsError


class InitError(FeatureopsError):
    """The folder cannot be initialised (not empty, not a dbt project, unreadable YAML)."""
