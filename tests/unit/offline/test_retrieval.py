"""get_historical_features / plan_training_set on the mini project: inputs, outputs, order,
options and every user mistake (one-line FeatureopsError naming what is wrong)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from featureops.catalog import UnknownFeatureError
from featureops.engines import WarehouseError
from featureops.engines.duckdb_engine import DuckDBEngine
from featureops.exceptions import FeatureopsError
from featureops.offline.errors import MacroRenderError, TrainingSetError
from featureops.offline.retrieval import get_historical_features, plan_training_set
from featureops.offline.warehouse import MEMORY_BUDGET_CAP_MB, default_memory_limit
from tests.unit.offline.oracle import point_in_time

PARIS = ZoneInfo("Europe/Paris")


def fetch(mini, spine, features=None, **kwargs):
    return get_historical_features(spine, features, project=mini.project,
                                   warehouse=mini.warehouse, output="arrow", **kwargs)


def expected(mini, spine_rows, names, full_names=False, **options):
    views = []
    for name in names:
        view = mini.views[name]
        aliases = {f: f"{name}__{f}" for f in view.features} if full_names else {}
        views.append(replace(view, aliases=aliases))
    return point_in_time(spine_rows, "event_timestamp", views, **options)


@pytest.mark.parametrize("options", [{}, {"exclusive": True},
                                     {"exclude_created_after": True}])
def test_matches_the_oracle_in_spine_order(mini_project, options) -> None:
    names = ["user_stats", "pair_affinity"]
    actual = fetch(mini_project, mini_project.spine_table(), names, **options).to_pylist()
    assert actual == expected(mini_project, mini_project.spine, names, **options)
    assert sum(row["spend"] is None for row in actual) not in (0, len(actual))


def test_pandas_spine_with_time_zone(mini_project) -> None:
    frame = pd.DataFrame(mini_project.spine)
    frame["event_timestamp"] = frame["event_timestamp"].dt.tz_localize("UTC").dt.tz_convert(
        PARIS)
    result = get_historical_features(frame, ["user_stats", "merchant_risk:risk"],
                                     project=mini_project.project,
                                     warehouse=mini_project.warehouse)
    assert isinstance(result, pd.DataFrame)
    assert str(result["event_timestamp"].dt.tz) == "Europe/Paris"  # the spine's, untouched
    spine = [row | {"event_timestamp": row["event_timestamp"].replace(
        tzinfo=timezone.utc).astimezone(PARIS)} for row in mini_project.spine]
    want = expected(mini_project, spine, ["user_stats"])
    got = [None if pd.isna(value) else value for value in result["spend"]]
    assert got == [row["spend"] for row in want]


def test_spine_files_and_models(mini_project, tmp_path) -> None:
    table = mini_project.spine_table()
    pq.write_table(table, tmp_path / "spine.parquet")
    pacsv.write_csv(table, tmp_path / "spine.csv")
    from_table = fetch(mini_project, table, ["merchant_risk:risk"])
    assert fetch(mini_project, str(tmp_path / "spine.parquet"), ["merchant_risk:risk"]).equals(
        from_table)
    from_csv = fetch(mini_project, tmp_path / "spine.csv", ["merchant_risk:risk"])
    assert from_csv.column("risk").equals(from_table.column("risk"))
    from_model = fetch(mini_project, "labels", ["merchant_risk:risk"]).to_pylist()
    # A model has no row order of its own: its rows come by timestamp, then by column.
    in_order = sorted(mini_project.spine, key=lambda r: (r["event_timestamp"], r["user_id"],
                                                         r["merchant_id"], r["label"]))
    risk_only = replace(mini_project.views["merchant_risk"], features=["risk"])
    assert from_model == point_in_time(in_order, "event_timestamp", [risk_only])


def test_exposure_features_and_name_collisions(mini_project) -> None:
    with pytest.raises(MacroRenderError, match="'spend' is requested from both 'user_stats' "
                                               "and 'merchant_risk'.*full_feature_names"):
        fetch(mini_project, mini_project.spine_table(), ["user_stats", "merchant_risk"])
    result = fetch(mini_project, mini_project.spine_table(), ["merchant_risk:spend"],
                   exposure="scorer", full_feature_names=True)
    # Views in first-mention order (the exposure's, then --features); features by view.
    assert result.column_names[4:] == [
        "user_stats__spend", "user_stats__visits", "merchant_risk__risk",
        "merchant_risk__spend", "pair_affinity__affinity"]
    full = expected(mini_project, mini_project.spine, ["user_stats"], full_names=True)
    assert result.column("user_stats__visits").to_pylist() == [
        row["user_stats__visits"] for row in full]


def test_to_parquet_is_atomic(mini_project, tmp_path) -> None:
    out = tmp_path / "training.parquet"
    with plan_training_set(mini_project.spine_table(), ["user_stats"],
                           project=mini_project.project,
                           warehouse=mini_project.warehouse) as job:
        job.to_parquet(out)
    written = pq.read_table(out)
    assert written.num_rows == len(mini_project.spine)
    with pytest.raises(WarehouseError, match="ghost"), plan_training_set(
            mini_project.spine_table(), ["ghost"], project=mini_project.project,
            warehouse=mini_project.warehouse) as job:
        job.to_parquet(out)
    assert pq.read_table(out).equals(written)  # the previous file is intact
    assert sorted(p.name for p in tmp_path.iterdir()) == ["training.parquet"]


def spine_with(mini, **changes) -> pa.Table:
    table = mini.spine_table()
    for name, column in changes.items():
        if column is None:
            table = table.drop_columns([name])
        elif name in table.column_names:
            table = table.set_column(table.column_names.index(name), name, column)
        else:
            table = table.append_column(name, column)
    return table


@pytest.mark.parametrize(("make_spine", "features", "kwargs", "error", "message"), [
    (lambda m: spine_with(m, event_timestamp=None), ["user_stats"], {}, TrainingSetError,
     "no timestamp column 'event_timestamp'.*--timestamp-column"),
    (lambda m: spine_with(m, event_timestamp=pa.array(["x"] * len(m.spine))), ["user_stats"],
     {}, TrainingSetError, "'event_timestamp' is string, not a timestamp"),
    (lambda m: spine_with(m, user_id=None), ["user_stats"], {}, TrainingSetError,
     "no column 'user_id', the entity key of feature view 'user_stats'"),
    (lambda m: spine_with(m, __fo_row=pa.array([1] * len(m.spine))), ["user_stats"], {},
     TrainingSetError, "reserved"),
    (lambda m: spine_with(m, visits=pa.array([1] * len(m.spine))), ["user_stats"], {},
     TrainingSetError, "already has column.*visits.*--full-feature-names"),
    (lambda m: m.spine_table(), ["user_stat"], {}, UnknownFeatureError,
     "no feature view named 'user_stat' \\(did you mean 'user_stats'\\?\\)"),
    (lambda m: m.spine_table(), ["user_stats:spnd"], {}, UnknownFeatureError,
     "has no feature 'spnd'"),
    (lambda m: m.spine_table(), [], {}, TrainingSetError, "no features requested"),
    (lambda m: m.spine_table(), None, {"exposure": "scorr"}, UnknownFeatureError,
     "did you mean 'scorer'"),
    (lambda m: "missing/spine.parquet", ["user_stats"], {}, TrainingSetError,
     "spine file missing/spine.parquet does not exist"),
    (lambda m: "no_such_model", ["user_stats"], {}, FeatureopsError, "no model named"),
    (lambda m: 42, ["user_stats"], {}, TrainingSetError, "expected a pandas DataFrame"),
    (lambda m: m.spine_table(), ["user_stats"], {"output": "polars"}, TrainingSetError,
     "output must be"),
])
def test_mistakes_are_one_line_errors(mini_project, make_spine, features, kwargs, error,
                                      message) -> None:
    with pytest.raises(error, match=message) as caught:
        get_historical_features(make_spine(mini_project), features, project=mini_project.project,
                                warehouse=mini_project.warehouse, **kwargs)
    assert "\n" not in str(caught.value)


def test_missing_warehouse_says_what_to_do(mini_project, tmp_path) -> None:
    with pytest.raises(WarehouseError,
                       match="DuckDB warehouse .* does not exist .*run `dbt build`"):
        fetch(replace(mini_project, warehouse=tmp_path / "nowhere.duckdb"),
              mini_project.spine_table(), ["user_stats"])


def test_empty_spine(mini_project) -> None:
    table = mini_project.spine_table().slice(0, 0)
    result = fetch(mini_project, table, ["user_stats"])
    assert result.num_rows == 0
    assert result.column_names == [*table.column_names, "spend", "visits"]


def test_spine_timestamps_before_any_feature_get_nulls(mini_project) -> None:
    early = pa.table({"user_id": [1, 2], "merchant_id": [1, 1],
                      "event_timestamp": [datetime(2020, 1, 1), datetime(2020, 1, 1)
                                          + timedelta(hours=1)]})
    result = fetch(mini_project, early, ["user_stats", "merchant_risk:risk"])
    assert result.column("spend").to_pylist() == [None, None]
    assert result.column("risk").to_pylist() == [None, None]


def memory_limit_of(engine) -> str:
    return engine.conn.execute("select current_setting('memory_limit')").fetchone()[0]


def test_duckdb_memory_budget_applies_by_default(mini_project) -> None:
    """DuckDB's own default (80% of the machine) let the 10M-row benchmark peak at 2.2 GB;
    the session a training set opens gets featureops's budget unless one is given."""
    budget = default_memory_limit()
    assert int(budget.removesuffix("MB")) <= MEMORY_BUDGET_CAP_MB
    expected = {}
    for size in (budget, "1GB"):
        with DuckDBEngine(None, memory_limit=size) as probe:
            expected[size] = memory_limit_of(probe)
    with DuckDBEngine(None) as unlimited:
        assert memory_limit_of(unlimited) != expected[budget]  # the test can tell them apart
    for given, wanted in ((None, budget), ("1GB", "1GB")):
        with plan_training_set(mini_project.spine_table(), ["user_stats"],
                               project=mini_project.project, warehouse=mini_project.warehouse,
                               memory_limit=given) as job:
            assert memory_limit_of(job.warehouse) == expected[wanted]


def test_duckdb_joins_one_view_at_a_time(mini_project) -> None:
    """Several views: one temporary table of matches per view, then a gather (the same
    rows as the oracle: test_matches_the_oracle_in_spine_order); a caller's engine is left
    without them."""
    engine = DuckDBEngine(mini_project.warehouse, search_path=mini_project.root)
    try:
        with plan_training_set(mini_project.spine_table(), ["user_stats", "pair_affinity"],
                               project=mini_project.project, warehouse=engine) as job:
            assert [name for name, _ in job.steps] == ["__fo_match_1", "__fo_match_2"]
            assert "asof" not in job.sql.lower()
            assert job.to_arrow().num_rows == len(mini_project.spine)
            temporary = "select count(*) from duckdb_tables() where table_name like '__fo_match%'"
            assert engine.to_arrow(temporary).column(0)[0].as_py() == 2
        assert engine.to_arrow(temporary).column(0)[0].as_py() == 0
    finally:
        engine.close()
