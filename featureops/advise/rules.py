"""The advise rules: pure functions from measured facts and thresholds to one
recommendation each, quoting the numbers used, the rule that fired and what would change
it. Documented rule by rule in docs/advise.md (keep the two in step)."""

from __future__ import annotations

import math
from typing import Any

from featureops.advise.facts import StoreFacts, ViewFacts, WarehouseFacts
from featureops.advise.recommendation import (
    Recommendation,
    bytes_text,
    rate_text,
    seconds_text,
)
from featureops.advise.settings import AdviseSettings

BATCH, LAMBDA, KAPPA, REQUEST_TIME, UNKNOWN = ("batch", "batch+speed_layer",
                                               "stream_first", "request_time", "unknown")
SQLITE, REDIS, REDIS_CLUSTER, OFFLINE_ONLY = "sqlite", "redis", "redis_cluster", "offline_only"
SPARK = "spark"


# --- 1. processing architecture per view --------------------------------------------------


def architecture(facts: ViewFacts, thresholds: AdviseSettings) -> Recommendation:
    """Batch, batch + speed layer (Lambda) or stream-first (Kappa) for one view."""
    interval = thresholds.seconds("batch_interval")
    staleness = interval + (facts.build_seconds or 0.0)
    sla = facts.sla_seconds
    events = None if sla is None or facts.rows_per_second is None else \
        facts.rows_per_second * sla
    numbers: dict[str, Any] = {
        "sla_seconds": sla, "ttl_seconds": facts.ttl_seconds,
        "batch_interval_seconds": interval, "build_seconds": facts.build_seconds,
        "batch_staleness_seconds": staleness, "rows_per_second": facts.rows_per_second,
        "rows_per_sla": events, "can_stream": facts.can_stream,
        "streaming_declared": facts.streaming_declared, "late_share": facts.late_share,
        "trained_on": list(facts.trained_on),
        "freshness_violations": facts.freshness_violations,
        "served_age_p95_seconds": facts.served_age_p95_seconds}

    def make(choice: str, rule: str, reason: str, would_change: str) -> Recommendation:
        return Recommendation(facts.view, "architecture", choice, rule, reason, would_change,
                              numbers, dict(facts.unknown))

    if facts.request_time:
        return make(REQUEST_TIME, "architecture.request_time",
                    "computed per request from the caller's fields: as fresh as the request, "
                    "no pipeline keeps it",
                    "removing request_time makes it a stored view, judged by its SLA")
    if sla is None:
        return make(BATCH, "architecture.no_freshness_sla",
                    "no freshness SLA declared: nothing asks for more than batch",
                    "an sla.freshness under the batch staleness "
                    f"({seconds_text(staleness)})")
    built = (f"a build every {seconds_text(interval)} taking "
             f"{seconds_text(facts.build_seconds)}" if facts.build_seconds is not None else
             f"a build every {seconds_text(interval)} (build time unknown)")
    if sla >= staleness:
        return _batch_keeps(make, facts, sla, staleness, interval, built)
    late = (f"batch cannot keep the {seconds_text(sla)} SLA: {built} leaves values up to "
            f"{seconds_text(staleness)} old")
    if events is None:
        return make(UNKNOWN, "architecture.row_rate_unknown",
                    f"{late}; whether a fresher pipeline has anything to deliver depends on "
                    "the row rate, which is unknown",
                    "a measurable warehouse table (the row rate decides)")
    rate = rate_text(facts.rows_per_second or 0.0)
    if events < thresholds.min_events_per_sla:
        return make(BATCH, "architecture.rows_rarer_than_sla",
                    f"{late}, but only {events:.3g} new rows arrive per SLA period ({rate}, "
                    f"under {thresholds.min_events_per_sla:g}): no pipeline keeps the newest "
                    "timestamp that young; loosen the SLA to at least "
                    f"{seconds_text(staleness)}",
                    f"more than {thresholds.min_events_per_sla:g} new rows per SLA period")
    if not facts.can_stream:
        return make(BATCH, "architecture.sla_needs_stream_not_streamable",
                    f"{late} and {events:.3g} new rows arrive per SLA period ({rate}), but "
                    f"its features cannot be computed on a stream ({facts.stream_evidence}): "
                    "the SLA is at risk; loosen it to at least "
                    f"{seconds_text(staleness)} or write the windows with "
                    "featureops.windowed_aggregate",
                    "features written with featureops.windowed_aggregate (then a speed layer)")
    return _streaming(make, facts, thresholds, late, events, rate)


