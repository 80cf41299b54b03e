"""Where monitoring reads the serving log, and loading it into engines that cannot read
Parquet: every file of the log directory, checked against the documented schema and COPYed
into one Postgres table (``<schema>.serving_log``), atomically, by the raw-data loader."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from featureops.monitoring.errors import MonitoringError
from featureops.profiles import DEFAULT_WAREHOUSE, DUCKDB_ENV
from featureops.project import Project
from featureops.rawload import load_into_postgres
from featureops.serving.log import LOG_DIR_ENV, SCHEMA
from featureops.serving.settings import load_serving_settings

TABLE = "serving_log"


def serving_log_dir(project: Project) -> Path:
    """The serving-log directory the dbt source reads (models/monitoring/): the server's
    setting (FEATUREOPS_SERVING_LOG_DIR, else serving.log_dir), else ``serving_log/``
    beside the DuckDB warehouse, which is the server's default ``data/serving_log`` for
    the default warehouse. Relative paths are under the project."""
    configured = os.environ.get(LOG_DIR_ENV) or load_serving_settings(project).log_dir
    if not configured:
        warehouse = os.environ.get(DUCKDB_ENV) or DEFAULT_WAREHOUSE
        configured = str(Path(warehouse).parent / "serving_log")
    path = Path(configured)
    return path if path.is_absolute() else project.project_dir / path


def serving_log_files(directory: Path) -> list[Path]:
    """The complete log files of a directory, oldest first (partial files start with '.')."""
    if not directory.is_dir():
        return []
    return sorted(directory.glob("serving_log_*.parquet"))


def load_serving_log(directory: Path, dsn: str | Mapping[str, Any], schema: str = "raw",
                     progress: bool = True) -> tuple[int, int]:
    """Replace ``<schema>.serving_log`` with every file of ``directory``; return (files,
    rows). With no files the table is replaced by an empty one: the log is empty."""
    files = serving_log_files(directory)
    for path in files:
        found = pq.read_schema(path)
        if not found.remove_metadata().equals(SCHEMA):
            raise MonitoringError(
                f"{path}: not a serving-log file of the documented format (columns "
                f"{', '.join(f'{f.name} {f.type}' for f in found)}); see docs/serving.md")
    with tempfile.TemporaryDirectory(prefix="featureops-serving-log-") as staging:
        combined = Path(staging) / f"{TABLE}.parquet"
        with pq.ParquetWriter(combined, SCHEMA) as writer:
            for path in files:
                for batch in pq.ParquetFile(path).iter_batches(batch_size=100_000):
                    writer.write_batch(batch)
        rows = load_into_postgres(Path(staging), dsn, schema=schema, progress=progress,
                                  tables=[TABLE])[TABLE]
    return len(files), rows
