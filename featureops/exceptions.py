"""User-facing errors raised by featureops.

Every error a user can see derives from :class:`FeatureopsError`. Its ``str()`` is a single
line that says what is wrong, names the file/model/field involved and says what to do next,
so the CLI can print it as is (no traceback) and exit with code 2.

Keep this module a flat list of classes: messages are written where the error is raised,
because that is where the file, JSON path or model name is known.
"""

from __future__ import annotations


class FeatureopsError(Exception):
    """Base class for every error featureops reports to a user.

    The message is forced onto one line: newlines from interpolated values (paths,
    decoder messages) are replaced by spaces so the CLI output stays one line per error.
    """

    def __init__(self, message: str) -> None:
        super().__init__(" ".join(message.split()))


# --- manifest.json ------------------------------------------------------------------------


class ManifestError(FeatureopsError):
    """Base class for problems with a dbt ``manifest.json`` (catch this to catch them all)."""


class ManifestNotFoundError(ManifestError):
    """The manifest path does not exist, or is a directory rather than a file."""


class ManifestReadError(ManifestError):
    """The manifest exists but cannot be read (permissions, I/O error)."""


class ManifestParseError(ManifestError):
    """The manifest is empty, not valid JSON/UTF-8, or its top level is not a JSON object."""


class UnsupportedManifestVersionError(ManifestError):
    """``metadata.dbt_schema_version`` is not a manifest schema featureops supports (v8-v12)."""


class ManifestShapeError(ManifestError):
    """A required key is missing or a value has the wrong JSON type (message names the path)."""


class ModelNotFoundError(ManifestError):
    """No (enabled) model in the manifest matches the requested name, unique_id or version."""


class AmbiguousModelError(ManifestError):
    """A bare model name matches models in several packages and none is the root project's."""
