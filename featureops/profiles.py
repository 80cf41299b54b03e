"""Where dbt wrote the warehouse, read from the project's own profiles.yml the way dbt
reads it (``env_var()`` rendered), so featureops opens the same DuckDB file dbt built.

Order: an explicit path (a ``--warehouse`` option), else ``FEATUREOPS_DUCKDB_PATH``, else
the ``path`` of the active DuckDB target in profiles.yml, else ``data/warehouse.duckdb``;
relative paths are relative to the project.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import jinja2
import yaml

from featureops.exceptions import FeatureopsError
from featureops.project import Project

DUCKDB_ENV = "FEATUREOPS_DUCKDB_PATH"
DEFAULT_WAREHOUSE = "data/warehouse.duckdb"


class ProfileTargetError(FeatureopsError):
    """The active dbt target is not the engine a command needs."""


def duckdb_warehouse_path(project: Project,
                          explicit: str | os.PathLike[str] | None = None) -> Path:
    """The DuckDB file dbt builds for this project (not checked for existence)."""
    configured = explicit or os.environ.get(DUCKDB_ENV) or _active_duckdb_path(project)
    path = Path(configured or DEFAULT_WAREHOUSE)
    return path if path.is_absolute() else project.project_dir / path


def active_output(project: Project) -> tuple[Path, str, dict[str, Any]] | None:
    """(profiles.yml path, profile name, rendered output of the active target), or None when
    the project has no readable profile."""
    profiles_dir = Path(os.environ.get("DBT_PROFILES_DIR") or project.project_dir)
    path = profiles_dir / "profiles.yml"
    profile_name = project.dbt_config.get("profile")
    if not path.is_file() or not profile_name:
        return None
    env = jinja2.Environment(undefined=jinja2.StrictUndefined)
    env.globals["env_var"] = lambda name, default=None: os.environ.get(name, default)
    for name in ("as_number", "as_bool", "as_text", "as_native"):
        env.filters[name] = lambda value: value
    try:
        profiles = yaml.safe_load(env.from_string(path.read_text(encoding="utf-8")).render())
        profile = profiles[profile_name]
        output = profile["outputs"][profile.get("target", "dev")]
    except (OSError, jinja2.TemplateError, yaml.YAMLError, KeyError, TypeError):
        return None
    return path, profile_name, output


def _active_duckdb_path(project: Project) -> str | None:
    found = active_output(project)
    if found is None:
        return None
    path, profile_name, output = found
    if output.get("type") != "duckdb":
        raise ProfileTargetError(
            f"{path}: the active target of profile '{profile_name}' is {output.get('type')}, "
            f"and this command reads the DuckDB warehouse: set {DUCKDB_ENV} (or pass "
            "--warehouse) to a DuckDB build, or use a duckdb target"
        )
    return output.get("path")
