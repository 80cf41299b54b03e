"""Monitoring end to end: the monitors fire on planted anomalies (a volume drop, a null
spike) and on a replayed drifting feature, stay silent on the stable demo data, agree with
NumPy/SciPy on the real skew, give the same answers on Postgres, and `featureops monitor`
exits accordingly."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from featureops.cli import run
from featureops.dbt_runner import run_dbt
from featureops.monitoring.results import Finding
from featureops.monitoring.summary import MonitoringSummary, summarize
from featureops.monitoring.warehouse import MonitoringWarehouse, open_warehouse
from featureops.project import Project
from tests.conftest import MONITORING_DRIFT, REPO_ROOT, BuiltProject, drop_schemas
from tests.unit.monitoring.oracles import compare_categories, compare_numeric, level

pytestmark = pytest.mark.slow

DRIFTED = MONITORING_DRIFT.split("=")[0]  # view:feature
WINDOW = (datetime(2026, 10, 25), datetime(2026, 11, 1))  # 7 days before the pinned "now"


@contextmanager
def warehouse_of(built: BuiltProject) -> Iterator[tuple[Project, MonitoringWarehouse]]:
    with pytest.MonkeyPatch.context() as patch:
        for name, value in built.env.items():  # the profile target dbt built with
            patch.setenv(name, value)
        project = Project.locate(REPO_ROOT, built.manifest_path)
        with open_warehouse(project) as warehouse:
            yield project, warehouse


def summary_of(built: BuiltProject, run_results: Path | None = None) -> MonitoringSummary:
    with warehouse_of(built) as (project, warehouse):
        return summarize(project, warehouse, str(run_results) if run_results else None)


def found(summary: MonitoringSummary, check: str) -> dict[tuple[str, str | None, str], Finding]:
    return {(f.model_name, f.column_name, f.metric_name or ""): f
            for f in summary.results.findings if f.check_name == check}


@pytest.fixture(scope="module")
def planted(monitored_build: BuiltProject) -> MonitoringSummary:
    return summary_of(monitored_build)


@pytest.fixture(scope="module")
def stable(duckdb_build: BuiltProject) -> MonitoringSummary:
    return summary_of(duckdb_build)


def test_the_monitoring_build_built_everything_and_kept_history(monitored_build) -> None:
    results = json.loads((monitored_build.target_dir / "run_results.json").read_text())
    models = [r for r in results["results"] if r["unique_id"].startswith("model.")]
    assert models and all(r["status"] == "success" for r in models)
    with warehouse_of(monitored_build) as (_, warehouse):
        builds = warehouse.query(
            f"select count(distinct build_id) as builds from "
            f"{warehouse.relation('monitoring__quality_metrics')}").column("builds")[0]
    assert builds.as_py() == 2  # one append per build: the history the trends read


def test_a_planted_volume_drop_is_critical(planted: MonitoringSummary) -> None:
    volume = found(planted, "volume_anomaly")
    for table in ("feat_transaction__context", "feat_user__spend_windows"):
        finding = volume[(table, None, "row_count")]
        assert finding.level == "critical"
        assert finding.score <= -4 and finding.observed_value < 0.5 * finding.expected_value
        assert finding.bucket_start == datetime(2026, 10, 31)
    # merchant risk windows are one row per merchant and day: the drop does not reach them
    assert ("feat_merchant__risk_windows", None, "row_count") not in volume


def test_a_planted_null_spike_is_critical(planted: MonitoringSummary) -> None:
    nulls = found(planted, "column_anomalies")
    finding = nulls[("feat_transaction__context", "device_type", "null_rate")]
    # kept: ids ending in 0, 1, 2; nulled: the even ones, two thirds of them
    assert finding.level == "critical" and finding.observed_value == pytest.approx(2 / 3, abs=0.05)
    assert finding.expected_value == 0
    # The drop itself empties many short windows: their averages and maxima turn null too.
    others = {key[1] for key in nulls if key[2] == "null_rate"} - {"device_type"}
    assert all(key[0] == "feat_user__spend_windows" for key in nulls if key[1] in others)
    assert others <= {f"amount_usd_{agg}_{window}" for agg in ("avg", "max")
                      for window in ("1h", "24h")}


def test_stable_data_raises_nothing(stable: MonitoringSummary) -> None:
    assert stable.results.findings == []
    statuses = {t.name: t.status for t in stable.results.monitoring_tests}
    # One dbt test per monitoring test kind (its rules run inside it) plus coverage.
    assert len(statuses) == 7 and set(statuses.values()) == {"pass"}
    assert stable.level == "ok"
    assert {h.table for h in stable.health} == {
        "feat_merchant__profile", "feat_merchant__risk_windows", "feat_transaction__context",
        "feat_user__profile", "feat_user__spend_windows"}


def _skew_oracle(warehouse: MonitoringWarehouse,
                 training_warehouse: MonitoringWarehouse | None = None) -> dict[str, str]:
    """The level of every served feature by NumPy/SciPy: the training set's column (from
    ``training_warehouse``, default the same) against the values served (present or stale)
    in the window, PSI 0.1 / 0.25."""
    source = training_warehouse or warehouse
    training = source.query(
        f"select * from {source.relation('train_fraud_detection__transactions')}"
    ).to_pandas()
    served = warehouse.query(
        f"select feature_view, feature, value_double, value_text from "
        f"{warehouse.relation('stg_featureops__serving_log')} "
        f"where service = 'fraud_detection_model' and status in ('present', 'stale') "
        f"and served_at >= '{WINDOW[0]}' and served_at < '{WINDOW[1]}'").to_pandas()
    levels = {}
    for (view, feature), rows in served.groupby(["feature_view", "feature"]):
        column = training[f"{view}__{feature}"]
        present = column.dropna()
        if pd.api.types.is_bool_dtype(column) or (len(present) and all(
                isinstance(v, (bool, np.bool_)) for v in present)):
            comparison = compare_categories(
                [None if pd.isna(v) else str(bool(v)).lower() for v in column],
                [None if pd.isna(v) else "true" if v == 1 else "false"
                 for v in rows["value_double"]])
        elif pd.api.types.is_numeric_dtype(column):
            comparison = compare_numeric(column.to_numpy(dtype=float),
                                         rows["value_double"].to_numpy(dtype=float))
        else:
            comparison = compare_categories([None if pd.isna(v) else v for v in column],
                                            [None if pd.isna(v) else v
                                             for v in rows["value_text"]])
        levels[f"{view}:{feature}"] = level(comparison.psi, 0.1, 0.25)
    return levels


def _skew_verdicts(summary: MonitoringSummary) -> dict[str, str]:
    flagged = {f.column_name: f.level for f in summary.results.findings
               if f.check_name == "training_serving_skew"}
    served = summary.snapshot.latest_skew
    window = served[served["grain"] == "window"]
    return {f"{r.feature_view}:{r.feature}": flagged.get(f"{r.feature_view}:{r.feature}", "ok")
            for r in window.itertuples()}


def test_skew_verdicts_match_numpy_and_the_drift_is_critical(monitored_build,
                                                             planted) -> None:
    with warehouse_of(monitored_build) as (_, warehouse):
        expected = _skew_oracle(warehouse)
    verdicts = _skew_verdicts(planted)
    assert len(verdicts) >= 20 and verdicts == expected
    assert verdicts[DRIFTED] == "critical"
    # The training set skips the warm-up weeks, so every feature that did not drift
    # is served like it was trained: only the planted drift is flagged.
    assert {name for name, verdict in verdicts.items() if verdict != "ok"} == {DRIFTED}
    # transaction context is request-time context (not online): never served, never compared
    assert not any(name.startswith("feat_transaction__context:") for name in verdicts)


def test_the_drift_grows_day_by_day(planted: MonitoringSummary) -> None:
    skew = planted.snapshot.latest_skew
    view, feature = DRIFTED.split(":")
    days = skew[(skew["grain"] == "day") & (skew["feature_view"] == view)
                & (skew["feature"] == feature)].sort_values("bucket_start")
    assert len(days) == 7
    psi = days["psi"].to_numpy()
    assert psi[0] < 0.1 < 0.25 < psi[-1] and np.all(np.diff(psi[[0, 2, 4, 6]]) > 0)
    assert days.iloc[-1].trend == "degrading"


def _monitor(built: BuiltProject, capsys, *args: str) -> tuple[int, str]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("FEATUREOPS_DUCKDB_PATH", str(built.duckdb_path))
        code = run(["monitor", "--project-dir", str(REPO_ROOT), "--manifest",
                    str(built.manifest_path), *args])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def test_monitor_exits_1_on_critical_findings_and_0_otherwise(monitored_build, duckdb_build,
                                                               capsys) -> None:
    code, output = _monitor(monitored_build, capsys)
    assert code == 1
    assert "CRITICAL" in output and DRIFTED.split(":")[1] in output and "device_type" in output
    assert _monitor(monitored_build, capsys, "--exit-zero")[0] == 0
    code, output = _monitor(duckdb_build, capsys)
    assert code == 0 and "no findings" in output


def test_monitor_json_lists_tables_and_findings(monitored_build, capsys) -> None:
    code, output = _monitor(monitored_build, capsys, "--json")
    data = json.loads(output)
    assert code == 1 and data["level"] == "critical"
    tables = {t["table"]: t for t in data["tables"]}
    assert tables["feat_user__spend_windows"]["checks"]["skew"] == "critical"
    assert tables["feat_transaction__context"]["checks"]["volume"] == "critical"
    assert {f["check_name"] for f in data["findings"]} >= {
        "volume_anomaly", "column_anomalies", "training_serving_skew", "distribution_drift"}


def test_monitor_explains_missing_results(duckdb_build, tmp_path, capsys) -> None:
    results = tmp_path / "run_results.json"
    results.write_text(json.dumps({"results": [], "args": {"which": "run"}}))
    code, output = _monitor(duckdb_build, capsys, "--run-results", str(results))
    assert code == 2 and "ran no featureops monitoring test" in output
    code, output = _monitor(duckdb_build, capsys, "--run-results", str(tmp_path / "none.json"))
    assert code == 2 and "no dbt run results" in output and "Traceback" not in output


# --- Postgres ------------------------------------------------------------------------------


def _latest(warehouse: MonitoringWarehouse, model: str, where: str, keys: list[str],
            values: list[str]) -> pd.DataFrame:
    frame = warehouse.query(f"select {', '.join(keys + values)} from "
                            f"{warehouse.relation(model)} where {where}").to_pandas()
    return frame.set_index(keys).sort_index()


def test_postgres_monitors_agree_with_duckdb(duckdb_build, postgres_build) -> None:
    compared: dict[str, Any] = {}
    for name, built in (("duckdb", duckdb_build), ("postgres", postgres_build)):
        with warehouse_of(built) as (_, warehouse):
            compared[name] = (
                _latest(warehouse, "monitoring__anomalies", "is_latest_bucket",
                        ["model_name", "column_name", "metric_name", "grain"],
                        ["metric_value", "z_score"]),
                _latest(warehouse, "monitoring__drift", "is_latest_bucket",
                        ["check_name", "column_name"],
                        ["psi", "jensen_shannon", "ks_statistic", "mean_shift_sd"]))
    for duck, postgres in zip(compared["duckdb"], compared["postgres"], strict=True):
        postgres = postgres.loc[duck.index]
        assert len(duck) > 30
        # Float sums of the feature values themselves differ in their last bits between
        # the engines; the statistics of them agree to 1e-9, and z-scores of constant
        # metrics (whose denominator is the 1e-6 relative floor) to 1e-5.
        np.testing.assert_allclose(postgres.to_numpy(dtype=float)[:, 0],
                                   duck.to_numpy(dtype=float)[:, 0], rtol=1e-9, atol=1e-9)
        np.testing.assert_allclose(postgres.to_numpy(dtype=float)[:, 1:],
                                   duck.to_numpy(dtype=float)[:, 1:], rtol=1e-9, atol=1e-5)
    statuses = {name: sorted((t.name, t.status) for t in summary_of(built).results
                             .monitoring_tests)
                for name, built in (("duckdb", duckdb_build), ("postgres", postgres_build))}
    assert statuses["duckdb"] == statuses["postgres"]


def test_postgres_reads_the_loaded_serving_log_and_agrees_with_numpy(
        monitored_build, postgres_build, tmp_path) -> None:
    from featureops.monitoring.serving_log import load_serving_log
    from tests.services import postgres_dsn

    files, rows = load_serving_log(Path(monitored_build.extra["serving_log"]), postgres_dsn(),
                                   schema=postgres_build.extra["raw_schema"], progress=False)
    assert files == 7 and rows > 50_000
    # The monitors over the log go into a schema of their own, deferring every other model
    # to the shared build, which other tests read in its own state (no serving log).
    schema = f"{postgres_build.extra['schema']}_served"
    served = BuiltProject(project_dir=REPO_ROOT, raw_dir=postgres_build.raw_dir,
                          target_dir=tmp_path / "target",
                          env={**postgres_build.env, "FEATUREOPS_PG_SCHEMA": schema},
                          vars_arg=postgres_build.vars_arg)
    try:
        served.dbt("build", "--select", "package:featureops", "--defer", "--state",
                   str(postgres_build.target_dir), check=False)
        summary = summary_of(served, served.target_dir / "run_results.json")
        with warehouse_of(served) as (_, warehouse), \
                warehouse_of(postgres_build) as (_, built):
            expected = _skew_oracle(warehouse, built)
    finally:
        drop_schemas(postgres_dsn(), [schema, f"{schema}_reference"])
    assert _skew_verdicts(summary) == expected and expected[DRIFTED] == "critical"


@pytest.mark.parametrize("extra, message", [
    (["--drift", "feat_user__profile:card_tier=2"], "the feature is text, not a number"),
    (["--drift", "feat_user__spend_windows:nope=2"], "not a served feature of this exposure"),
    (["--requests", "feat_user__profile"], "lacks column(s) merchant_id"),
    (["--end", "2020-01-01"], "has no rows between"),
    (["--exposure", "no_such_model"], "no ml exposure"),
])
def test_replay_refuses_bad_input_in_one_line(duckdb_build, tmp_path, capsys, extra,
                                              message) -> None:
    arguments = {"--exposure": "fraud_detection_model",
                 "--requests": "int_transactions__enriched"}
    for flag, value in zip(extra[::2], extra[1::2], strict=True):
        arguments[flag] = value
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("FEATUREOPS_DUCKDB_PATH", str(duckdb_build.duckdb_path))
        code = run(["replay", "--project-dir", str(REPO_ROOT), "--manifest",
                    str(duckdb_build.manifest_path), "--out", str(tmp_path), "--quiet",
                    *[item for pair in arguments.items() for item in pair]])
    captured = capsys.readouterr()
    assert code == 2 and message in captured.err and "Traceback" not in captured.err
    assert len(captured.err.strip().splitlines()) == 1
    assert not list(tmp_path.iterdir())  # nothing half-written


def test_drift_between_two_relations_matches_numpy(duckdb_build, tmp_path) -> None:
    """A drift check of one relation against another (not two windows of one)."""
    import duckdb

    from tests.unit.monitoring.oracles import compare_numeric

    inline = ("{{ featureops.drift_metrics([featureops.drift_check('users_vs_merchants', "
              "reference=ref('feat_merchant__risk_windows'), "
              "current=ref('feat_user__spend_windows'), "
              "columns=['transaction_count_7d', 'amount_usd_sum_7d'])]) }}")
    completed = run_dbt(["compile", "--inline", inline, "--output", "json", "--quiet",
                         "--target-path", str(tmp_path / "target"), "--log-path",
                         str(tmp_path / "logs"), "--vars", duckdb_build.vars_arg],
                        REPO_ROOT, env=duckdb_build.env)
    sql = json.loads(completed.stdout[completed.stdout.index("{"):])["compiled"]
    with duckdb.connect(str(duckdb_build.duckdb_path), read_only=True) as conn:
        rows = conn.execute(sql).df().set_index("column_name")
        for column in ("transaction_count_7d", "amount_usd_sum_7d"):
            expected = compare_numeric(
                conn.execute(f"select {column} from feat_merchant__risk_windows")
                .df()[column].to_numpy(dtype=float),
                conn.execute(f"select {column} from feat_user__spend_windows")
                .df()[column].to_numpy(dtype=float))
            assert rows.loc[column, "psi"] == pytest.approx(expected.psi, abs=1e-9)
            assert rows.loc[column, "ks_statistic"] == pytest.approx(expected.ks_statistic,
                                                                     abs=1e-9)
            assert rows.loc[column, "model_name"] == "feat_user__spend_windows"
            assert rows.loc[column, "reference_window"] == "all rows"
