"""Each advise rule on synthetic facts, on both sides of every threshold it reads (the
defaults of docs/advise.md unless a test sets its own)."""

from __future__ import annotations

import math

import pytest

from featureops.advise.facts import StoreFacts, ViewFacts, ViewSize, WarehouseFacts
from featureops.advise.rules import architecture, online_store, warehouse_engine
from featureops.advise.settings import GIB, AdviseSettings

T = AdviseSettings()
HOUR = 3600.0


def view(**changes) -> ViewFacts:
    """A streamable, online view with a 1 h SLA, a 5-minute build, 100 rows/s, nothing
    late, not trained on."""
    base = dict(view="v", online=True, request_time=False, sla_seconds=HOUR,
                ttl_seconds=30 * 86_400.0, can_stream=True, stream_evidence="windowed",
                streaming_declared=True, trained_on=(), rows_per_second=100.0,
                late_share=0.0, build_seconds=300.0, freshness_violations=0)
    return ViewFacts(**(base | changes))


# --- architecture ----------------------------------------------------------------------------


def test_request_time_views_need_no_pipeline() -> None:
    result = architecture(view(request_time=True, sla_seconds=1.0), T)
    assert (result.choice, result.rule) == ("request_time", "architecture.request_time")


def test_no_sla_is_batch() -> None:
    result = architecture(view(sla_seconds=None), T)
    assert (result.choice, result.rule) == ("batch", "architecture.no_freshness_sla")


@pytest.mark.parametrize(("sla", "choice"), [(HOUR + 300, "batch"),
                                             (HOUR + 299, "batch+speed_layer")])
def test_batch_staleness_is_interval_plus_build(sla: float, choice: str) -> None:
    # 1 h interval + 300 s build: an SLA of exactly that is kept, a second less is not
    result = architecture(view(sla_seconds=sla), T)
    assert result.choice == choice
    assert result.numbers["batch_staleness_seconds"] == HOUR + 300
    assert result.numbers["sla_seconds"] == sla


def test_batch_interval_threshold_is_configurable() -> None:
    loose = AdviseSettings(batch_interval="15m")
    assert architecture(view(sla_seconds=HOUR), loose).rule == "architecture.batch_keeps_sla"
    assert architecture(view(sla_seconds=HOUR), T).rule == "architecture.speed_layer"


def test_unknown_build_time_is_stated_not_assumed() -> None:
    result = architecture(view(sla_seconds=2 * HOUR, build_seconds=None,
                               unknown={"build_seconds": "no run_results.json"}), T)
    assert result.choice == "batch"
    assert "build time unknown" in result.reason and "under 1h" in result.reason
    assert result.unknown == {"build_seconds": "no run_results.json"}


def test_history_violations_flag_a_batch_schedule_not_kept() -> None:
    result = architecture(view(sla_seconds=2 * HOUR, freshness_violations=3), T)
    assert (result.choice, result.rule) == ("batch", "architecture.batch_misses_schedule")
    assert "3 freshness violation" in result.reason
    clean = architecture(view(sla_seconds=2 * HOUR, freshness_violations=0), T)
    assert clean.rule == "architecture.batch_keeps_sla"


def test_unknown_row_rate_gives_no_architecture() -> None:
    result = architecture(view(rows_per_second=None), T)
    assert (result.choice, result.rule) == ("unknown", "architecture.row_rate_unknown")


@pytest.mark.parametrize(("rate", "rule"), [
    (1 / HOUR, "architecture.speed_layer"),  # exactly one row per SLA period
    (0.99 / HOUR, "architecture.rows_rarer_than_sla")])
def test_min_rows_per_sla(rate: float, rule: str) -> None:
    result = architecture(view(rows_per_second=rate, trained_on=("t",)), T)
    assert result.rule == rule
    assert math.isclose(result.numbers["rows_per_sla"], rate * HOUR)


def test_views_whose_windows_cannot_stream_stay_batch_at_risk() -> None:
    result = architecture(view(can_stream=False, stream_evidence="no windowed_aggregate"), T)
    assert (result.choice, result.rule) == ("batch",
                                            "architecture.sla_needs_stream_not_streamable")
    assert "no windowed_aggregate" in result.reason


