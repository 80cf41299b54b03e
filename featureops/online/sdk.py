"""Reading online features: ``get_online_features(features=[...] | exposure=NAME,
entities={key: [values]})``.

Every (entity, feature) comes back with its value, its feature timestamp and a status:

- ``present``: found and within the view's ttl;
- ``not_found``: the entity has no record (or the view was never materialized);
- ``outside_ttl``: the record is older than the ttl; its value is withheld (None), never
  served as present;
- ``stale``: within ttl, but the view's newest feature timestamp is older than its
  ``sla.freshness``: the pipeline feeding it is behind (the value is returned).

Feature services are the ``ml`` exposures: ``exposure=NAME`` reads the features its
``meta.featureops.features`` lists; views of the service that are not online are skipped and
reported in ``offline_views``.

Request-time views (``meta.featureops.request_time``) are computed per call by running
their own SQL over the request fields sent beside the entity keys in ``entities``
(featureops.request_time, docs/request-time.md); their features come back with the stored
ones in one answer.
"""

from __future__ import annotations

import asyncio
import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, NamedTuple

from featureops.catalog import FeatureCatalog, FeatureView
from featureops.exceptions import FeatureopsError
from featureops.online.base import OnlineStore, ViewSnapshot
from featureops.online.config import open_online_store
from featureops.online.encoding import (
    EntityKeyError,
    RecordCodec,
    coerce_key,
    datetime_to_micros,
    encode_key,
    micros_to_datetime,
    to_utc,
)
from featureops.online.layout import Kind, RecordLayout
from featureops.project import Project
from featureops.request_time.errors import NotInline

PRESENT, NOT_FOUND, OUTSIDE_TTL, STALE = "present", "not_found", "outside_ttl", "stale"
STATUSES = (PRESENT, NOT_FOUND, OUTSIDE_TTL, STALE)
#: Plans a client keeps (one per distinct feature list or service, least recently used
#: dropped first): more than the lists a fleet of models sends, and a bound on memory
#: when clients send ever-new lists (a plan is about 1 KB).
PLAN_CACHE_SIZE = 1024


class OnlineRequestError(FeatureopsError):
    """A lookup request is malformed: unknown features, missing or bad entity keys."""


class FeatureValue(NamedTuple):
    """One feature of one entity (a tuple: a batch answer creates thousands of them)."""

    value: Any
    event_at: datetime | None
    status: str


@dataclass
class OnlineFeatures:
    """The answer to one lookup: one row per entity, one column per feature."""

    feature_refs: list[str]
    entity_names: list[str]
    entity_rows: list[tuple[Any, ...]]
    values: list[list[FeatureValue]]  # [entity][feature]
    service: str | None = None
    offline_views: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.entity_rows)

    def row(self, index: int) -> dict[str, FeatureValue]:
        return dict(zip(self.feature_refs, self.values[index], strict=True))

    def to_dict(self) -> dict[str, list[Any]]:
        """Column-oriented values: entity keys then ``view:feature`` (Feast's to_dict)."""
        columns: dict[str, list[Any]] = {
            name: [row[i] for row in self.entity_rows] for i, name in enumerate(self.entity_names)
        }
        for j, ref in enumerate(self.feature_refs):
            columns[ref] = [row[j].value for row in self.values]
        return columns

    def to_pandas(self) -> Any:
        import pandas as pd

        return pd.DataFrame(self.to_dict())

    def to_columns(self) -> OnlineColumns:
        """The same answer column by column (kinds unknown)."""
        columns = []
        for j in range(len(self.feature_refs)):
            cells = [row[j] for row in self.values]
            events = [c.event_at for c in cells]
            columns.append(FeatureColumn(
                [c.value for c in cells], events, [c.status for c in cells], None,
                [None if e is None else datetime_to_micros(e) for e in events]))
        return OnlineColumns(self.feature_refs, self.entity_names, self.entity_rows, columns,
                             [ref.partition(":")[0] for ref in self.feature_refs],
                             self.service, self.offline_views)


