"""The example project built on Spark (dbt-spark's session method, PySpark local[2]) gives
the rows of the DuckDB build of the same raw data: every feature view and the monitoring
metrics, row for row, floats within 1e-9.

Both builds are the session's (spark_build, duckdb_build). The Spark tables are read from
their Parquet files by DuckDB, an independent reader: no Spark session in the test process.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import pytest

from featureops.catalog import FeatureCatalog
from tests.conftest import REPO_ROOT, BuiltProject, spark_table_files
from tests.integration.test_postgres_target import assert_same_rows

pytestmark = [pytest.mark.slow, pytest.mark.spark]

#: Sort keys of the monitoring metric tables (one row each in a build).
METRIC_KEYS = {
    "monitoring__quality_metrics": ("model_name", "column_name", "metric_name", "grain",
                                    "bucket_start"),
    "monitoring__drift_metrics": ("check_name", "column_name", "window_start"),
    "monitoring__skew_metrics": ("exposure", "feature_view", "feature", "grain", "bucket_start"),
}
#: At least this many rows in each (no serving log in these builds: no skew rows).
MIN_ROWS = {"monitoring__quality_metrics": 1000, "monitoring__drift_metrics": 20,
            "monitoring__skew_metrics": 0}
#: Columns that name the build, not what it measured.
BUILD_COLUMNS = ("build_id", "measured_at")


def _duckdb_rows(build: BuiltProject, table: str, keys: tuple[str, ...]) -> list[dict]:
    with duckdb.connect(str(build.duckdb_path), read_only=True) as conn:
        return _rows(conn, table, keys)


def _spark_rows(build: BuiltProject, table: str, keys: tuple[str, ...]) -> list[dict]:
    with duckdb.connect() as conn:
        return _rows(conn, f"read_parquet('{spark_table_files(build, table)}')", keys)


def _rows(conn: Any, relation: str, keys: tuple[str, ...]) -> list[dict]:
    order = ", ".join(f"{key} nulls first" for key in keys)
    table = conn.sql(f"select * from {relation} order by {order}").to_arrow_table()
    return table.to_pylist()


def test_feature_views_equal_duckdbs_row_for_row(duckdb_build, spark_build) -> None:
    catalog = FeatureCatalog.from_manifest(spark_build.manifest)
    views = sorted(catalog.views.values(), key=lambda view: view.name)
    assert len(views) == 5
    for view in views:
        keys = (*view.entities, view.timestamp)
        duck = _duckdb_rows(duckdb_build, view.model.name, keys)
        spark = _spark_rows(spark_build, view.model.name, keys)
        assert len(duck) > 50, view.name
        assert [list(row) for row in spark[:1]] == [list(row) for row in duck[:1]], view.name
        assert_same_rows(spark, duck)


def test_monitoring_metrics_equal_duckdbs(duckdb_build, spark_build) -> None:
    """Quality metrics (per bucket and per build), drift (PSI, Jensen-Shannon, KS, bins and
    shares) and skew: the same rows. A column's data_type text is the engine's own type
    name (its position is compared); build ids, times and per-build buckets are each
    build's own."""
    for table, keys in METRIC_KEYS.items():
        duck = [_measured(row) for row in _duckdb_rows(duckdb_build, table, keys)]
        spark = [_measured(row) for row in _spark_rows(spark_build, table, keys)]
        assert_same_rows(spark, duck)
        assert len(duck) >= MIN_ROWS[table], table
    drift = _spark_rows(spark_build, "monitoring__drift_metrics", METRIC_KEYS[
        "monitoring__drift_metrics"])
    assert {row["distribution_kind"] for row in drift} == {"numeric", "categorical"}
    assert all(row["psi"] is not None and row["ks_statistic"] is not None
               for row in drift if row["distribution_kind"] == "numeric")


def _measured(row: dict) -> dict:
    kept = {k: v for k, v in row.items() if k not in BUILD_COLUMNS}
    if kept.get("grain") == "build":  # the bucket of a per-build metric is the build's start
        kept["bucket_start"] = kept["bucket_end"] = None
    if kept.get("metric_name") == "data_type":
        kept["metric_text"] = None
    return kept


def test_spark_files_stay_in_the_builds_folder(spark_build) -> None:
    """The Derby metastore (and its log) and the table files are under FEATUREOPS_SPARK_DIR,
    never in the checkout the build ran in."""
    spark_dir = Path(spark_build.extra["spark_dir"])
    log = (spark_dir / "derby.log").read_text(encoding="utf-8")
    assert f"on database directory {spark_dir / 'metastore_db'}" in log
    assert (spark_dir / "warehouse" / f"{spark_build.extra['schema']}.db").is_dir()
    stray = REPO_ROOT / "derby.log"
    assert not stray.exists() or str(spark_dir) not in stray.read_text(encoding="utf-8")
    assert not (REPO_ROOT / "metastore_db").exists()