def _batch_keeps(make: Any, facts: ViewFacts, sla: float, staleness: float, interval: float,
                 built: str) -> Recommendation:
    would_change = f"an SLA under {seconds_text(staleness)}"
    if facts.build_seconds is None:
        keeps = (f"{built} keeps values within the {seconds_text(sla)} SLA while a build "
                 f"takes under {seconds_text(sla - interval)}")
    else:
        keeps = (f"{built} keeps values at most {seconds_text(staleness)} old, within the "
                 f"{seconds_text(sla)} SLA")
    if facts.freshness_violations:
        return make(BATCH, "architecture.batch_misses_schedule",
                    f"{keeps}, yet the sla history records {facts.freshness_violations} "
                    "freshness violation(s): the builds do not run on that schedule",
                    would_change)
    return make(BATCH, "architecture.batch_keeps_sla", keeps, would_change)


def _streaming(make: Any, facts: ViewFacts, thresholds: AdviseSettings, late: str,
               events: float, rate: str) -> Recommendation:
    sla = facts.sla_seconds or 0.0
    first = thresholds.seconds("stream_first_below")
    against = []  # why not stream-first
    if sla > first:
        against.append(f"the SLA is over {seconds_text(first)}")
    if facts.late_share is None:
        against.append("the late-arrival share is unknown")
    elif facts.late_share > thresholds.max_late_share:
        against.append(f"{facts.late_share:.2%} of rows arrive late (over "
                       f"{thresholds.max_late_share:.2%}): the batch layer corrects them")
    if facts.trained_on:
        against.append(f"{', '.join(facts.trained_on)} trains on its dbt-built rows: the "
                       "batch layer stays the source of truth")
    demand = f"{late}; {events:.3g} new rows arrive per SLA period ({rate})"
    declared = ("" if facts.streaming_declared else
                "; declare meta.featureops.streaming to run the speed layer")
    if not against:
        return make(KAPPA, "architecture.stream_first",
                    f"{demand}; the SLA is at most {seconds_text(first)}, "
                    f"{(facts.late_share or 0):.2%} of rows arrive late and no training set "
                    f"reads its batch rows: compute it on the stream and replay for "
                    f"backfills{declared}",
                    f"an SLA over {seconds_text(first)}, a late share over "
                    f"{thresholds.max_late_share:.2%} or a training set on its rows "
                    "(then batch + speed layer)")
    staleness = thresholds.seconds("batch_interval") + (facts.build_seconds or 0.0)
    return make(LAMBDA, "architecture.speed_layer",
                f"{demand}; its windows can stream: keep batch as the source of truth and "
                f"add a speed layer; not stream-first because {'; '.join(against)}{declared}",
                f"an SLA of at least {seconds_text(staleness)} (then batch); an SLA of at "
                f"most {seconds_text(first)} with a measured late share of at most "
                f"{thresholds.max_late_share:.2%} and no training set on its rows (then "
                "stream-first)")


# --- 2. online store ------------------------------------------------------------------------