@pytest.mark.parametrize(("sla", "choice"), [(300.0, "stream_first"),
                                             (301.0, "batch+speed_layer")])
def test_stream_first_below(sla: float, choice: str) -> None:
    assert architecture(view(sla_seconds=sla), T).choice == choice


@pytest.mark.parametrize(("share", "choice"), [(0.01, "stream_first"),
                                               (0.0101, "batch+speed_layer"),
                                               (None, "batch+speed_layer")])
def test_max_late_share(share: float | None, choice: str) -> None:
    result = architecture(view(sla_seconds=60.0, late_share=share), T)
    assert result.choice == choice
    if choice != "stream_first":
        assert "late" in result.reason


def test_a_training_set_on_the_batch_rows_keeps_batch_the_source_of_truth() -> None:
    result = architecture(view(sla_seconds=60.0, trained_on=("train_x",)), T)
    assert result.choice == "batch+speed_layer"
    assert "train_x trains on its dbt-built rows" in result.reason


def test_an_undeclared_speed_layer_is_pointed_out() -> None:
    assert "declare meta.featureops.streaming" in architecture(
        view(streaming_declared=False), T).reason
    assert "declare" not in architecture(view(streaming_declared=True), T).reason


# --- online store ------------------------------------------------------------------------------


def sizes(entities: int, record: float | None = 100.0, redis: float | None = None,
          views: int = 1) -> tuple[ViewSize, ...]:
    return tuple(ViewSize(f"v{i}", entities, record, redis) for i in range(views))


def test_no_online_view_is_offline_only() -> None:
    assert online_store(StoreFacts("sqlite", ()), T).choice == "offline_only"


def test_an_unmeasured_view_leaves_the_store_unknown() -> None:
    facts = StoreFacts("sqlite", (ViewSize("v", None, None, None, "never materialized"),))
    result = online_store(facts, T)
    assert (result.choice, result.rule) == ("unknown", "online_store.sizes_unknown")
    assert result.unknown["size.v"] == "never materialized"


