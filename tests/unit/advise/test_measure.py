"""The measurements advise takes, on synthetic manifests, a DuckDB table, a serving log
and run_results written by the test, against brute-force counts and NumPy."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from featureops.advise import measure
from featureops.advise.settings import AdviseConfigError
from featureops.catalog import FeatureCatalog
from featureops.manifest import Manifest
from featureops.serving.log import SCHEMA

T0 = datetime(2026, 10, 1)


def catalog(block: dict | None = None, macros: list[str] | None = None,
            raw_code: str = "select 1") -> FeatureCatalog:
    from featureops.testing.manifests import ManifestBuilder

    builder = ManifestBuilder(database="memory")
    uid = builder.feature_view("v", block=block, raw_code=raw_code)
    builder.nodes[uid]["depends_on"]["macros"] = macros or []
    builder.model("train_v", depends_on=["v"], meta={"featureops": {
        "kind": "training_set", "exposure": "m", "timestamp": "predicted_at"}})
    return FeatureCatalog.from_manifest(Manifest.from_dict(builder.build()))


def test_stream_capability_from_depends_on_macros_or_the_code() -> None:
    by_macro = catalog(macros=[measure.WINDOWED_AGGREGATE]).view("v")
    assert measure.stream_capability(by_macro)[0] is True
    by_code = catalog(raw_code="{{ featureops.windowed_aggregate('sum', 'x', 'k', 't', '1h') }}")
    assert measure.stream_capability(by_code.view("v"))[0] is True
    plain = catalog(macros=["macro.featureops.cosine_similarity"]).view("v")
    assert measure.stream_capability(plain) == (
        False, "its SQL does not use featureops.windowed_aggregate")


class _Engine:
    def __init__(self, conn: duckdb.DuckDBPyConnection) -> None:
        self.conn = conn

    def to_arrow(self, sql: str) -> pa.Table:
        return self.conn.sql(sql).to_arrow_table()


@pytest.mark.parametrize("created", [True, False])
def test_row_profile_against_a_brute_force_count(created: bool) -> None:
    rng = random.Random(7)
    rows = []
    for index in range(3000):
        at = T0 + timedelta(seconds=rng.randrange(30 * 86_400))
        delay = timedelta(seconds=rng.choice([0, 30, 59, 60, 61, 600, 7200]))
        rows.append((index, at, at + delay))
    conn = duckdb.connect()
    table = pa.table({"user_id": [r[0] for r in rows], "event_at": [r[1] for r in rows],
                      "loaded_at": [r[2] for r in rows]})
    conn.register("rows", table)
    conn.execute("create table v as select * from rows")
    view = catalog({"created_timestamp": "loaded_at"} if created else None).view("v")
    rate, share = measure.row_profile(_Engine(conn), view, timedelta(days=7),
                                      timedelta(minutes=1))
    newest = max(r[1] for r in rows)
    recent = [r for r in rows if r[1] > newest - timedelta(days=7)]
    assert rate == pytest.approx(len(recent) / (7 * 86_400))
    if created:
        late = [r for r in recent if r[2] - r[1] > timedelta(minutes=1)]
        assert share == pytest.approx(len(late) / len(recent))
    else:
        assert share is None


def test_row_profile_over_less_data_than_the_window_uses_the_span() -> None:
    conn = duckdb.connect()
    conn.execute("create table v (user_id bigint, event_at timestamp)")
    conn.executemany("insert into v values (?, ?)",
                     [(1, T0), (2, T0 + timedelta(hours=1)), (3, T0 + timedelta(hours=2))])
    rate, _ = measure.row_profile(_Engine(conn), catalog().view("v"), timedelta(days=7),
                                  timedelta(minutes=1))
    assert rate == pytest.approx(2 / 7200)  # rows after the oldest, over the 2 h span
    conn.execute("delete from v")
    with pytest.raises(AdviseConfigError, match="holds no rows"):
        measure.row_profile(_Engine(conn), catalog().view("v"), timedelta(days=7),
                            timedelta(minutes=1))


def test_training_sets_on_the_view() -> None:
    cat = catalog()
    assert measure.trained_on(cat, cat.view("v")) == ("train_v",)


def test_served_ages_per_view_and_request(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    ages = rng.uniform(0, 86_400, size=400)
    columns: dict[str, list] = {name: [] for name in SCHEMA.names}

    def add(request: int, view: str, feature: str, age: float, status: str) -> None:
        served = T0 + timedelta(days=1)
        row = {"request_id": str(request), "served_at": served, "service": None,
               "feature_view": view, "feature": feature, "entity_key": '{"user_id":1}',
               "value_double": 1.0, "value_text": None, "status": status,
               "event_at": served - timedelta(seconds=float(age))}
        for name in SCHEMA.names:
            columns[name].append(row[name])

    for request, age in enumerate(ages):
        add(request, "a", "f1", age, "present")
        add(request, "a", "f2", age, "present")  # the same value of the request: once
        add(request, "b", "g", 5.0, "not_found")  # not served: left out
    pq.write_table(pa.table(columns, schema=SCHEMA), tmp_path / "serving_log_1_x.parquet")
    result = measure.served_ages(tmp_path)
    assert set(result) == {"a"}
    assert result["a"] == pytest.approx(np.percentile(ages, 95), rel=1e-9)
    with pytest.raises(AdviseConfigError, match="no serving log"):
        measure.served_ages(tmp_path / "empty")


def test_run_results_timings_and_builds() -> None:
    results = {"elapsed_time": 42.5, "results": [
        {"unique_id": "model.p.a", "status": "success", "execution_time": 1.0},
        {"unique_id": "model.p.v", "status": "success", "execution_time": 9.0},
        {"unique_id": "test.p.t", "status": "pass", "execution_time": 99.0},
        {"unique_id": "model.p.b", "status": "success", "execution_time": 3.0},
        {"unique_id": "model.p.c", "status": "success", "execution_time": 2.0}]}
    assert measure.invocation_timings(results) == (42.5, (("v", 9.0), ("b", 3.0), ("c", 2.0)))
    view = catalog().view("v")
    results["results"][1]["unique_id"] = view.model.unique_id
    assert measure.build_seconds(results, view) == 42.5
    results["results"][1]["status"] = "error"
    with pytest.raises(AdviseConfigError, match="no successful build"):
        measure.build_seconds(results, view)


def test_freshness_violations_count_only_the_views_freshness() -> None:
    history = [{"kind": "violation", "view": "v", "sla": "freshness_online"},
               {"kind": "violation", "view": "v", "sla": "freshness_warehouse"},
               {"kind": "violation", "view": "v", "sla": "completeness"},
               {"kind": "violation", "view": "w", "sla": "freshness_online"},
               {"kind": "build", "view": "v"}]
    assert measure.freshness_violations(history, "v") == 2
