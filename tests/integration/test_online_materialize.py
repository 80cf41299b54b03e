"""Materialization from the dbt-built DuckDB warehouse, checked against a pandas oracle,
through both stores; incremental runs, pushes, statuses and the consistency check."""

from __future__ import annotations

from datetime import timedelta

import duckdb
import pandas as pd
import pyarrow as pa
import pytest

from featureops.catalog import FeatureCatalog
from featureops.online import check_consistency, materialize, push_records
from featureops.online.sdk import OnlineFeatureClient
from featureops.online.warehouse import WarehouseError
from tests.integration.online_support import (
    END,
    drop_prefix,
    project_for,
    store_for,
)

pytestmark = pytest.mark.slow


@pytest.fixture(params=["sqlite", "redis", "redis-cluster"])
def store(request, tmp_path):
    cluster_env = request.getfixturevalue("redis_cluster") if "cluster" in request.param else ""
    created, _ = store_for(request.param, tmp_path, cluster_env)
    yield created
    drop_prefix(created)


@pytest.fixture
def project(duckdb_build, monkeypatch):
    return project_for(duckdb_build, monkeypatch)


def oracle(duckdb_build, view: str, end, ttl: timedelta) -> pd.DataFrame:
    """Latest row per entity with end - ttl < event_at <= end, computed with pandas."""
    with duckdb.connect(str(duckdb_build.duckdb_path), read_only=True) as conn:
        frame = conn.execute(f"select * from {view}").df()
    naive_end = END.replace(tzinfo=None) if end is END else end.replace(tzinfo=None)
    frame = frame[(frame.event_at <= naive_end) & (frame.event_at > naive_end - ttl)]
    key = frame.columns[0]
    return frame.sort_values("event_at").groupby(key).tail(1).set_index(key).sort_index()


def test_full_materialize_matches_the_oracle_and_is_consistent(project, store, duckdb_build):
    results = {r.view: r for r in materialize(project, store=store, end_time=END,
                                              progress=False)}
    catalog = FeatureCatalog.from_manifest(project.manifest)
    assert set(results) == {v.name for v in catalog.views.values() if v.spec.online}
    client = OnlineFeatureClient(project, store=store, catalog=catalog)
    for name in ("feat_user__spend_windows", "feat_merchant__profile"):
        view = catalog.view(name)
        expected = oracle(duckdb_build, name, END, view.spec.ttl_delta)
        assert results[name].rows == len(expected) > 100
        key = view.entities[0]
        found = client.get_online_features(features=[name],
                                           entities={key: list(expected.index)}, as_of=END)
        for i, entity in enumerate(expected.index):
            row = found.row(i)
            for feature in view.features:
                value = row[feature.ref]
                truth = expected.loc[entity, feature.name]
                assert value.event_at.replace(tzinfo=None) == expected.loc[entity, "event_at"]
                if isinstance(value.value, list):
                    assert value.value == pytest.approx(list(truth))
                elif pd.isna(truth):
                    assert value.value is None
                else:
                    assert value.value == truth, (entity, feature.name)
    report = check_consistency(project, store=store, sample=500)
    assert report.ok, [(v.view, v.problem, v.mismatches[:3]) for v in report.views]


def test_incremental_run_equals_a_full_run_and_reruns_are_idempotent(project, store):
    select = ["feat_user__profile", "feat_merchant__risk_windows"]
    first = END - timedelta(days=10)
    materialize(project, store=store, select=select, end_time=first, progress=False)
    watermark = store.live_state("feat_user__profile")
    results = materialize(project, store=store, select=select, end_time=END,
                          mode="incremental", progress=False)
    assert {r.mode for r in results} == {"incremental"} and all(r.rows > 0 for r in results)
    assert store.live_state("feat_user__profile").version == watermark.version
    assert store.live_state("feat_user__profile").end_time == END
    again = materialize(project, store=store, select=select, end_time=END, mode="incremental",
                        progress=False)
    assert {r.mode for r in again} == {"up_to_date"}
    client = OnlineFeatureClient(project, store=store)
    ids = list(range(1, 2001))
    incremental = client.get_online_features(features=["feat_user__profile"],
                                             entities={"user_id": ids}, as_of=END)
    materialize(project, store=store, select=select, end_time=END, progress=False)
    full = client.get_online_features(features=["feat_user__profile"],
                                      entities={"user_id": ids}, as_of=END)
    assert incremental.values == full.values
    assert check_consistency(project, store=store, select=["feat_user__profile"]).ok


def test_incremental_without_a_live_version_runs_full(project, store):
    (result,) = materialize(project, store=store, select=["feat_user__profile"],
                            end_time=END, mode="incremental", progress=False)
    assert result.mode == "full" and "no materialized version" in result.note


def test_statuses_follow_ttl_and_freshness(project, store):
    materialize(project, store=store, select=["feat_merchant__risk_windows"], end_time=END,
                progress=False)
    client = OnlineFeatureClient(project, store=store)
    request = {"features": ["feat_merchant__risk_windows:transaction_count_30d"],
               "entities": {"merchant_id": [1, 10_000_000]}}

    def statuses(as_of):
        found = client.get_online_features(**request, as_of=as_of)
        return [row[0].status for row in found.values], found.values[0][0].value

    assert statuses(END) == (["present", "not_found"], pytest.approx(statuses(END)[1]))
    # sla freshness 1d: the view's newest timestamp is END
    assert statuses(END + timedelta(hours=30))[0] == ["stale", "not_found"]
    # ttl 2d: beyond it the value is withheld
    late, value = statuses(END + timedelta(days=3))
    assert late == ["outside_ttl", "not_found"] and value is None


def test_push_records_newest_wins(project, store):
    materialize(project, store=store, select=["feat_user__profile"], end_time=END,
                progress=False)
    client = OnlineFeatureClient(project, store=store)
    view = client.catalog.view("feat_user__profile")
    before = client.get_online_features(features=["feat_user__profile"],
                                        entities={"user_id": [42]}, as_of=END).row(0)

    def record(when, tier):
        return pa.table({"user_id": [42], "event_at": pa.array([when], pa.timestamp("us")),
                         "signup_at": pa.array([when], pa.timestamp("us")),
                         "birth_year": pa.array([1990], pa.int32()),
                         "home_country_code": ["FR"], "home_region": ["Europe"],
                         "is_high_risk_home_country": [False], "card_tier": [tier],
                         "credit_limit_usd": [9000.0]})

    newer = END.replace(tzinfo=None) + timedelta(minutes=5)
    assert push_records(project, view, record(newer, "platinum"), store=store) == 1
    assert push_records(project, view, record(newer, "gold"), store=store) == 0
    old = END.replace(tzinfo=None) - timedelta(days=4000)
    assert push_records(project, view, record(old, "gold"), store=store) == 0
    after = client.get_online_features(features=["feat_user__profile"],
                                       entities={"user_id": [42]}, as_of=END).row(0)
    assert after["feat_user__profile:card_tier"].value == "platinum"
    assert after["feat_user__profile:card_tier"].event_at != before[
        "feat_user__profile:card_tier"].event_at
    with pytest.raises(Exception, match="lack column"):
        push_records(project, view, record(newer, "x").drop_columns(["card_tier"]), store=store)


def test_missing_warehouse_is_a_clear_error(project, store, monkeypatch, tmp_path):
    monkeypatch.setenv("FEATUREOPS_DUCKDB_PATH", str(tmp_path / "nope.duckdb"))
    with pytest.raises(WarehouseError, match="run `dbt build` first"):
        materialize(project, store=store, progress=False)
