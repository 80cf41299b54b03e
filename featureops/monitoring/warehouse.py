"""The warehouse dbt built, opened read-only for monitoring: the DuckDB file or Postgres of
the project's selected dbt target (featureops.engines). Relation names come from the
manifest, so the same code reads either engine."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pyarrow as pa

from featureops.engines import Engine, open_engine
from featureops.manifest import Node
from featureops.monitoring.errors import MonitoringError
from featureops.package import PACKAGE_NAME
from featureops.project import Project


class MonitoringWarehouse:
    """Runs queries for the monitoring reports; relations are resolved by model name."""

    def __init__(self, project: Project, engine: Engine) -> None:
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
    """The selected target's warehouse (duckdb or postgres), closed on exit."""
    warehouse = MonitoringWarehouse(project, open_engine(project))
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

