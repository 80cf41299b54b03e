"""``featureops consistency``: do the online values equal the offline latest values?

For each online view, entities are sampled from the offline answer (the latest row per
entity within ttl as of the live version's end time, computed from the warehouse) and
their online records are read back and compared feature by feature, timestamps included.
The number of entities online and offline are compared too. Pushed records legitimately
differ from the warehouse; they show up as mismatches whose online timestamp is newer.
Request-time views are checked by running sampled requests through the serving path
(featureops.online.request_consistency).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from featureops.catalog import FeatureCatalog, FeatureView
from featureops.online.base import OnlineStore
from featureops.online.config import open_online_store
from featureops.online.encoding import (
    RecordCodec,
    encode_key,
    micros_to_datetime,
    timestamp_micros,
    to_utc,
)
from featureops.online.materialize import online_views
from featureops.online.warehouse import Warehouse, Window
from featureops.project import Project

if TYPE_CHECKING:
    from featureops.online.request_consistency import ChainedAvailability

#: float16 embeddings keep about 3 significant digits.
FLOAT16_TOLERANCE = 2e-3


@dataclass(frozen=True)
class Mismatch:
    view: str
    entity: dict[str, Any]
    feature: str  # a feature name, or "<record>" when the entity is missing online
    online: Any
    offline: Any


@dataclass
class ViewConsistency:
    view: str
    version: str | None
    end_time: datetime | None
    offline_entities: int = 0
    online_entities: int = 0
    sampled: int = 0
    mismatches: list[Mismatch] = field(default_factory=list)
    problem: str = ""
    kind: str = "stored"  # or "request_time": computed per request, never stored
    skipped: str = ""  # why a request-time view was not checked (not a failure)
    chained: list[ChainedAvailability] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.mismatches and not self.problem


@dataclass
class ConsistencyReport:
    views: list[ViewConsistency]

    @property
    def ok(self) -> bool:
        return all(view.ok for view in self.views)


def check_consistency(project: Project, *, select: Sequence[str] = (), sample: int = 1000,
                      seed: int = 42, store: OnlineStore | None = None,
                      warehouse: str | Path | None = None) -> ConsistencyReport:
    """Stored views (online) and request-time views among ``select`` (all when empty)."""
    from featureops.online import request_consistency as rt

    catalog = FeatureCatalog.from_manifest(project.manifest)
    request_views = rt.request_time_views(catalog, select)
    stored = [name for name in select if name not in {v.name for v in request_views}]
    # online_views picks every online view when given none: only when nothing was selected
    views = online_views(catalog, stored) if stored or not select else []
    own_store = store is None
    store = store or open_online_store(project)
    checks = None
    try:
        # executors open before the warehouse: DuckDB refuses a second connection to a
        # file with another configuration
        checks = rt.RequestTimeChecks(project, catalog, store, request_views)
        with Warehouse.for_project(project, warehouse) as source:
            return ConsistencyReport([
                *(_check_view(view, source, store, sample, seed) for view in views),
                *checks.run(source, sample, seed)])
    finally:
        if checks is not None:
            checks.close()
        if own_store:
            store.close()


def _check_view(view: FeatureView, warehouse: Warehouse, store: OnlineStore, sample: int,
                seed: int) -> ViewConsistency:
    live = store.live_state(view.name)
    if live is None or live.end_time is None:
        return ViewConsistency(view.name, None, None,
                               problem="not materialized: run `featureops materialize`")
    result = ViewConsistency(view.name, live.version, live.end_time, online_entities=live.rows)
    window = Window.for_view(view, live.end_time)
    result.offline_entities = warehouse.count_entities(view, window)
    # After incremental runs the live version may still hold entities whose rows have
    # since left the ttl window (reads report them outside_ttl): counts only match after
    # a full run.
    if live.mode == "full" and result.offline_entities != live.rows:
        result.problem = (f"{live.rows:,} entities online, {result.offline_entities:,} offline "
                          f"as of {live.end_time:%Y-%m-%d %H:%M:%S} (pushed records, or the "
                          "warehouse changed since the materialization)")
    features = [spec.name for spec in live.layout.fields]
    query = warehouse.latest_query(view, window, (*view.entities, view.timestamp, *features))
    table = warehouse.read_table(warehouse.sample_query(view, query, sample, seed), view)
    result.sampled = table.num_rows
    offline_micros = timestamp_micros(table.column(view.timestamp)).tolist()
    rows = table.select([*view.entities, *features]).to_pylist()
    codec = RecordCodec(live.layout)
    for start in range(0, len(rows), 500):
        chunk = rows[start:start + 500]
        keys = [encode_key([_key_value(row[k]) for k in view.entities]) for row in chunk]
        (snapshot,) = store.read([(view.name, keys)])
        for offset, (row, record) in enumerate(zip(chunk, snapshot.records, strict=True)):
            entity = {k: row[k] for k in view.entities}
            result.mismatches.extend(_compare(view.name, entity, row, record, codec,
                                              offline_micros[start + offset]))
    return result


def _key_value(value: Any) -> int | str:
    return value if isinstance(value, int) else str(value)


def _compare(view: str, entity: dict[str, Any], offline: dict[str, Any], record: bytes | None,
             codec: RecordCodec, offline_micros: int) -> list[Mismatch]:
    if record is None:
        return [Mismatch(view, entity, "<record>", None, "present offline")]
    event_micros, values = codec.decode(record)
    found = []
    if event_micros != offline_micros:
        found.append(Mismatch(view, entity, "<timestamp>", micros_to_datetime(event_micros),
                              micros_to_datetime(offline_micros)))
    for spec, online_value in zip(codec.layout.fields, values, strict=True):
        offline_value = offline[spec.name]
        tolerance = FLOAT16_TOLERANCE if spec.vector_dtype == "float16" else 0.0
        if not equal(online_value, offline_value, tolerance):
            found.append(Mismatch(view, entity, spec.name, online_value, offline_value))
    return found


def equal(online: Any, offline: Any, tolerance: float) -> bool:
    """Whether a served value equals the warehouse's (floats within ``tolerance``, nulls
    equal nulls, NaN equals NaN)."""
    if online is None or offline is None:
        return online is None and offline is None
    if isinstance(offline, datetime):
        return online == to_utc(offline)
    if isinstance(offline, float) and not isinstance(online, bool):
        return (math.isnan(offline) and math.isnan(online)) or math.isclose(
            online, offline, rel_tol=tolerance, abs_tol=tolerance)
    if isinstance(offline, (list, tuple)):
        return len(online) == len(offline) and all(
            equal(a, float(b), tolerance) for a, b in zip(online, offline, strict=True))
    return bool(online == offline)
