"""Errors of the lineage package (each a one-line FeatureopsError the CLI prints as is)."""

from __future__ import annotations

from featureops.exceptions import FeatureopsError


class LineageError(FeatureopsError):
    """Base class for lineage problems a user can fix."""


class UnknownNodeError(LineageError):
    """No node of the manifest matches the name given on the command line."""


class UnknownVersionError(UnknownNodeError):
    """``name.v<N>`` names a versioned model that has no version N (never read as a
    column named ``v<N>``)."""


class AmbiguousNodeError(LineageError):
    """A bare name matches several nodes; the unique_id must be given."""


class UnknownColumnError(LineageError):
    """The model exists but has no such column in its SQL or its YAML."""


class NotAnExposureError(LineageError):
    """`lineage --exposure` was given a node that is not an exposure."""