@pytest.mark.parametrize(("entities", "choice"), [(8 * GIB // 100, "sqlite"),
                                                  (8 * GIB // 100 + 1, "redis_cluster")])
def test_sqlite_max_bytes(entities: int, choice: str) -> None:
    # 8 GiB of records is 11.2 GiB in Redis with overheads: past one 16 GiB node at 30 %
    # headroom too
    result = online_store(StoreFacts("sqlite", sizes(entities)), T)
    assert result.choice == choice
    assert result.numbers["data_bytes"] == entities * 100.0


@pytest.mark.parametrize(("entities", "choice"), [(10, "sqlite"), (11, "redis")])
def test_sqlite_max_bytes_configured(entities: int, choice: str) -> None:
    result = online_store(StoreFacts("sqlite", sizes(entities)),
                          AdviseSettings(sqlite_max_bytes=1000))
    assert result.choice == choice


@pytest.mark.parametrize(("qps", "choice"), [(2000.0, "sqlite"), (2000.5, "redis")])
def test_sqlite_max_read_qps(qps: float, choice: str) -> None:
    assert online_store(StoreFacts("sqlite", sizes(1000), read_qps=qps), T).choice == choice


@pytest.mark.parametrize(("qps", "choice"), [(200.0, "sqlite"), (200.5, "redis")])
def test_sqlite_max_write_qps(qps: float, choice: str) -> None:
    assert online_store(StoreFacts("sqlite", sizes(1000), write_qps=qps), T).choice == choice


@pytest.mark.parametrize(("stream", "choice"), [(5000.0, "sqlite"), (5000.5, "redis")])
def test_sqlite_max_stream_qps(stream: float, choice: str) -> None:
    # stream events are applied in batches: a threshold of their own, beside the pushes'
    result = online_store(StoreFacts("sqlite", sizes(1000), write_qps=199.0,
                                     stream_write_qps=stream), T)
    assert result.choice == choice
    assert result.numbers["stream_write_qps"] == stream
    assert f"{stream:,.1f} stream events/s" in result.reason


@pytest.mark.parametrize(("extra", "warned"), [(0, False), (1, True)])
def test_twice_the_largest_view_must_fit_one_node(extra: int, warned: bool) -> None:
    # a full run writes the view's new version beside the old one on the view's node
    usable = 16 * GIB * 0.7
    per_key = (100 + 64) * 1.2
    entities = math.floor(usable / 2 / per_key) + extra
    result = online_store(StoreFacts("redis", sizes(entities), read_qps=5000.0), T)
    assert result.numbers["largest_view_full_run_bytes"] == pytest.approx(
        2 * entities * per_key)
    assert ("during a full run" in result.reason) == warned
    assert ("node_bytes_needed" in result.numbers) == warned
    if warned:
        assert result.numbers["node_bytes_needed"] == pytest.approx(
            2 * entities * per_key / 0.7)


def test_redis_projection_adds_key_name_overhead_and_fragmentation() -> None:
    size = ViewSize("v", 1000, 36.0, None, redis_key_bytes=40)
    result = online_store(StoreFacts("sqlite", (size,), read_qps=5000.0), T)
    assert result.choice == "redis"
    assert result.numbers["projected_redis_bytes"] == pytest.approx(
        1000 * (36 + 40 + 64) * 1.2)
    assert result.numbers["shards"] == 1


def test_measured_redis_bytes_are_used_as_they_are() -> None:
    result = online_store(StoreFacts("redis", sizes(1000, record=None, redis=150.0),
                                     read_qps=5000.0), T)
    assert result.numbers["projected_redis_bytes"] == pytest.approx(1000 * 150 * 1.2)
    assert result.numbers["views"][0]["bytes_per_entity"] == 150 - 64


def test_cluster_shards_for_memory() -> None:
    usable = 16 * GIB * 0.7
    per_key = (100 + 64) * 1.2
    fits_one = int(usable // per_key)
    # 5,000 reads/s rule SQLite out; memory alone decides the shards
    assert online_store(StoreFacts("redis", sizes(fits_one), read_qps=5000.0),
                        T).choice == "redis"
    result = online_store(StoreFacts("redis", sizes(fits_one + 1), read_qps=5000.0), T)
    assert (result.choice, result.numbers["shards"]) == ("redis_cluster", 2)
    assert result.numbers["shards_for_memory"] == 2


@pytest.mark.parametrize(("qps", "shards"), [(50_000.0, 1), (50_001.0, 2), (120_000.0, 3)])
def test_cluster_shards_for_reads(qps: float, shards: int) -> None:
    result = online_store(StoreFacts("redis", sizes(1000), read_qps=qps), T)
    assert result.numbers["shards"] == shards
    assert result.choice == ("redis" if shards == 1 else "redis_cluster")


def test_redis_headroom_threshold() -> None:
    per_key = (100 + 64) * 1.2
    entities = int(16 * GIB * 0.5 // per_key) + 1  # over half a node
    facts = StoreFacts("redis", sizes(entities), read_qps=5000.0)
    assert online_store(facts, AdviseSettings(redis_headroom=0.4)).numbers["shards"] == 1
    assert online_store(facts, AdviseSettings(redis_headroom=0.5)).numbers["shards"] == 2


# --- warehouse engine -----------------------------------------------------------------------


@pytest.mark.parametrize(("seconds", "choice"), [(1800.0, "duckdb"), (1800.5, "spark")])
def test_max_build_seconds(seconds: float, choice: str) -> None:
    result = warehouse_engine(WarehouseFacts("duckdb", 10 * GIB, seconds,
                                             (("big_model", seconds - 1),)), T)
    assert result.choice == choice
    assert "big_model" in result.reason


@pytest.mark.parametrize(("size", "choice"), [(1024 * GIB, "postgres"),
                                              (1024 * GIB + 1, "spark")])
def test_single_node_max_bytes(size: int, choice: str) -> None:
    assert warehouse_engine(WarehouseFacts("postgres", size, 60.0), T).choice == choice


def test_unmeasured_warehouse_is_stated() -> None:
    result = warehouse_engine(WarehouseFacts("duckdb", unknown={"build_seconds": "x"}), T)
    assert result.rule == "warehouse_engine.unmeasured"
    assert result.unknown == {"build_seconds": "x"}