class FeatureColumn(NamedTuple):
    """One feature for every entity of an answer. Columns of one view share their
    ``event_at`` and ``statuses`` lists (a record has one timestamp and one status)."""

    values: list[Any]
    event_at: list[datetime | None]
    statuses: list[str]
    kind: Kind | None  # the stored kind; None when unknown (not stored, or not found)
    event_micros: list[int | None]  # event_at in microseconds (cheap to log)


@dataclass
class OnlineColumns:
    """An answer column by column: what the feature server encodes, counts and logs
    without making one object per value."""

    feature_refs: list[str]
    entity_names: list[str]
    entity_rows: list[tuple[Any, ...]]
    columns: list[FeatureColumn]  # one per feature reference
    feature_views: list[str]  # the view of each feature reference
    service: str | None = None
    offline_views: list[str] = field(default_factory=list)

    def to_features(self) -> OnlineFeatures:
        cells = [[FeatureValue(*cell) for cell in zip(c.values, c.event_at, c.statuses,
                                                      strict=True)] for c in self.columns]
        values = [list(row) for row in zip(*cells, strict=True)] if cells else []
        return OnlineFeatures(self.feature_refs, self.entity_names, self.entity_rows, values,
                              self.service, self.offline_views)


@dataclass(frozen=True)
class _ViewPlan:
    view: FeatureView
    features: tuple[str, ...]
    key_kinds: tuple[Kind, ...]
    ttl: timedelta | None
    freshness: timedelta | None
    streaming: Any = None  # the view's StreamingView when it streams (featureops.streaming)


@dataclass(frozen=True)
class _Plan:
    views: tuple[_ViewPlan, ...]
    refs: list[str]
    entity_names: tuple[str, ...]
    entity_kinds: tuple[Kind, ...]
    offline_views: list[str]
    ref_views: list[str]  # the view of each reference
    # Request-time views (None: none requested): their plan, the chained stored views read
    # with the others, and every view's name in answer order.
    request: Any = None
    chained: tuple[_ViewPlan, ...] = ()
    view_order: tuple[str, ...] = ()
    # A service's plan without its request-time views, for callers that send none of their
    # fields (they get what they got before request-time views: those views skipped).
    stored_only: _Plan | None = None
    # Whether a stored or chained view streams: the one check a lookup of views that do
    # not stream pays for the stream layer.
    streams: bool = False


class _Lookup(NamedTuple):
    """A checked request: what to read, and how to answer once read."""

    plan: _Plan
    rows: list[tuple[Any, ...]]
    reads: list[tuple[str, list[str]]]
    now: int
    exposure: str | None
    request: dict[str, list[Any]] | None = None  # coerced request fields


