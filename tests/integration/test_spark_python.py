"""featureops' Python side on a Spark target (#16): the point-in-time join's Spark form
against the brute-force oracle, and the engine's reads (Arrow, streamed batches, schemas,
uploads).

One Spark context serves the module (starting one costs seconds). Skipped when Java or
PySpark is missing; a failure under FEATUREOPS_REQUIRE_SERVICES=1.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterator
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any

import pyarrow as pa
import pytest
from hypothesis import given, settings

from featureops.catalog import FeatureCatalog
from featureops.cli import run
from featureops.engines import Engine, WarehouseError, open_engine
from featureops.engines.base import quote_spark
from featureops.offline.macros import MacroRenderer
from featureops.offline.retrieval import get_historical_features
from featureops.online import materialize
from featureops.online.materialize import online_views
from featureops.online.sdk import OnlineFeatureClient
from featureops.project import Project
from tests.integration.online_support import sqlite_store
from tests.unit.offline import test_point_in_time_join as pit


@pytest.fixture(scope="module")
def spark_project(spark_build) -> Iterator[Project]:
    """The Spark build's project, its target selected as the CLI would select it (the
    Spark context of the process is opened on that build's warehouse and metastore)."""
    with pytest.MonkeyPatch.context() as patch:
        for name, value in spark_build.env.items():
            patch.setenv(name, value)
        patch.setenv("DBT_PROFILES_DIR", str(spark_build.project_dir))
        yield Project.locate(spark_build.project_dir, spark_build.manifest_path)


@pytest.fixture(scope="module")
def spark_engine(spark_project: Project) -> Iterator[Engine]:
    engine = open_engine(spark_project)
    assert engine.adapter_type == "spark"
    yield engine
    engine.close()


def run_spark_join(engine: Any, scenario: dict[str, Any]) -> list[dict[str, Any]]:
    engine.register("spine", pit.spine_table(scenario["spine"], scenario["tz"]))
    for view in scenario["views"]:
        engine.register(view.name, pit.view_table(view))
    views = [{**view, "relation": quote_spark(view["name"])}
             for view in pit.descriptors(scenario["views"])]
    sql = MacroRenderer("spark").render(
        "point_in_time_join", "spine", pit.SPINE_TS, views,
        spine_columns=["row_id", "user_id", "merchant_id", pit.SPINE_TS, "label"],
        order_by="__fo_spine.`row_id`", exclusive=scenario["exclusive"],
        exclude_created_after=scenario["exclude_created_after"])
    return engine.to_arrow(sql).to_pylist()


# A Spark query costs a second or more here, so fewer examples than DuckDB's 120; the
# minute grid still makes ties, ttl boundaries and created-after cases common.
@settings(pit.PROPERTY_SETTINGS, max_examples=15)
@given(scenario=pit.scenarios())
def test_spark_point_in_time_join_matches_the_oracle(spark_engine,
                                                     scenario: dict[str, Any]) -> None:
    pit.assert_matches(run_spark_join(spark_engine, scenario), scenario)


def test_batches_stream_in_order_with_the_result_schema(spark_engine) -> None:
    query = ("select id, cast(id as double) / 4 as quarter, "
             "timestamp_seconds(id) as at from range(25000) order by id desc")
    batches = list(spark_engine.batches(query, 4096))
    assert max(batch.num_rows for batch in batches) == 4096
    table = pa.Table.from_batches(batches)
    assert table.schema == spark_engine.schema(query)
    assert table.column("id").to_pylist() == list(range(24999, -1, -1))
    assert table.column("quarter").to_pylist() == [i / 4 for i in range(24999, -1, -1)]
    assert table.column("at")[0].as_py().replace(tzinfo=None) == datetime(1970, 1, 1, 6, 56, 39)
    assert list(spark_engine.batches("select * from range(3) where id > 5", 10)) == []


def test_uploads_keep_values_and_naive_times_are_utc(spark_engine) -> None:
    table = pa.table({"user_id": pa.array([1, None, 3], pa.int64()),
                      "at": pa.array([datetime(2026, 3, 29, 1, 30), None,
                                      datetime(2026, 10, 25, 2, 30)], pa.timestamp("us")),
                      "name": ["a", "b'c", None]})
    spark_engine.register("uploaded", table)
    back = spark_engine.to_arrow("select user_id, at, name, hour(at) as hour from uploaded")
    assert back.column("user_id").to_pylist() == [1, None, 3]
    assert back.column("name").to_pylist() == ["a", "b'c", None]
    assert back.column("hour").to_pylist() == [1, None, 2]


def test_columns_of_a_table_and_of_a_missing_one(spark_engine) -> None:
    database = f"featureops_columns_{os.getpid()}"
    spark_engine.session.sql(f"create database if not exists {database}")
    try:
        spark_engine.session.sql(f"create table {database}.orders (id bigint, total "
                                 "decimal(10, 2), at timestamp_ntz, tags array<string>) "
                                 "using parquet")
        assert spark_engine.columns(database, "orders") == [
            ("id", "bigint"), ("total", "decimal(10,2)"), ("at", "timestamp_ntz"),
            ("tags", "array<string>")]
        assert spark_engine.columns(database, "missing") == []
    finally:
        spark_engine.session.sql(f"drop database if exists {database} cascade")


