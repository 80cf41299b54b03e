"""The monitoring statistics computed in SQL, checked against NumPy/SciPy on known
distributions, on DuckDB and on Postgres: PSI (quantile bins, smoothed empty bins),
Jensen-Shannon distance, the two-sample KS statistic, the mean shift, the anomaly z-scores
and the schema diff. The macros are compiled by dbt from the real project (`dbt compile
--inline`) and run on tables of known values."""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from featureops.dbt_runner import run_dbt
from tests.conftest import REPO_ROOT
from tests.unit.monitoring.oracles import (
    Comparison,
    compare_categories,
    compare_numeric,
    z_scores,
)

pytestmark = pytest.mark.slow

BINS = 10
EPSILON = 1e-4
TOLERANCE = 1e-9


def _distributions() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Reference and current values of several series, with nulls, ties, empty bins and
    categories seen on one side only."""
    rng = np.random.default_rng(7)
    reference, current = [], []

    def numeric(series: str, ref: np.ndarray, buckets: dict[str, np.ndarray]) -> None:
        reference.append(pd.DataFrame({"series": series, "numeric_value": ref,
                                       "category_value": None}))
        for bucket, values in buckets.items():
            current.append(pd.DataFrame({"series": series, "bucket": bucket,
                                         "numeric_value": values, "category_value": None}))

    def categorical(series: str, ref: np.ndarray, buckets: dict[str, np.ndarray]) -> None:
        reference.append(pd.DataFrame({"series": series, "numeric_value": np.nan,
                                       "category_value": ref}))
        for bucket, values in buckets.items():
            current.append(pd.DataFrame({"series": series, "bucket": bucket,
                                         "numeric_value": np.nan, "category_value": values}))

    with_nulls = rng.normal(0, 1, 5000)
    with_nulls[::50] = np.nan
    numeric("normal", with_nulls, {"same": rng.normal(0, 1, 3000),
                                   "shifted": rng.normal(0.5, 1.3, 3000)})
    numeric("lognormal", rng.lognormal(0, 1, 4000), {"b": rng.lognormal(0.3, 1.2, 2500)})
    # Many ties: several quantiles coincide, so fewer than 10 bins.
    numeric("poisson", rng.poisson(2, 4000).astype(float), {"b": rng.poisson(3, 1500)
                                                            .astype(float)})
    # The current side sits mostly above the reference: most bins are empty there.
    numeric("empty_bins", rng.uniform(0, 1, 3000), {"b": rng.uniform(0.95, 1.5, 800)})
    categorical("categories", rng.choice(["a", "b", "c"], 3000, p=[0.5, 0.3, 0.2]),
                {"b": rng.choice(["a", "b", "d"], 1200, p=[0.4, 0.4, 0.2])})
    return pd.concat(reference, ignore_index=True), pd.concat(current, ignore_index=True)


def _expected(reference: pd.DataFrame, current: pd.DataFrame, series: str,
              bucket: str) -> Comparison:
    ref = reference[reference["series"] == series]
    cur = current[(current["series"] == series) & (current["bucket"] == bucket)]
    if ref["numeric_value"].notna().any():
        return compare_numeric(ref["numeric_value"].to_numpy(dtype=float),
                               cur["numeric_value"].to_numpy(dtype=float), BINS, EPSILON)
    return compare_categories(list(ref["category_value"]), list(cur["category_value"]),
                              EPSILON)


# --- running compiled macros on each engine ---------------------------------------------


@dataclass
class Engine:
    name: str
    load: Callable[[str, pd.DataFrame], None]
    query: Callable[[str], pd.DataFrame]
    sql: dict[str, str]  # the macros under test, compiled by dbt for this engine


# One `dbt compile` per engine renders every macro under test; the parts are split apart.
_SPLIT = "-- featureops-test-split"


def _macro_calls(qualify: Callable[[str], str]) -> dict[str, str]:
    return {
        "comparison": f"featureops.distribution_comparison('{qualify('reference_values')}', "
                      f"'{qualify('current_values')}', ['series'], ['bucket'], bins={BINS}, "
                      f"epsilon={EPSILON})",
        "anomalies": f"featureops.metric_anomalies('{qualify('quality_history')}', "
                     "training_window=14, min_training_size=7)",
        "schema_changes": f"featureops.schema_changes('{qualify('schema_history')}')",
    }


def _compile(tmp: Path, env: dict[str, str], qualify: Callable[[str], str]) -> dict[str, str]:
    calls = _macro_calls(qualify)
    inline = f"\n{_SPLIT}\n".join(f"{{{{ {call} }}}}" for call in calls.values())
    completed = run_dbt(["compile", "--inline", inline, "--output", "json", "--quiet",
                         "--target-path", str(tmp / "target"), "--log-path",
                         str(tmp / "logs")], REPO_ROOT, env=env)
    text = completed.stdout
    parts = json.loads(text[text.index("{"):])["compiled"].split(_SPLIT)
    return dict(zip(calls, parts, strict=True))


@pytest.fixture(scope="module", params=["duckdb", "postgres"])
def engine(request: pytest.FixtureRequest,
           tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    tmp = tmp_path_factory.mktemp(f"monitoring_statistics_{request.param}")
    if request.param == "duckdb":
        yield from _duckdb_engine(tmp)
    else:
        yield from _postgres_engine(tmp)


def _duckdb_engine(tmp: Path) -> Iterator[Engine]:
    import duckdb

    # dbt compiles against its own file: this one stays open for the data.
    sql = _compile(tmp, {"FEATUREOPS_TARGET": "dev",
                         "FEATUREOPS_DUCKDB_PATH": str(tmp / "compile.duckdb")}, str)
    conn = duckdb.connect(str(tmp / "statistics.duckdb"),
                          config={"autoinstall_known_extensions": False})

    def load(name: str, frame: pd.DataFrame) -> None:
        conn.register("frame_view", frame)
        conn.execute(f"create or replace table {name} as select * from frame_view")
        conn.unregister("frame_view")

    yield Engine("duckdb", load, lambda query: conn.execute(query).df(), sql)
    conn.close()


def _postgres_engine(tmp: Path) -> Iterator[Engine]:
    from tests.services import require_postgres

    dsn = require_postgres()
    import psycopg2
    from psycopg2 import sql as pgsql
    from psycopg2.extras import execute_values

    schema = f"featureops_test_monstats_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    sql = _compile(tmp, {"FEATUREOPS_TARGET": "postgres", "FEATUREOPS_PG_SCHEMA": schema},
                   lambda name: f'"{schema}"."{name}"')
    conn = psycopg2.connect(**dsn)
    conn.autocommit = True
    with conn.cursor() as cursor:
        cursor.execute(pgsql.SQL("create schema {}").format(pgsql.Identifier(schema)))
    def load(name: str, frame: pd.DataFrame) -> None:
        columns = ", ".join(f'"{c}" {_postgres_type(t)}' for c, t in frame.dtypes.items())
        rows = [tuple(None if pd.isna(v) else (v.to_pydatetime() if isinstance(
            v, pd.Timestamp) else v) for v in row) for row in frame.itertuples(index=False)]
        with conn.cursor() as cursor:
            cursor.execute(f'create table "{schema}"."{name}" ({columns})')
            execute_values(cursor, f'insert into "{schema}"."{name}" values %s', rows,
                           page_size=5000)

    def query(sql: str) -> pd.DataFrame:
        with conn.cursor() as cursor:
            cursor.execute(sql)
            names = [d.name for d in cursor.description]
            return pd.DataFrame(cursor.fetchall(), columns=names)

    try:
        yield Engine("postgres", load, query, sql)
    finally:
        with conn.cursor() as cursor:
            cursor.execute(pgsql.SQL("drop schema {} cascade").format(pgsql.Identifier(schema)))
        conn.close()


def _postgres_type(dtype: Any) -> str:
    if pd.api.types.is_float_dtype(dtype):
        return "double precision"
    if pd.api.types.is_integer_dtype(dtype):
        return "bigint"
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return "timestamp"
    return "text"


# --- distributions -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def compared(engine: Engine) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    reference, current = _distributions()
    engine.load("reference_values", reference)
    engine.load("current_values", current)
    return engine.query(engine.sql["comparison"]), reference, current


def test_psi_jsd_ks_and_mean_shift_match_numpy_and_scipy(compared) -> None:
    result, reference, current = compared
    assert len(result) == 6
    for row in result.itertuples():
        expected = _expected(reference, current, row.series, row.bucket)
        where = f"{row.series}/{row.bucket}"
        assert row.psi == pytest.approx(expected.psi, abs=TOLERANCE), where
        assert row.jensen_shannon == pytest.approx(expected.jensen_shannon,
                                                   abs=TOLERANCE), where
        if expected.ks_statistic is None:
            assert pd.isna(row.ks_statistic) and pd.isna(row.mean_shift_sd), where
        else:
            assert row.ks_statistic == pytest.approx(expected.ks_statistic,
                                                     abs=TOLERANCE), where
            assert row.mean_shift_sd == pytest.approx(expected.mean_shift_sd,
                                                      abs=TOLERANCE), where


def test_bins_are_the_reference_quantiles_and_shares_sum_to_one(compared) -> None:
    result, reference, current = compared
    for row in result.itertuples():
        expected = _expected(reference, current, row.series, row.bucket)
        np.testing.assert_allclose(_floats(row.reference_shares),
                                   expected.reference_shares, atol=TOLERANCE)
        np.testing.assert_allclose(_floats(row.current_shares),
                                   expected.current_shares, atol=TOLERANCE)
        if expected.edges is not None:
            uppers = _floats(row.bin_upper_edges)
            assert np.isnan(uppers[-1])  # the last bin is open above
            np.testing.assert_allclose(uppers[:-1], expected.edges, atol=TOLERANCE)
            assert row.bin_count == len(expected.edges) + 1
    poisson = result[result["series"] == "poisson"].iloc[0]
    assert poisson.bin_count < BINS  # tied quantiles were merged, not repeated


def _floats(values: Any) -> np.ndarray:
    """A SQL array (a list, or a numpy masked array from DuckDB) as floats, NaN for nulls."""
    if isinstance(values, np.ma.MaskedArray):
        return values.astype(float).filled(np.nan)
    return np.array([np.nan if v is None else v for v in values], dtype=float)


def test_statistics_order_the_distributions_sensibly(compared) -> None:
    result = compared[0].set_index(["series", "bucket"])
    same, shifted = result.loc[("normal", "same")], result.loc[("normal", "shifted")]
    assert same.psi < 0.02 < 0.1 < shifted.psi
    assert same.ks_statistic < shifted.ks_statistic
    assert result.loc[("empty_bins", "b")].psi > 1  # smoothing keeps it finite, and huge
    assert result.loc[("categories", "b")].distribution_kind == "categorical"


# --- anomaly z-scores ----------------------------------------------------------------------


def _history() -> pd.DataFrame:
    """28 daily buckets of four metrics: noisy counts, a constant null rate that breaks on
    the last day, a constant count that moves by one, a noisy mean."""
    rng = np.random.default_rng(3)
    start = datetime(2026, 10, 4)
    series = {
        ("feat_a", None, "row_count"): list(rng.normal(500, 40, 28).round()),
        ("feat_a", "x", "null_rate"): [0.0] * 27 + [0.2],
        ("feat_a", "x", "distinct_count"): [24.0] * 27 + [23.0],
        ("feat_b", "y", "mean"): list(rng.normal(10, 2, 28)),
    }
    rows = []
    for (model, column, metric), values in series.items():
        for day, value in enumerate(values):
            bucket = start + timedelta(days=day)
            rows.append({"build_id": "b1", "measured_at": datetime(2026, 11, 1, 5),
                         "monitoring_now": datetime(2026, 11, 1), "model_name": model,
                         "column_name": column, "metric_name": metric, "grain": "day",
                         "bucket_start": bucket, "bucket_end": bucket + timedelta(days=1),
                         "metric_value": float(value), "metric_text": None})
    return pd.DataFrame(rows)


def test_anomaly_z_scores_match_numpy(engine: Engine) -> None:
    history = _history()
    engine.load("quality_history", history)
    scored = engine.query(engine.sql["anomalies"])
    for (model, _column, metric), rows in history.groupby(
            ["model_name", "column_name", "metric_name"], dropna=False, sort=False):
        expected = z_scores(list(rows["metric_value"]), metric, 14, 7)
        got = scored[(scored["model_name"] == model) & (scored["metric_name"] == metric)] \
            .sort_values("bucket_start")
        for want, have in zip(expected, got["z_score"], strict=True):
            if want is None:
                assert pd.isna(have)
            else:
                assert have == pytest.approx(want, rel=1e-9, abs=TOLERANCE), (model, metric)
    latest = scored[scored["is_latest_bucket"].astype(bool)].set_index("metric_name")
    assert latest.loc["null_rate", "severity"] == "critical"  # 0 -> 20%: z = 200
    assert latest.loc["distinct_count", "severity"] == "low"  # 24 -> 23: one value
    assert bool(latest["measured_in_latest_build"].all())


# --- schema changes ------------------------------------------------------------------------


def test_schema_changes_between_the_two_latest_builds(engine: Engine) -> None:
    rows = []
    builds = {"b1": {"id": "bigint", "amount": "double", "old": "text"},
              "b2": {"id": "bigint", "amount": "varchar", "new": "boolean"},
              "b3": {"id": "bigint", "amount": "double", "newer": "date"}}
    for hour, (build, columns) in enumerate(builds.items()):
        for position, (column, data_type) in enumerate(columns.items(), 1):
            measured = datetime(2026, 11, 1, hour)
            rows.append({"build_id": build, "measured_at": measured,
                         "monitoring_now": measured, "model_name": "feat_a",
                         "column_name": column, "metric_name": "data_type", "grain": "build",
                         "bucket_start": measured, "bucket_end": measured,
                         "metric_value": float(position), "metric_text": data_type})
    # A relation measured once has nothing to compare with.
    rows.append({**rows[0], "model_name": "feat_single"})
    engine.load("schema_history", pd.DataFrame(rows))
    changes = engine.query(engine.sql["schema_changes"])
    found = {tuple(None if pd.isna(v) else v for v in (
        r.model_name, r.column_name, r.change_type, r.previous_type, r.current_type))
        for r in changes.itertuples()}
    # b3 against b2 only: b2's own changes against b1 are history.
    assert found == {("feat_a", "amount", "retyped", "varchar", "double"),
                     ("feat_a", "new", "removed", "boolean", None),
                     ("feat_a", "newer", "added", None, "date")}