class OnlineFeatureClient:
    """Looks up online features of one project; reuse it (it caches plans, at most
    ``plan_cache_size``, and codecs)."""

    def __init__(self, project: Project, store: OnlineStore | None = None,
                 catalog: FeatureCatalog | None = None,
                 plan_cache_size: int = PLAN_CACHE_SIZE) -> None:
        self.project = project
        self.catalog = catalog or FeatureCatalog.from_manifest(project.manifest)
        self.store = store or open_online_store(project)
        self.plan_cache_size = plan_cache_size
        self._plans: OrderedDict[tuple[Any, ...], _Plan] = OrderedDict()
        self._codecs: dict[RecordLayout, tuple[RecordCodec, dict[str, int]]] = {}
        self._codecs_by_id: dict[int, tuple[RecordCodec, dict[str, int]]] = {}
        self._executors: dict[str, Any] = {}  # request-time view -> its executor
        self._lock = threading.Lock()
        self._stream_layer: Any = None  # featureops.streaming.serving.StreamLayer

    def close(self) -> None:
        self.store.close()
        if self._stream_layer is not None:
            self._stream_layer.close()
        for executor in self._executors.values():
            executor.close()

    def get_online_features(self, features: Sequence[str] | None = None,
                            exposure: str | None = None,
                            entities: Mapping[str, Sequence[Any]] | None = None,
                            as_of: datetime | None = None) -> OnlineFeatures:
        lookup = self._lookup(features, exposure, entities, as_of)
        snapshots = self.store.read(lookup.reads)
        streams = self._streams(lookup, snapshots) if lookup.plan.streams else None
        return self._answer(lookup, snapshots, streams=streams).to_features()

    async def get_online_features_async(self, features: Sequence[str] | None = None,
                                        exposure: str | None = None,
                                        entities: Mapping[str, Sequence[Any]] | None = None,
                                        as_of: datetime | None = None) -> OnlineFeatures:
        """``get_online_features`` for an event loop: the read never blocks it (inline
        when the store's reads cannot wait, else ``OnlineStore.read_async``)."""
        answer = await self.get_online_columns_async(features, exposure, entities, as_of)
        return answer.to_features()

    async def plan_async(self, features: Sequence[str] | None,
                         exposure: str | None) -> None:
        """Build the plan of a feature list or service on a worker thread unless it is
        cached. The feature server calls it before its store deadline starts: a first plan
        (a request-time view compiles its SQL and loads its lookup relations, a fraction of
        a second) is no store wait, and timing it as one answered 503 and opened the
        circuit on a loaded machine."""
        if not self._planned(features, exposure):
            await asyncio.to_thread(self.plan, features, exposure)

    async def get_online_columns_async(self, features: Sequence[str] | None = None,
                                       exposure: str | None = None,
                                       entities: Mapping[str, Sequence[Any]] | None = None,
                                       as_of: datetime | None = None) -> OnlineColumns:
        """``get_online_features_async``, column by column (the feature server's form).
        A plan not yet built (which may open executors that read the warehouse) runs on a
        worker thread, and so does a request-time view the compiled evaluator cannot answer
        (its SQL on DuckDB, a millisecond or more; a lookup check, a stat of the warehouse):
        the event loop keeps answering other requests meanwhile. A compiled evaluator's
        answer (pure CPU, tens of microseconds) is computed on the loop (ADR 0061)."""
        if self._planned(features, exposure):
            lookup = self._lookup(features, exposure, entities, as_of)
        else:
            lookup = await asyncio.to_thread(self._lookup, features, exposure, entities, as_of)
        snapshots = (self.store.read(lookup.reads) if self.store.inline_reads
                     else await self.store.read_async(lookup.reads))
        streams = None
        if lookup.plan.streams and self._stream_started(lookup.plan):
            # the stream layer reads the store: on a thread unless its reads are inline
            streams = (self._streams(lookup, snapshots) if self.store.inline_reads
                       else await asyncio.to_thread(self._streams, lookup, snapshots))
        if lookup.request is not None:
            try:
                return self._answer(lookup, snapshots, inline=True, streams=streams)
            except NotInline:
                return await asyncio.to_thread(self._answer, lookup, snapshots, False,
                                               streams)
        return self._answer(lookup, snapshots, streams=streams)

    def _stream_started(self, plan: _Plan) -> bool:
        """False while every streaming view of the plan is known not to stream yet (no
        thread hop for those lookups)."""
        layer = self._stream_layer
        return layer is None or any(not layer.idle(vp.streaming)
                                    for vp in (*plan.views, *plan.chained)
                                    if vp.streaming is not None)

    def _streams(self, lookup: _Lookup, snapshots: Sequence[ViewSnapshot]
                 ) -> list[Any]:
        """The stream layer's part of each read, in read order (the plan's views, then the
        chained ones): a MergedView, or None for a view that does not stream or whose
        stream has not started."""
        layer = self._stream_layer
        if layer is None:
            from featureops.streaming.serving import StreamLayer

            with self._lock:
                if self._stream_layer is None:
                    self._stream_layer = StreamLayer(self.project, self.store.config)
                layer = self._stream_layer
        views = (*lookup.plan.views, *lookup.plan.chained)
        return [None if vp.streaming is None else
                layer.read(vp.streaming, snapshot.state, keys, lookup.now)
                for vp, (_, keys), snapshot in zip(views, lookup.reads, snapshots, strict=True)]

    def _planned(self, features: Sequence[str] | None, exposure: str | None) -> bool:
        """Whether the plan of this feature list or service is cached (cheap to get)."""
        if exposure is not None:
            return ("exposure", exposure) in self._plans
        if features is None or isinstance(features, str):
            return True  # refused by plan() at once
        return ("features", *features) in self._plans

    def _lookup(self, features: Sequence[str] | None, exposure: str | None,
                entities: Mapping[str, Sequence[Any]] | None,
                as_of: datetime | None) -> _Lookup:
        plan = self.plan(features, exposure)
        if plan.request is not None:
            if plan.stored_only is not None and not plan.request.sends_fields(
                    entities, plan.entity_names):
                plan = plan.stored_only
            else:
                return self._request_lookup(plan, entities, as_of, exposure)
        rows = _entity_rows(entities, plan.entity_names, plan.entity_kinds)
        reads = [(vp.view.name, [_key(vp, plan.entity_names, row) for row in rows])
                 for vp in plan.views]
        return _Lookup(plan, rows, reads, _now_micros(as_of), exposure)

    def _request_lookup(self, plan: _Plan, entities: Any, as_of: datetime | None,
                        exposure: str | None) -> _Lookup:
        """A lookup with request-time views: request fields split from the keys and
        checked; chained stored features read in the same store call."""
        keys, fields, count = plan.request.split(entities, plan.entity_names)
        stored = (_entity_rows(keys, plan.entity_names, plan.entity_kinds) if plan.views
                  else [()] * count)
        extra = [name for name in plan.request.entity_names if name not in plan.entity_names]
        rows = [(*row, *values) for row, values
                in zip(stored, zip(*(fields[n] for n in extra), strict=True) if extra
                              else [()] * count,
                       strict=True)]
        reads = [(vp.view.name, [_key(vp, plan.entity_names, row) for row in stored])
                 for vp in plan.views]
        for vp in plan.chained:
            kinds = list(zip(vp.view.entities, vp.key_kinds, strict=True))
            try:
                reads.append((vp.view.name, [
                    encode_key([coerce_key(k, kind, fields[k][i]) for k, kind in kinds])
                    for i in range(count)]))
            except EntityKeyError as error:
                raise OnlineRequestError(str(error)) from None
        return _Lookup(plan, rows, reads, _now_micros(as_of), exposure, fields)

    def _answer(self, lookup: _Lookup, snapshots: Sequence[ViewSnapshot],
                inline: bool = False, streams: list[Any] | None = None
                ) -> OnlineColumns:
        plan = lookup.plan
        if lookup.request is not None:
            return self._request_answer(lookup, snapshots, inline, streams)
        columns: list[FeatureColumn] = []
        for index, (vp, snapshot) in enumerate(zip(plan.views, snapshots, strict=True)):
            columns.extend(self._view_columns(vp, snapshot, lookup.now,
                                              streams[index] if streams else None))
        return OnlineColumns(plan.refs, list(plan.entity_names), lookup.rows, columns,
                             plan.ref_views, lookup.exposure, plan.offline_views)

    def _request_answer(self, lookup: _Lookup, snapshots: Sequence[ViewSnapshot],
                        inline: bool = False, streams: list[Any] | None = None
                        ) -> OnlineColumns:
        plan = lookup.plan
        stored = len(plan.views)
        merged = streams or [None] * len(snapshots)
        by_view = {vp.view.name: self._view_columns(vp, snapshot, lookup.now, merged[i])
                   for i, (vp, snapshot) in enumerate(zip(plan.views, snapshots[:stored],
                                                          strict=True))}
        chained = {}
        for i, (vp, snapshot) in enumerate(zip(plan.chained, snapshots[stored:], strict=True)):
            columns = self._view_columns(vp, snapshot, lookup.now, merged[stored + i])
            for name, column in zip(vp.features, columns, strict=True):
                chained[(vp.view.name, name)] = column.values
        by_view.update(plan.request.compute(lookup.request, chained, inline))
        columns = [column for name in plan.view_order for column in by_view[name]]
        names = [*plan.entity_names,
                 *(n for n in plan.request.entity_names if n not in plan.entity_names)]
        return OnlineColumns(plan.refs, names, lookup.rows, columns, plan.ref_views,
                             lookup.exposure, plan.offline_views)

    # --- planning (cached per feature list) -------------------------------------------

    def plan(self, features: Sequence[str] | None, exposure: str | None) -> _Plan:
        if (features is None) == (exposure is None):
            raise OnlineRequestError("give either features (a list of 'view:feature' or "
                                     "'view') or exposure (an ml exposure name), not both")
        cache_key = ("exposure", exposure) if exposure is not None else ("features", *features)
        with self._lock:
            cached = self._plans.get(cache_key)
            if cached is not None:
                self._plans.move_to_end(cache_key)
                return cached
        try:
            if exposure is not None:
                resolved = self.catalog.resolve_service(exposure)
            else:
                if isinstance(features, str) or not features:
                    raise OnlineRequestError("features must be a non-empty list of "
                                             "'view:feature' references")
                resolved = self.catalog.resolve(features)
        except FeatureopsError as error:
            raise OnlineRequestError(str(error)) from None
        plan = self._build_plan(resolved, from_service=exposure is not None)
        with self._lock:
            self._plans[cache_key] = plan
            while len(self._plans) > self.plan_cache_size:
                self._plans.popitem(last=False)
        return plan

    def _build_plan(self, resolved: Mapping[str, Any], from_service: bool) -> _Plan:
        views, refs, offline, request_views, order = [], [], [], [], []
        entity_kinds: dict[str, Kind] = {}
        for name, features in resolved.items():
            view = self.catalog.view(name)
            if view.spec.request_time is not None:
                request_views.append((view, features))
                refs.extend(f.ref for f in features)
                order.append(name)
                continue
            if not view.spec.online:
                if from_service:
                    offline.append(name)
                    continue
                raise not_online(name)
            kinds = tuple(key_kind(view, key) for key in view.entities)
            sla = view.spec.sla
            views.append(_ViewPlan(view, tuple(f.name for f in features), kinds,
                                   view.spec.ttl_delta, sla.freshness_delta if sla else None,
                                   self._streaming(view)))
            refs.extend(f.ref for f in features)
            order.append(name)
            for key, kind in zip(view.entities, kinds, strict=True):
                entity_kinds.setdefault(key, kind)
        if not views and not request_views:
            raise OnlineRequestError("none of the requested feature views is online")
        plan = _Plan(tuple(views), refs, tuple(entity_kinds), tuple(entity_kinds.values()),
                     offline, [ref.partition(":")[0] for ref in refs],
                     streams=any(vp.streaming is not None for vp in views))
        if not request_views:
            return plan
        return self._with_request_views(plan, request_views, tuple(order), from_service)

    def _with_request_views(self, plan: _Plan, chosen: list[Any], order: tuple[str, ...],
                            from_service: bool) -> _Plan:
        from dataclasses import replace

        from featureops.request_time.serving import RequestPlan

        try:
            request = RequestPlan.build(chosen, self.catalog, self._executor)
            chained = []
            for name, features in request.chained_reads().items():
                view = self.catalog.view(name)
                if not view.spec.online:
                    raise not_online(name)
                sla = view.spec.sla
                chained.append(_ViewPlan(
                    view, tuple(features), tuple(key_kind(view, k) for k in view.entities),
                    view.spec.ttl_delta, sla.freshness_delta if sla else None,
                    self._streaming(view)))
        except FeatureopsError as error:
            raise OnlineRequestError(str(error)) from None
        stored_only = None
        if from_service and plan.views:
            skipped = {view.name for view, _ in chosen}
            refs = [ref for ref in plan.refs if ref.partition(":")[0] not in skipped]
            stored_only = replace(plan, refs=refs, ref_views=[r.partition(":")[0] for r in refs],
                                  offline_views=[*plan.offline_views, *sorted(skipped)])
        streams = plan.streams or any(vp.streaming is not None for vp in chained)
        return replace(plan, request=request, chained=tuple(chained), view_order=order,
                       stored_only=stored_only, streams=streams)

    def _streaming(self, view: FeatureView) -> Any:
        """The view's StreamingView, or None when it does not stream."""
        if view.spec.streaming is None:
            return None
        from featureops.streaming.windows import batch_only, streaming_view  # sqlglot: lazily

        if batch_only(self.catalog.manifest):
            return None
        try:
            return streaming_view(self.catalog.manifest, view)
        except FeatureopsError as error:
            raise OnlineRequestError(str(error)) from None

    def _executor(self, view: FeatureView, schema: Any) -> Any:
        """The view's executor, made once per client (its lookups copied once)."""
        from featureops.request_time.executor import RequestTimeExecutor
        from featureops.request_time.lookups import WarehouseLookups

        with self._lock:
            executor = self._executors.get(view.name)
        if executor is None:
            executor = RequestTimeExecutor(view.model, view.spec, self.catalog.manifest,
                                           WarehouseLookups(self.project), schema)
            with self._lock:
                executor = self._executors.setdefault(view.name, executor)
        return executor

    # --- decoding ---------------------------------------------------------------------

    def _codec(self, layout: RecordLayout) -> tuple[RecordCodec, dict[str, int]]:
        # by identity first: a store hands out the same layout object for a version, and
        # hashing the dataclass (every field spec) cost more than the lookup it served
        cached = self._codecs_by_id.get(id(layout))
        if cached is not None and cached[0].layout is layout:
            return cached
        cached = self._codecs.get(layout)
        if cached is None:
            cached = (RecordCodec(layout), {f.name: i for i, f in enumerate(layout.fields)})
        with self._lock:
            self._codecs[layout] = cached
            self._codecs_by_id[id(layout)] = cached
        return cached

    def _view_columns(self, vp: _ViewPlan, snapshot: ViewSnapshot, now: int,
                      merged: Any = None) -> list[FeatureColumn]:
        """The columns of one view's features: each record decoded once; the view's
        entities share one list of timestamps and one of statuses. A streaming view whose
        stream has started is answered as of ``now`` from both layers instead."""
        if merged is not None:
            return merged.columns(vp.features, snapshot, now, vp.freshness)
        count = len(snapshot.records)
        if snapshot.state is None:
            return [_missing(count) for _ in vp.features]
        codec, positions = self._codec(snapshot.state.layout)
        ttl = _micros(vp.ttl)
        fresh_status = PRESENT
        newest = snapshot.max_event_micros
        if vp.freshness is not None and (newest is None or now - newest > _micros(vp.freshness)):
            fresh_status = STALE
        present = [record for record in snapshot.records if record is not None]
        present_micros, fields_values = codec.decode_columns(present)
        served: list[int] = []  # per entity: its row among the decoded, or -1 (no value)
        events: list[datetime | None] = []
        micros: list[int | None] = []
        statuses: list[str] = []
        row = 0
        for record in snapshot.records:
            if record is None:
                served.append(-1)
                events.append(None)
                micros.append(None)
                statuses.append(NOT_FOUND)
                continue
            event_micros = present_micros[row]
            events.append(micros_to_datetime(event_micros))
            micros.append(event_micros)
            if ttl is not None and now - event_micros > ttl:
                served.append(-1)  # withheld: never served as present
                statuses.append(OUTSIDE_TTL)
            else:
                served.append(row)
                statuses.append(fresh_status)
            row += 1
        every_row = len(present) == count and -1 not in served
        fields = snapshot.state.layout.fields
        columns = []
        for name in vp.features:
            i = positions.get(name)
            if i is None:  # not in the version the store holds
                columns.append(_missing(count))
                continue
            values = fields_values[i]
            columns.append(FeatureColumn(
                values if every_row else [None if k < 0 else values[k] for k in served],
                events, statuses, fields[i].kind, micros))
        return columns


