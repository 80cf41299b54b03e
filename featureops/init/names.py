"""The dbt project name of a new feature repository: derived from its folder, or given and
checked. dbt needs letters, digits and underscores, not starting with a digit; the name is
also the profile's name and the models' config key."""

from __future__ import annotations

import re
from pathlib import Path

from featureops.init.errors import InitError
from featureops.package import PACKAGE_NAME

_PROJECT_NAME = re.compile(r"[a-z_][a-z0-9_]*")
#: Package namespaces a project may not shadow: featureops itself and dbt's own.
_TAKEN = frozenset({PACKAGE_NAME, "dbt", "dbt_duckdb", "dbt_postgres"})
_FALLBACK = "feature_repo"


def project_name_for(folder: Path) -> str:
    """A valid project name from a folder name: lower case, runs of other characters
    become one underscore, a leading digit gets a prefix, a taken name a suffix."""
    name = re.sub(r"[^a-z0-9]+", "_", folder.resolve().name.lower()).strip("_") or _FALLBACK
    if name[0].isdigit():
        name = f"project_{name}"
    if name in _TAKEN:
        name = f"{name}_project"
    return name


def check_project_name(name: str) -> str:
    """``name`` when dbt accepts it as this project's name, else a one-line InitError."""
    if not _PROJECT_NAME.fullmatch(name):
        raise InitError(
            f"--name '{name}': a dbt project name has lower-case letters, digits and _ and "
            "does not start with a digit"
        )
    if name in _TAKEN:
        raise InitError(f"--name '{name}': taken by a package the project installs; "
                        "choose another")
    return name
