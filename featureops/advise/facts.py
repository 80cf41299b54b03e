"""The numbers the advise rules read, one dataclass per question. A field that could not
be measured is None and its reason is in ``unknown`` (field -> why): rules state it,
never fill it in."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class ViewFacts:
    """One feature view: what it declares and what was measured about it."""

    view: str
    online: bool
    request_time: bool
    sla_seconds: float | None  # sla.freshness; None: not declared
    ttl_seconds: float | None
    can_stream: bool  # its features are featureops.windowed_aggregate columns
    stream_evidence: str  # why can_stream is what it is
    streaming_declared: bool  # meta.featureops.streaming is set (the speed layer, #14)
    trained_on: tuple[str, ...] = ()  # training sets built from its dbt rows
    rows_per_second: float | None = None  # new feature rows/s over event_rate_window
    late_share: float | None = None  # rows later than late_after / rows
    build_seconds: float | None = None  # the dbt invocation that built it, end to end
    freshness_violations: int | None = None  # in the sla history
    served_age_p95_seconds: float | None = None  # serving log: served_at - event_at
    unknown: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ViewSize:
    """One online view in the store."""

    view: str
    entities: int | None  # records of the live version
    record_bytes: float | None  # mean key + record bytes (SQLite) per entity
    redis_bytes: float | None  # mean MEMORY USAGE per key (Redis), overheads included
    why: str = ""  # why the sizes are missing
    redis_key_bytes: int = 0  # key name Redis would add to the entity key (SQLite sizes)


@dataclass(frozen=True)
class StoreFacts:
    """The online store and the load on it."""

    store: str | None  # configured type (sqlite, redis, ...); None: not configured/open
    sizes: tuple[ViewSize, ...]
    read_qps: float | None = None
    latency_p50_seconds: float | None = None  # bucket upper bounds ("at most")
    latency_p99_seconds: float | None = None
    write_qps: float | None = None  # pushes per second
    #: Events/s the stream workers apply to the store: the streaming views' row rates in
    #: the warehouse (each event of a windowed view is one row and one write).
    stream_write_qps: float | None = None
    unknown: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class WarehouseFacts:
    """The dbt warehouse and its last build."""

    engine: str | None  # adapter type (duckdb, postgres, ...)
    database_bytes: int | None = None
    build_seconds: float | None = None  # run_results elapsed_time
    slowest_models: tuple[tuple[str, float], ...] = ()  # (model, execution seconds), top 3
    unknown: dict[str, str] = field(default_factory=dict)
