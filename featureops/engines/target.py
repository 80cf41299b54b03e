"""Opening the warehouse of a project's selected dbt target (featureops.profiles).

``--warehouse FILE`` (a DuckDB file, relative to the current directory) wins; else
``FEATUREOPS_DUCKDB_PATH`` replaces the path of a DuckDB target, or stands in for a profile
the project does not have (or cannot render); it never replaces a Postgres target; else
the target's own engine and credentials (a Spark target: featureops.engines.spark_target).
The engine must be the one the manifest was compiled for: relation names and SQL dialect
come from it.
"""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path

from featureops.engines.base import Engine, WarehouseError
from featureops.profiles import (
    DUCKDB_ENV,
    NoProfileError,
    ProfileError,
    ProfileTarget,
    load_target,
    project_path,
)
from featureops.project import Project

SUPPORTED_ADAPTERS = ("duckdb", "postgres", "spark")


def open_engine(project: Project, *, warehouse: str | os.PathLike[str] | None = None,
                database: str | None = None, memory_limit: str | None = None,
                preserve_order: bool = True, read_only: bool = True) -> Engine:
    """An open engine on the warehouse dbt built for ``project``. ``database``: the catalog
    name the manifest's relations use (default: the one most of its models use)."""
    override = os.environ.get(DUCKDB_ENV)
    target, missing = _target(project, explicit=warehouse is not None or bool(override))
    if warehouse is not None:
        path, source = Path(warehouse).resolve(), "--warehouse"
    elif target is not None and target.adapter_type != "duckdb":
        return _target_engine(project, target, read_only)
    elif override:
        path, source = Path(project_path(project.project_dir, override)), DUCKDB_ENV
    elif target is not None:
        path, source = _duckdb_file(target), target.describe()
    else:
        raise WarehouseError(f"{missing}; or pass --warehouse with the DuckDB file dbt built")
    _check_adapter(project, "duckdb", f"{path}, from {source}")
    from featureops.engines.duckdb_engine import DuckDBEngine

    duckdb_target = target.credentials if target and target.adapter_type == "duckdb" else {}
    return DuckDBEngine(path, database or manifest_database(project),
                        settings=duckdb_target.get("settings") or {},
                        extensions=duckdb_target.get("extensions") or (),
                        search_path=project.project_dir, memory_limit=memory_limit,
                        preserve_order=preserve_order, source=source)


def postgres_target(project: Project, purpose: str) -> ProfileTarget:
    """The selected target, which must be a Postgres one (``purpose`` says why)."""
    target = load_target(project)
    if target.adapter_type != "postgres":
        raise WarehouseError(f"{purpose} writes into Postgres, and the selected "
                             f"{target.describe()} is {target.adapter_type}: pass --target "
                             "(or set DBT_TARGET) to a postgres target")
    return target


def manifest_database(project: Project) -> str | None:
    """The catalog most of the project's models are in (a DuckDB file's stem)."""
    if not project.manifest_path.is_file():
        return None
    counts = Counter(node.database for node in project.manifest.models.values()
                     if node.database)
    return counts.most_common(1)[0][0] if counts else None


def _target(project: Project, *, explicit: bool
            ) -> tuple[ProfileTarget | None, ProfileError | None]:
    """The profile target, or None and why: the project has no profile (or, with an
    explicit DuckDB file, its profile cannot be read: the file does not depend on it, and
    the manifest's adapter is still checked)."""
    try:
        return load_target(project), None
    except NoProfileError as error:
        return None, error
    except ProfileError as error:
        if explicit:
            return None, error
        raise


def _duckdb_file(target: ProfileTarget) -> Path:
    path = str(target.credentials.get("path"))
    if not Path(path).is_absolute():
        raise WarehouseError(f"{target.describe()} has no DuckDB file (path: {path}); "
                             "featureops reads the file dbt built: set path in the target "
                             "or pass --warehouse")
    return Path(path)


def _target_engine(project: Project, target: ProfileTarget, read_only: bool) -> Engine:
    if target.adapter_type not in SUPPORTED_ADAPTERS:
        raise WarehouseError(f"{target.describe()} is a {target.adapter_type} target; "
                             f"featureops reads {', '.join(SUPPORTED_ADAPTERS[:-1])} and "
                             f"{SUPPORTED_ADAPTERS[-1]} warehouses")
    _check_adapter(project, target.adapter_type, target.describe())
    if target.adapter_type == "spark":
        from featureops.engines.spark_target import spark_engine

        return spark_engine(target, project.project_dir)
    from featureops.engines.postgres_engine import PostgresEngine, connect_kwargs

    return PostgresEngine(connect_kwargs(target.credentials),
                          role=target.credentials.get("role"), read_only=read_only,
                          source=target.describe())


def _check_adapter(project: Project, adapter: str, where: str) -> None:
    if not project.manifest_path.is_file():
        return
    built = project.manifest.adapter_type
    if built and built != adapter:
        raise WarehouseError(
            f"{project.manifest_path} was compiled for {built}, and the warehouse selected is "
            f"{adapter} ({where}): select the target dbt built with (--target, DBT_TARGET)")