@pytest.mark.parametrize("sql", ["select nope from range(1)", "selec 1"])
def test_a_bad_query_is_one_line_naming_the_warehouse(spark_engine, sql: str) -> None:
    with pytest.raises(WarehouseError) as error:
        spark_engine.to_arrow(sql)
    assert "\n" not in str(error.value)
    assert str(error.value).startswith("Spark session warehouse (target 'spark' of profile")


@pytest.mark.parametrize("name", ["plain", "with space", "back`quote"])
def test_identifiers_are_backquoted(spark_engine, name: str) -> None:
    spark_engine.register("named", pa.table({name: [7]}))
    assert spark_engine.to_arrow(f"select {quote_spark(name)} from named").to_pylist() == [
        {name: 7}]


def test_spark_form_handles_created_after_itself() -> None:
    view = {"name": "v", "relation": "`v`", "entities": ["user_id"], "timestamp": "ts",
            "created_timestamp": "created", "ttl": None,
            "features": [{"column": "f", "alias": "f"}]}
    sql = MacroRenderer("spark").render("point_in_time_join", "spine", "at", [view],
                                        exclude_created_after=True)
    assert "lateral" not in sql.lower() and "max_by" in sql


# --- The example project built on Spark (the session build) against its DuckDB build ---

TRAINING_SPINE = "train_fraud_detection__spine"
TRAINING_MODEL = "train_fraud_detection__transactions"
EXPOSURE = "fraud_detection_model"
END = datetime(2026, 11, 1, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def duckdb_project(duckdb_build) -> Project:
    return Project.locate(duckdb_build.project_dir, duckdb_build.manifest_path)


def assert_same_rows(actual: pa.Table, expected: pa.Table, key: str) -> None:
    """Row for row by ``key``: the same columns, values equal, floats to 1e-9."""
    assert actual.column_names == expected.column_names
    assert actual.num_rows == expected.num_rows > 0
    got = actual.sort_by(key).to_pylist()
    want = expected.sort_by(key).to_pylist()
    for got_row, want_row in zip(got, want, strict=True):
        for column, value in want_row.items():
            assert same_value(got_row[column], value), (column, got_row[key], got_row[column],
                                                        value)


def same_value(got: Any, want: Any) -> bool:
    if isinstance(want, float) or isinstance(got, float):
        if got is None or want is None:
            return got is None and want is None
        return (math.isnan(got) and math.isnan(want)) or math.isclose(
            float(got), float(want), rel_tol=1e-9, abs_tol=1e-9)
    if isinstance(want, list) and isinstance(got, list):
        return len(got) == len(want) and all(map(same_value, got, want))
    if isinstance(want, datetime) and isinstance(got, datetime):
        return _utc(got) == _utc(want)
    if isinstance(want, Decimal) or isinstance(got, Decimal):
        return same_value(None if got is None else float(got),
                          None if want is None else float(want))
    return got == want


def _utc(value: datetime) -> datetime:
    return value.astimezone(timezone.utc).replace(tzinfo=None) if value.tzinfo else value


@pytest.mark.parametrize("options", [{}, {"exclusive": True, "exclude_created_after": True}],
                         ids=["default", "exclusive-created-after"])
def test_training_set_on_spark_equals_duckdb(spark_project, duckdb_project, duckdb_build,
                                             options: dict[str, bool]) -> None:
    common = {"exposure": EXPOSURE, "timestamp_column": "event_at",
              "full_feature_names": True, "output": "arrow", **options}
    expected = get_historical_features(TRAINING_SPINE, project=duckdb_project,
                                       warehouse=duckdb_build.duckdb_path, **common)
    actual = get_historical_features(TRAINING_SPINE, project=spark_project, **common)
    assert_same_rows(actual, expected, "transaction_id")
    # The data exercises the semantics: matches and misses (ttl, no row yet) both occur.
    for column in ("feat_user__profile__card_tier", "feat_merchant__profile__category_risk_tier"):
        values = actual.column(column).to_pylist()
        assert 0 < values.count(None) < len(values)


def served(project: Project, store: Any, entities: dict[str, list[Any]]) -> dict[str, list]:
    """Every online view's served values (value, event time, status) for ``entities``."""
    catalog = FeatureCatalog.from_manifest(project.manifest)
    client = OnlineFeatureClient(project, store=store, catalog=catalog)
    out = {}
    for name in online_views(catalog):
        view = catalog.view(name.name)
        key = view.entities[0]
        found = client.get_online_features(features=[view.name],
                                           entities={key: entities[key]}, as_of=END)
        out[view.name] = [{ref: (value.value, value.event_at, value.status)
                           for ref, value in found.row(i).items()}
                          for i in range(len(entities[key]))]
    return out


def test_materialize_from_spark_serves_what_duckdb_serves(spark_project, duckdb_project,
                                                          duckdb_build, tmp_path,
                                                          monkeypatch) -> None:
    monkeypatch.setenv("FEATUREOPS_DUCKDB_PATH", str(duckdb_build.duckdb_path))
    stores = {}
    for name, project in (("spark", spark_project), ("duckdb", duckdb_project)):
        if name == "duckdb":
            monkeypatch.setenv("FEATUREOPS_TARGET", "dev")
        stores[name] = sqlite_store(tmp_path / f"{name}.db")
        results = materialize(project, store=stores[name], end_time=END, progress=False,
                              batch_size=3_000)
        assert all(result.rows > 0 for result in results)
    entities = {"user_id": list(range(1, 400)), "merchant_id": list(range(1, 120)),
                "transaction_id": list(range(1, 50))}
    spark_served = served(spark_project, stores["spark"], entities)
    duckdb_served = served(duckdb_project, stores["duckdb"], entities)
    assert spark_served.keys() == duckdb_served.keys()
    for view, rows in duckdb_served.items():
        assert sum(value[2] == "present" for row in rows for value in row.values()) > 0, view
        for got, want in zip(spark_served[view], rows, strict=True):
            assert got.keys() == want.keys()
            for ref, (value, at, status) in want.items():
                assert (got[ref][2], got[ref][1]) == (status, at), ref
                assert same_value(got[ref][0], value), (ref, got[ref][0], value)


@pytest.fixture(scope="module")
def spark_cli(spark_project: Project, spark_build, tmp_path_factory) -> list[str]:
    """CLI options for the Spark build, with the online store in a private folder."""
    folder = tmp_path_factory.mktemp("spark_cli")
    (folder / "dbt_project.yml").write_text("name: fraud_example\nprofile: fraud_example\n")
    (folder / "featureops.yml").write_text(
        f"online_store:\n  type: sqlite\n  path: {folder / 'online.db'}\n")
    return ["--project-dir", str(folder), "--manifest", str(spark_build.manifest_path),
            "--profiles-dir", str(spark_build.project_dir)]


def duckdb_scalar(duckdb_build, sql: str) -> Any:
    import duckdb

    with duckdb.connect(str(duckdb_build.duckdb_path), read_only=True) as conn:
        return conn.execute(sql).fetchone()[0]


def test_cli_training_set_and_leakage_on_spark(spark_cli, spark_build, tmp_path, capsys) -> None:
    out = tmp_path / "fraud.parquet"
    assert run(["training-set", *spark_cli, "--spine", TRAINING_SPINE, "--exposure", EXPOSURE,
                "--timestamp-column", "event_at", "--full-feature-names",
                "--out", str(out)]) == 0
    assert "rows x 36 columns" in capsys.readouterr().out
    # The model dbt built on Spark and the file pass every leakage check, as on DuckDB
    # (one run: each costs the window recomputation of every view, minutes on Spark).
    assert run(["leakage", *spark_cli, "--training-set", TRAINING_MODEL,
                "--training-set", str(out), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["findings"] == []
    assert report["training_sets"] == [TRAINING_MODEL, str(out)]


def test_cli_materialize_consistency_sla_scaffold_on_spark(spark_cli, duckdb_build,
                                                           capsys) -> None:
    view = "feat_user__profile"
    assert run(["materialize", *spark_cli, "--select", view, "--end-time", "2026-11-01",
                "--quiet", "--batch-size", "500"]) == 0
    capsys.readouterr()
    assert run(["consistency", *spark_cli, "--select", view, "--sample", "200"]) == 0
    assert view in capsys.readouterr().out
    # The data ends on 2026-11-01: freshness is violated (exit 1), measured on Spark.
    assert run(["sla", *spark_cli, "--json"]) == 1
    newest = duckdb_scalar(duckdb_build, f"select max(event_at) from {view}")
    assert newest.isoformat() in capsys.readouterr().out
    assert run(["contracts", "scaffold", *spark_cli, "int_transactions__enriched"]) == 0
    rows = duckdb_scalar(duckdb_build, "select count(*) from int_transactions__enriched")
    scaffold = capsys.readouterr().out
    assert f"({rows:,} rows)" in scaffold and "Spark session warehouse" in scaffold
    assert "- name: transaction_id" in scaffold and "type: not_null" in scaffold


def test_cli_monitor_reads_the_spark_build(spark_cli, spark_build, capsys) -> None:
    code = run(["monitor", *spark_cli, "--run-results",
                str(spark_build.target_dir / "run_results.json"), "--json"])
    output = capsys.readouterr()
    assert code in (0, 1), output.err
    summary = json.loads(output.out)
    assert summary["tables"] and summary["parts"]["quality"] == "measured"
    assert "feat_user__spend_windows" in output.out