def online_store(facts: StoreFacts, thresholds: AdviseSettings) -> Recommendation:
    """SQLite, one Redis, a Redis Cluster (with shards) or offline only."""
    numbers: dict[str, Any] = {
        "store": facts.store, "read_qps": facts.read_qps, "write_qps": facts.write_qps,
        "stream_write_qps": facts.stream_write_qps,
        "latency_p50_seconds_at_most": facts.latency_p50_seconds,
        "latency_p99_seconds_at_most": facts.latency_p99_seconds}
    unknown = dict(facts.unknown)

    def make(choice: str, rule: str, reason: str, would_change: str) -> Recommendation:
        return Recommendation("online store", "online_store", choice, rule, reason,
                              would_change, numbers, unknown)

    if not facts.sizes:
        return make(OFFLINE_ONLY, "online_store.no_online_views",
                    "no feature view is served online (online: true): no store is needed",
                    "a view with online: true")
    missing = [size for size in facts.sizes if size.entities is None
               or (size.record_bytes is None and size.redis_bytes is None)]
    for size in missing:
        unknown[f"size.{size.view}"] = size.why or "not measured"
    if missing:
        return make(UNKNOWN, "online_store.sizes_unknown",
                    "the size of " + ", ".join(s.view for s in missing) + " is unknown ("
                    + "; ".join(sorted({s.why or "not measured" for s in missing})) + ")",
                    "materialize every online view (featureops materialize), then rerun")
    views, data_bytes, redis_bytes = _sizes(facts, thresholds)
    numbers |= {"views": views, "entities": sum(v["entities"] for v in views),
                "data_bytes": data_bytes, "projected_redis_bytes": redis_bytes}
    load = _load_text(facts)
    over = []
    if data_bytes > thresholds.sqlite_max_bytes:
        over.append(f"{bytes_text(data_bytes)} of records (over "
                    f"{bytes_text(thresholds.sqlite_max_bytes)})")
    if facts.read_qps is not None and facts.read_qps > thresholds.sqlite_max_read_qps:
        over.append(f"{facts.read_qps:,.0f} reads/s (over {thresholds.sqlite_max_read_qps:,.0f})")
    if facts.write_qps is not None and facts.write_qps > thresholds.sqlite_max_write_qps:
        over.append(f"{facts.write_qps:,.0f} pushes/s (over "
                    f"{thresholds.sqlite_max_write_qps:,.0f})")
    stream = facts.stream_write_qps
    if stream is not None and stream > thresholds.sqlite_max_stream_qps:
        over.append(f"{stream:,.0f} stream events/s (over "
                    f"{thresholds.sqlite_max_stream_qps:,.0f})")
    to_redis = (f"records over {bytes_text(thresholds.sqlite_max_bytes)}, reads over "
                f"{thresholds.sqlite_max_read_qps:,.0f}/s, pushes over "
                f"{thresholds.sqlite_max_write_qps:,.0f}/s or stream events over "
                f"{thresholds.sqlite_max_stream_qps:,.0f}/s (then Redis)")
    if not over:
        numbers["headroom"] = 1 - data_bytes / thresholds.sqlite_max_bytes
        return make(SQLITE, "online_store.sqlite_fits",
                    f"{numbers['entities']:,} entities, {bytes_text(data_bytes)} of records "
                    f"({data_bytes / thresholds.sqlite_max_bytes:.2%} of "
                    f"{bytes_text(thresholds.sqlite_max_bytes)}); {load}: one SQLite file "
                    "serves it", to_redis)
    usable = thresholds.redis_node_bytes * (1 - thresholds.redis_headroom)
    by_memory = math.ceil(redis_bytes / usable)
    by_reads = math.ceil((facts.read_qps or 0.0) / thresholds.redis_max_qps_per_node)
    shards = max(by_memory, by_reads, 1)
    numbers |= {"shards": shards, "shards_for_memory": by_memory, "shards_for_reads": by_reads,
                "headroom": 1 - redis_bytes / (shards * thresholds.redis_node_bytes)}
    why = "; ".join(over)
    projected = (f"projected Redis memory {bytes_text(redis_bytes)} (x"
                 f"{thresholds.redis_fragmentation:g} allocator overhead), "
                 f"{numbers['headroom']:.0%} headroom on {shards} node(s) of "
                 f"{bytes_text(thresholds.redis_node_bytes)}")
    projected += _full_run_warning(views, usable, thresholds, numbers)
    if shards == 1:
        return make(REDIS, "online_store.single_redis",
                    f"SQLite is outgrown ({why}); {load}; {projected}",
                    f"projected memory over {bytes_text(usable)} or reads over "
                    f"{thresholds.redis_max_qps_per_node:,.0f}/s (then a Redis Cluster); "
                    f"records under {bytes_text(thresholds.sqlite_max_bytes)}, reads under "
                    f"{thresholds.sqlite_max_read_qps:,.0f}/s and pushes under "
                    f"{thresholds.sqlite_max_write_qps:,.0f}/s (then SQLite)")
    return make(REDIS_CLUSTER, "online_store.redis_cluster",
                f"SQLite is outgrown ({why}); {load}; {projected}: a Redis Cluster of "
                f"{shards} shards ({by_memory} for memory, {by_reads} for reads)",
                f"projected memory under {bytes_text(usable)} and reads under "
                f"{thresholds.redis_max_qps_per_node:,.0f}/s (then one Redis)")


def _sizes(facts: StoreFacts, thresholds: AdviseSettings
           ) -> tuple[list[dict[str, Any]], float, float]:
    """Per view sizes; total record bytes and projected Redis memory."""
    views = []
    data_total = redis_total = 0.0
    for size in sorted(facts.sizes, key=lambda s: s.view):
        entities = size.entities or 0
        if size.redis_bytes is not None:  # measured in Redis: overheads included
            per_key = size.redis_bytes
            record = size.record_bytes if size.record_bytes is not None else max(
                size.redis_bytes - thresholds.redis_key_overhead_bytes, 0.0)
        else:
            record = size.record_bytes or 0.0
            per_key = record + size.redis_key_bytes + thresholds.redis_key_overhead_bytes
        projected = entities * per_key * thresholds.redis_fragmentation
        views.append({"view": size.view, "entities": entities, "bytes_per_entity": record,
                      "projected_redis_bytes": projected,
                      "measured_in": "redis" if size.redis_bytes is not None else "sqlite"})
        data_total += entities * record
        redis_total += projected
    return views, data_total, redis_total


