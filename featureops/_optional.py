"""Importing the client libraries that come with an extra (``pip install 'featureops[redis]'``).

The base install holds everything every command needs; a library only some deployments
need (the Redis client, the Postgres driver, openlineage-python) is an extra, imported only
through :func:`require`, so a missing one is a one-line error naming the extra to install,
never a traceback. tests/unit/test_dependencies.py holds every import of featureops to it.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from featureops.exceptions import FeatureopsError


class MissingExtraError(FeatureopsError):
    """A library of an optional extra is not installed (or cannot be imported)."""


def require(module: str, *, extra: str) -> ModuleType:
    """``module``, imported; a MissingExtraError naming ``extra`` when it cannot be."""
    try:
        return importlib.import_module(module)
    except ImportError as error:
        top = module.partition(".")[0]
        missing = error.name or ""  # the module that was not found, if one was not
        problem = ("is not installed" if f"{module}.".startswith(f"{missing}.") and missing
                   else f"cannot be imported ({error})")
        raise MissingExtraError(
            f"{top} {problem}; it comes with the {extra} extra: "
            f"pip install 'featureops[{extra}]'") from None
