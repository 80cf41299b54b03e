"""featureops' Python side on a Spark target (#16): the point-in-time join's Spark form
against the brute-force oracle, and the engine's reads (Arrow, streamed batches, schemas,
uploads).

One Spark context serves the module (starting one costs seconds). Skipped when Java or
PySpark is missing; a failure under FEATUREOPS_REQUIRE_SERVICES=1.
"""

from __future__ import annotations

import os
import shutil
from datetime import datetime
from typing import Any

import pyarrow as pa
import pytest
from hypothesis import given, settings

from featureops.engines.base import WarehouseError, quote_spark
from featureops.offline.macros import MacroRenderer
from tests.unit.offline import test_point_in_time_join as pit


def _spark_problem() -> str | None:
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        return "no Java runtime for Spark (apt-get install openjdk-17-jre-headless)"
    try:
        import pyspark  # noqa: F401
    except ImportError:
        return "pyspark is not installed (pip install 'featureops[spark]')"
    return None


@pytest.fixture(scope="module")
def spark_engine(tmp_path_factory: pytest.TempPathFactory):
    problem = _spark_problem()
    if problem:
        if os.environ.get("FEATUREOPS_REQUIRE_SERVICES") == "1":
            pytest.fail(f"{problem} (FEATUREOPS_REQUIRE_SERVICES=1, so this is a failure)")
        pytest.skip(problem)
    from featureops.engines.spark_engine import SparkSessionEngine

    root = tmp_path_factory.mktemp("spark")
    engine = SparkSessionEngine({
        "spark.master": "local[2]", "spark.sql.shuffle.partitions": "2",
        "spark.sql.warehouse.dir": str(root / "warehouse"),
        "spark.hadoop.javax.jdo.option.ConnectionURL":
            f"jdbc:derby:;databaseName={root / 'metastore_db'};create=true"})
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
    spark_engine.session.sql("create database if not exists shop")
    spark_engine.session.sql("create table if not exists shop.orders (id bigint, total "
                             "decimal(10, 2), at timestamp, tags array<string>) using parquet")
    assert spark_engine.columns("shop", "orders") == [
        ("id", "bigint"), ("total", "decimal(10,2)"), ("at", "timestamp"),
        ("tags", "array<string>")]
    assert spark_engine.columns("shop", "missing") == []


@pytest.mark.parametrize("sql", ["select nope from range(1)", "selec 1"])
def test_a_bad_query_is_one_line_naming_the_warehouse(spark_engine, sql: str) -> None:
    with pytest.raises(WarehouseError) as error:
        spark_engine.to_arrow(sql)
    assert "\n" not in str(error.value)
    assert str(error.value).startswith("Spark session warehouse: ")


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
