"""Reading a view's latest rows per entity from the warehouse dbt built, as Arrow record
batches (bounded memory: streamed from DuckDB, which spills to disk, or from a Postgres
server-side cursor; never the whole table in Python).

The warehouse is the one of the project's selected dbt target (featureops.engines); the
queries are portable SQL (a ``row_number()`` subquery, not DuckDB's ``qualify``).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import pyarrow as pa

from featureops.catalog import FeatureView
from featureops.engines import Engine, WarehouseError, open_engine
from featureops.engines.base import sql_string
from featureops.online.encoding import to_utc
from featureops.project import Project

__all__ = ["MEMORY_LIMIT", "Warehouse", "WarehouseError", "Window", "default_end_time"]

#: DuckDB's own memory cap while reading; it spills to disk beyond it.
MEMORY_LIMIT = "512MB"
_RANK = "__fo_rank"


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


class Warehouse:
    """Feature-view reads on an open warehouse engine."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @classmethod
    def for_project(cls, project: Project,
                    explicit: str | os.PathLike[str] | None = None) -> Warehouse:
        """The selected target's warehouse (``explicit``: a DuckDB file instead)."""
        return cls(open_engine(project, warehouse=explicit, memory_limit=MEMORY_LIMIT,
                               preserve_order=False))

    def close(self) -> None:
        self.engine.close()

    def __enter__(self) -> Warehouse:
        return self

    def __exit__(self, *_: Any) -> None:
        self.close()

    def relation(self, view: FeatureView) -> str:
        """The view's relation, as the manifest names it."""
        node = view.model
        if not node.relation_name:
            raise WarehouseError(f"model '{node.name}' has no relation in the manifest; run "
                                 "`dbt build` so the manifest is current")
        return node.relation_name

    def schema(self, view: FeatureView) -> pa.Schema:
        return self._reading(view, lambda: self.engine.schema(
            f"select * from {self.relation(view)}"))

    def latest_query(self, view: FeatureView, window: Window,
                     columns: tuple[str, ...]) -> str:
        """Latest row per entity in the window (ties on the timestamp broken by
        created_timestamp, then deterministically)."""
        spec, quote = view.spec, self.engine.quote
        keys = ", ".join(quote(k) for k in spec.entities)
        order = [f"{quote(spec.timestamp)} desc"]
        if spec.created_timestamp:
            order.append(f"{quote(spec.created_timestamp)} desc nulls last")
        conditions = [f"{quote(spec.timestamp)} <= {_literal(window.end)}"]
        if window.start is not None:
            conditions.append(f"{quote(spec.timestamp)} > {_literal(window.start)}")
        selected = ", ".join(quote(c) for c in columns)
        return (
            f"select {selected} from (select *, row_number() over (partition by {keys} "
            f"order by {', '.join(order)}) as {_RANK} from {self.relation(view)} "
            f"where {' and '.join(conditions)}) as ranked where {_RANK} = 1"
        )

    def sample_query(self, view: FeatureView, query: str, size: int, seed: int) -> str:
        """``size`` rows of ``query`` chosen by a hash of the entity keys and ``seed``: the
        same sample on every engine and every run."""
        keys = ", ".join(f"cast({self.engine.quote(k)} as {self.engine.text_type})"
                         for k in view.spec.entities)
        return (f"select * from ({query}) as latest order by md5(concat_ws('|', {keys}, "
                f"{sql_string(str(seed))})) limit {int(size)}")

    def count_entities(self, view: FeatureView, window: Window) -> int:
        query = self.latest_query(view, window, tuple(view.spec.entities))
        table = self.read_table(f"select count(*) as entities from ({query}) as latest", view)
        return int(table.column(0)[0].as_py())

    def batches(self, query: str, batch_size: int, view: FeatureView) -> Iterator[pa.RecordBatch]:
        try:
            yield from self.engine.batches(query, batch_size)
        except WarehouseError as error:
            raise WarehouseError(self._explain(view, error)) from None

    def read_table(self, query: str, view: FeatureView) -> pa.Table:
        return self._reading(view, lambda: self.engine.to_arrow(query))

    def _reading(self, view: FeatureView, action: Any) -> Any:
        try:
            return action()
        except WarehouseError as error:
            raise WarehouseError(self._explain(view, error)) from None

    def _explain(self, view: FeatureView, error: Exception) -> str:
        return (f"reading feature view '{view.name}' ({self.relation(view)}): {error}; run "
                "`dbt build` so the warehouse matches the manifest")


def default_end_time() -> datetime:
    """Now, UTC, to the second."""
    return datetime.now(timezone.utc).replace(microsecond=0)
