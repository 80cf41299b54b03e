"""Reading a view's latest rows per entity from the dbt-built DuckDB warehouse, as Arrow
record batches (bounded memory: DuckDB streams and spills, never the whole table in
Python).

The warehouse file is the one dbt wrote: ``FEATUREOPS_DUCKDB_PATH`` when set, else the
``path`` of the active DuckDB target in the project's ``profiles.yml`` (rendered with
``env_var()`` as dbt would), else ``data/warehouse.duckdb``.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pyarrow as pa

from featureops.catalog import FeatureView
from featureops.exceptions import FeatureopsError
from featureops.online.encoding import to_utc
from featureops.profiles import DUCKDB_ENV, duckdb_warehouse_path
from featureops.project import Project

#: DuckDB's own memory cap while reading; it spills to disk beyond it.
MEMORY_LIMIT = "512MB"


class WarehouseError(FeatureopsError):
    """The warehouse cannot be found, opened or read."""


def warehouse_path(project: Project, explicit: str | os.PathLike[str] | None = None) -> Path:
    """The DuckDB file dbt builds for this project (``explicit`` wins)."""
    return duckdb_warehouse_path(project, explicit)


@dataclass(frozen=True)
class Window:
    """Feature timestamps ``start < ts <= end`` (start None: unbounded)."""

    end: datetime
    start: datetime | None = None

    @classmethod
    def for_view(cls, view: FeatureView, end: datetime,
                 watermark: datetime | None = None) -> Window:
        ttl = view.spec.ttl_delta
        starts = [s for s in (end - ttl if ttl else None, watermark) if s is not None]
        return cls(end=end, start=max(starts) if starts else None)


def _literal(value: datetime) -> str:
    # generated from a datetime, never from user text: safe to inline
    return f"timestamp '{to_utc(value).replace(tzinfo=None).isoformat(sep=' ')}'"


def quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


class Warehouse:
    """A read-only connection to the DuckDB warehouse."""

    def __init__(self, path: Path) -> None:
        import duckdb

        if not path.is_file():
            raise WarehouseError(
                f"warehouse {path} does not exist; run `dbt build` first (or set {DUCKDB_ENV})"
            )
        self.path = path
        self._spill = tempfile.TemporaryDirectory(prefix="featureops-duckdb-")
        config = {"autoinstall_known_extensions": False, "autoload_known_extensions": False,
                  "memory_limit": MEMORY_LIMIT, "temp_directory": self._spill.name,
                  "preserve_insertion_order": False}
        try:
            self.conn = duckdb.connect(str(path), read_only=True, config=config)
        except duckdb.Error as error:
            raise WarehouseError(
                f"cannot open warehouse {path}: {str(error).splitlines()[0]} (is `dbt build` "
                "still writing it?)"
            ) from None
        self._error = duckdb.Error

    @classmethod
    def for_project(cls, project: Project,
                    explicit: str | os.PathLike[str] | None = None) -> Warehouse:
        return cls(warehouse_path(project, explicit))

    def close(self) -> None:
        self.conn.close()
        self._spill.cleanup()

    def __enter__(self) -> Warehouse:
        return self

    def __exit__(self, *_: Any) -> None:
        self.close()

    def relation(self, view: FeatureView) -> str:
        """The view's table in this file: schema.identifier from the manifest."""
        node = view.model
        parts = (node.relation_name or "").split(".")
        if len(parts) < 2:
            raise WarehouseError(f"model '{node.name}' has no relation in the manifest; run "
                                 "`dbt build` so the manifest is current")
        return ".".join(parts[-2:])

    def schema(self, view: FeatureView) -> pa.Schema:
        return self._run(f"select * from {self.relation(view)} limit 0", view).schema

    def latest_query(self, view: FeatureView, window: Window,
                     columns: tuple[str, ...]) -> str:
        """Latest row per entity in the window (ties on the timestamp broken by
        created_timestamp, then deterministically)."""
        spec = view.spec
        keys = ", ".join(quote(k) for k in spec.entities)
        order = [f"{quote(spec.timestamp)} desc"]
        if spec.created_timestamp:
            order.append(f"{quote(spec.created_timestamp)} desc nulls last")
        conditions = [f"{quote(spec.timestamp)} <= {_literal(window.end)}"]
        if window.start is not None:
            conditions.append(f"{quote(spec.timestamp)} > {_literal(window.start)}")
        selected = ", ".join(quote(c) for c in columns)
        return (
            f"select {selected} from {self.relation(view)} where {' and '.join(conditions)} "
            f"qualify row_number() over (partition by {keys} order by {', '.join(order)}) = 1"
        )

    def count_entities(self, view: FeatureView, window: Window) -> int:
        query = self.latest_query(view, window, tuple(view.spec.entities))
        try:
            return int(self.conn.execute(f"select count(*) from ({query})").fetchall()[0][0])
        except self._error as error:
            raise WarehouseError(self._explain(view, error)) from None

    def batches(self, query: str, batch_size: int, view: FeatureView) -> Iterator[pa.RecordBatch]:
        reader = self._reader(query, batch_size, view)
        while True:
            try:
                batch = reader.read_next_batch()
            except StopIteration:
                return
            except (pa.ArrowException, self._error) as error:
                raise WarehouseError(f"reading '{view.name}' from {self.path}: {error}") from None
            if batch.num_rows:
                yield batch

    def read_table(self, query: str, view: FeatureView) -> pa.Table:
        return self._run(query, view)

    def _reader(self, query: str, batch_size: int, view: FeatureView) -> pa.RecordBatchReader:
        try:
            # a cursor of its own: the reader is drained from another thread
            return self.conn.cursor().sql(query).to_arrow_reader(batch_size)
        except self._error as error:
            raise WarehouseError(self._explain(view, error)) from None

    def _run(self, query: str, view: FeatureView) -> pa.Table:
        try:
            return self.conn.sql(query).to_arrow_table()
        except self._error as error:
            raise WarehouseError(self._explain(view, error)) from None

    def _explain(self, view: FeatureView, error: Exception) -> str:
        first = str(error).splitlines()[0]
        return (f"reading feature view '{view.name}' ({self.relation(view)}) from {self.path}: "
                f"{first}; run `dbt build` so the warehouse matches the manifest")


def default_end_time() -> datetime:
    """Now, UTC, to the second."""
    return datetime.now(timezone.utc).replace(microsecond=0)
