"""Errors of request-time views."""

from featureops.exceptions import FeatureopsError


class RequestTimeError(FeatureopsError):
    """A request-time view cannot run in process (its SQL, manifest or lookups)."""


class RequestFieldError(FeatureopsError):
    """A request field is missing, mistyped or unexpected (the caller's mistake)."""
