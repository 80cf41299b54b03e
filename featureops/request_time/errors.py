"""Errors of request-time views."""

from featureops.exceptions import FeatureopsError


class RequestTimeError(FeatureopsError):
    """A request-time view cannot run in process (its SQL, manifest or lookups)."""


class RequestFieldError(FeatureopsError):
    """A request field is missing, mistyped or unexpected (the caller's mistake)."""


class NotInline(Exception):  # noqa: N818 - a signal to the caller, never shown
    """The compiled evaluator cannot answer this request on the event loop (the view runs
    on DuckDB, the request needs DuckDB, or a lookup check is due): run it off the loop."""
