"""The warehouse dbt built, opened read-only for monitoring: the DuckDB file (default) or
Postgres, whichever adapter the manifest was compiled for. Relation names come from the
manifest, so the same code reads either engine."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pyarrow as pa

from featureops.manifest import Node
from featureops.monitoring.errors import MonitoringError
from featureops.offline.warehouse import DuckDBWarehouse, PostgresWarehouse, duckdb_path
from featureops.package import PACKAGE_NAME
from featureops.project import Project
from featureops.rawload import postgres_dsn_from_env


class MonitoringWarehouse:
    """Runs queries for the monitoring reports; relations are resolved by model name."""

    def __init__(self, project: Project, engine: DuckDBWarehouse | PostgresWarehouse) -> None:
        self.project = project
        self.engine = engine

    @property
    def adapter_type(self) -> str:
        return self.engine.adapter_type

    def relation(self, model_name: str) -> str:
        """The quoted relation of a model of the project, as dbt built it."""
        node = _model(self.project, model_name)
        if not node.relation_name:
            raise MonitoringError(
                f"{self.project.manifest_path}: model '{model_name}' has no relation name; "
                "run `dbt build` to build the monitoring models first")
        return node.relation_name

    def query(self, sql: str) -> pa.Table:
        return self.engine.to_arrow(sql)

    def register(self, name: str, table: pa.Table) -> None:
        """Make an Arrow table queryable under ``name`` for this session."""
        self.engine.register(name, table)

    def close(self) -> None:
        self.engine.close()


@contextmanager
def open_warehouse(project: Project) -> Iterator[MonitoringWarehouse]:
    """The warehouse of the manifest's adapter (duckdb or postgres), closed on exit."""
    adapter = project.manifest.adapter_type or "duckdb"
    if adapter == "duckdb":
        engine: DuckDBWarehouse | PostgresWarehouse = DuckDBWarehouse(
            duckdb_path(project), database=_database_name(project))
    elif adapter == "postgres":
        engine = PostgresWarehouse(postgres_dsn_from_env())
    else:
        raise MonitoringError(
            f"{project.manifest_path}: the manifest was built for {adapter}; featureops "
            "monitoring reads duckdb and postgres warehouses")
    warehouse = MonitoringWarehouse(project, engine)
    try:
        yield warehouse
    finally:
        warehouse.close()


def _model(project: Project, name: str) -> Node:
    """A model of the root project, else of the featureops dbt package (the monitoring
    models), the way an unqualified ref() resolves."""
    packages = (project.manifest.project_name, PACKAGE_NAME)
    for package in packages:
        for node in project.manifest.models.values():
            if node.name == name and node.package_name == package:
                return node
    raise MonitoringError(
        f"{project.manifest_path}: no model '{name}'; featureops monitoring needs the "
        "featureops dbt package's monitoring models, enabled in dbt_project.yml "
        "(vars.featureops.monitoring.enabled: true; see docs/monitoring.md)")


def _database_name(project: Project) -> str | None:
    """The catalog name relation names use (the DuckDB file's stem when dbt built it)."""
    return next((node.database for node in project.manifest.models.values() if node.database),
                None)