def _full_run_warning(views: list[dict[str, Any]], usable: float,
                      thresholds: AdviseSettings, numbers: dict[str, Any]) -> str:
    """A full run writes a view's new version beside the old one, and a view is one hash
    slot (ADR 0028): twice the largest view must fit one node, whatever the shard count."""
    largest = max(views, key=lambda v: v["projected_redis_bytes"])
    peak = 2 * largest["projected_redis_bytes"]
    numbers["largest_view_full_run_bytes"] = peak
    if peak <= usable:
        return ""
    needed = peak / (1 - thresholds.redis_headroom)
    numbers["node_bytes_needed"] = needed
    return (f"; but {largest['view']} takes {bytes_text(peak)} on one node during a full "
            f"run (old and new version; a view is never split across nodes), over a node's "
            f"usable {bytes_text(usable)}: nodes of at least {bytes_text(needed)}")


def _load_text(facts: StoreFacts) -> str:
    reads = ("read QPS unknown" if facts.read_qps is None
             else f"{facts.read_qps:,.1f} reads/s")
    if facts.latency_p99_seconds is not None:
        reads += f", p99 at most {seconds_text(facts.latency_p99_seconds)}"
    writes = ("push rate unknown" if facts.write_qps is None
              else f"{facts.write_qps:,.1f} pushes/s")
    if facts.stream_write_qps is not None:
        writes += f", {facts.stream_write_qps:,.1f} stream events/s"
    return f"{reads}, {writes}"


# --- 3. warehouse engine ------------------------------------------------------------------


def warehouse_engine(facts: WarehouseFacts, thresholds: AdviseSettings) -> Recommendation:
    """Keep the current engine, or move to a distributed one (Spark)."""
    numbers: dict[str, Any] = {
        "engine": facts.engine, "database_bytes": facts.database_bytes,
        "build_seconds": facts.build_seconds,
        "slowest_models": [{"model": m, "seconds": s} for m, s in facts.slowest_models]}

    def make(choice: str, rule: str, reason: str, would_change: str) -> Recommendation:
        return Recommendation("warehouse", "warehouse_engine", choice, rule, reason,
                              would_change, numbers, dict(facts.unknown))

    if facts.build_seconds is None and facts.database_bytes is None:
        return make(facts.engine or UNKNOWN, "warehouse_engine.unmeasured",
                    "neither the build time nor the warehouse size could be measured",
                    "a run_results.json and a readable warehouse")
    slowest = ", ".join(f"{m} {seconds_text(s)}" for m, s in facts.slowest_models)
    build = ("build time unknown" if facts.build_seconds is None else
             f"the last dbt build took {seconds_text(facts.build_seconds)}"
             + (f" (slowest: {slowest})" if slowest else ""))
    size = ("warehouse size unknown" if facts.database_bytes is None else
            f"the warehouse holds {bytes_text(facts.database_bytes)}")
    limits = (f"{seconds_text(thresholds.max_build_seconds)} of build or "
              f"{bytes_text(thresholds.single_node_max_bytes)} of data")
    over = (facts.build_seconds is not None
            and facts.build_seconds > thresholds.max_build_seconds) or (
        facts.database_bytes is not None
        and facts.database_bytes > thresholds.single_node_max_bytes)
    postgres = ("Postgres would add concurrent readers and writers (DuckDB takes one writer "
                "per file), not faster builds")
    if over:
        return make(SPARK, "warehouse_engine.outgrown_single_node",
                    f"{build}; {size}: over {limits}, one node is outgrown; a distributed "
                    f"engine (Spark) spreads the slowest models; {postgres}",
                    f"builds under {seconds_text(thresholds.max_build_seconds)} and data "
                    f"under {bytes_text(thresholds.single_node_max_bytes)} (then one node)")
    engine = facts.engine or UNKNOWN
    return make(engine, "warehouse_engine.fits_one_node",
                f"{build}; {size}: under {limits}, {engine} on one node keeps up; {postgres}",
                f"a build over {seconds_text(thresholds.max_build_seconds)} or data over "
                f"{bytes_text(thresholds.single_node_max_bytes)} (then Spark)")
