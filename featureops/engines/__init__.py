"""The warehouse engines featureops reads: DuckDB and Postgres, opened with the
credentials of the project's selected dbt profile target (docs/decisions/0005)."""

from __future__ import annotations

from featureops.engines.base import Engine, WarehouseError
from featureops.engines.target import SUPPORTED_ADAPTERS, open_engine, postgres_target

__all__ = ["SUPPORTED_ADAPTERS", "Engine", "WarehouseError", "open_engine", "postgres_target"]