def _missing(count: int) -> FeatureColumn:
    nothing = [None] * count
    return FeatureColumn(nothing, nothing, [NOT_FOUND] * count, None, nothing)


def not_online(view: str) -> OnlineRequestError:
    return OnlineRequestError(
        f"feature view '{view}' is not online (meta.featureops.online is false); its "
        "features are not in the online store")


def _now_micros(as_of: datetime | None) -> int:
    """``as_of`` (or now) in microseconds since the epoch."""
    if as_of is None:
        return datetime_to_micros(datetime.now(timezone.utc))
    try:
        return datetime_to_micros(to_utc(as_of))
    except OverflowError:  # 0001-01-01T00:00:00+14:00 is before the first UTC instant
        raise OnlineRequestError(f"as_of {as_of.isoformat()} is out of range in UTC (years "
                                 "1 to 9999)") from None


def _micros(delta: timedelta | None) -> int | None:
    return None if delta is None else int(delta.total_seconds() * 1_000_000)


def key_kind(view: FeatureView, key: str) -> Kind:
    column = view.model.columns.get(key)
    data_type = (column.data_type or "").lower() if column else ""
    return "int" if "int" in data_type else "string"


def _entity_rows(entities: Mapping[str, Sequence[Any]] | None, names: tuple[str, ...],
                 kinds: tuple[Kind, ...]) -> list[tuple[Any, ...]]:
    """One tuple of key values per entity, in ``names`` order, checked and coerced to the
    key columns' types."""
    if not isinstance(entities, Mapping) or not entities:
        raise OnlineRequestError("entities must be a mapping of entity key to a list of "
                                 f"values, for example {{\"{names[0]}\": [1, 2]}}")
    missing = [name for name in names if name not in entities]
    if missing:
        raise OnlineRequestError(f"entities lack key(s) {', '.join(missing)} needed by the "
                                 "requested features")
    unknown = [name for name in entities if name not in names]
    if unknown:
        raise OnlineRequestError(f"entity key(s) {', '.join(map(str, unknown))} belong to none "
                                 f"of the requested views (their keys: {', '.join(names)})")
    columns = []
    for name in names:
        column = entities[name]
        if isinstance(column, (str, bytes)) or not isinstance(column, Sequence):
            raise OnlineRequestError(f"entities.{name} must be a list of values")
        columns.append(column)
    lengths = {len(column) for column in columns}
    if len(lengths) != 1:
        sizes = ", ".join(f"{n}: {len(c)}" for n, c in zip(names, columns, strict=True))
        raise OnlineRequestError(f"every entity key list must have the same length, got {sizes}")
    if lengths == {0}:
        raise OnlineRequestError("entities: give at least one entity")
    try:
        return [tuple(coerce_key(name, kind, value)
                      for name, kind, value in zip(names, kinds, row, strict=True))
                for row in zip(*columns, strict=True)]
    except EntityKeyError as error:
        raise OnlineRequestError(str(error)) from None


def _key(vp: _ViewPlan, names: tuple[str, ...], row: tuple[Any, ...]) -> str:
    if len(names) == 1:
        return encode_key(row)
    return encode_key([row[names.index(key)] for key in vp.view.entities])


_clients: dict[tuple[str, str], OnlineFeatureClient] = {}


def get_online_features(features: Sequence[str] | None = None, exposure: str | None = None,
                        entities: Mapping[str, Sequence[Any]] | None = None,
                        project: Project | None = None,
                        as_of: datetime | None = None) -> OnlineFeatures:
    """Look up online features of ``project`` (default: located from the environment)
    with a client cached per project."""
    project = project or Project.locate()
    key = (str(project.project_dir), str(project.manifest_path))
    client = _clients.get(key)
    if client is None:
        client = _clients[key] = OnlineFeatureClient(project)
    return client.get_online_features(features, exposure, entities, as_of)
