"""Training sets on the example project built by dbt: the dbt model, the CLI and the Python
API agree with each other and with the brute-force oracle, on DuckDB and on Postgres."""

from __future__ import annotations

import math
from datetime import timedelta
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from featureops.catalog import FeatureCatalog
from featureops.cli import cli
from featureops.durations import parse_duration
from featureops.offline.retrieval import get_historical_features
from featureops.project import Project
from tests.unit.offline.oracle import OracleView, point_in_time

TRAINING_SET = "train_fraud_detection__transactions"
SPINE = "train_fraud_detection__spine"
EXPOSURE = "fraud_detection_model"


def warehouse_rows(path: Path, relation: str) -> list[dict]:
    with duckdb.connect(str(path), read_only=True) as conn:
        return conn.sql(f"select * from {relation}").to_arrow_table().to_pylist()


def oracle_views(project: Project, path: Path) -> list[OracleView]:
    catalog = FeatureCatalog.from_manifest(project.manifest)
    views = []
    for name, features in catalog.resolve_service(EXPOSURE).items():
        view = catalog.views[name]
        views.append(OracleView(
            name=name, entities=list(view.entities), timestamp=view.timestamp,
            features=[f.name for f in features],
            rows=warehouse_rows(path, view.model.name),
            created_timestamp=view.spec.created_timestamp,
            ttl=parse_duration(view.spec.ttl) if view.spec.ttl else None,
            aliases={f.name: f"{name}__{f.name}" for f in features},
        ))
    return views


@pytest.fixture(scope="module")
def project(duckdb_build) -> Project:
    return Project.locate(duckdb_build.project_dir, duckdb_build.manifest_path)


@pytest.fixture(scope="module")
def cli_training_set(duckdb_build, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("training") / "fraud.parquet"
    result = CliRunner().invoke(cli, [
        "training-set", "--project-dir", str(duckdb_build.project_dir),
        "--manifest", str(duckdb_build.manifest_path),
        "--warehouse", str(duckdb_build.duckdb_path), "--spine", SPINE,
        "--exposure", EXPOSURE, "--timestamp-column", "event_at", "--full-feature-names",
        "--out", str(out),
    ])
    assert result.exit_code == 0, result.output
    assert "rows x 36 columns" in result.output
    return out


def test_cli_training_set_matches_the_oracle(duckdb_build, project, cli_training_set) -> None:
    actual = pq.read_table(cli_training_set).to_pylist()
    spine = warehouse_rows(duckdb_build.duckdb_path, SPINE)
    spine.sort(key=lambda row: (row["event_at"], row["transaction_id"]))
    expected = point_in_time(spine, "event_at", oracle_views(project, duckdb_build.duckdb_path))
    assert len(actual) == len(expected) > 15_000
    assert [row["transaction_id"] for row in actual] == [r["transaction_id"] for r in expected]
    assert actual == expected
    # The data exercises the semantics: every view has rows with and without a match.
    for column in ("feat_user__profile__card_tier", "feat_merchant__profile__category_risk_tier"):
        assert 0 < sum(row[column] is None for row in actual) < len(actual)


def test_dbt_model_equals_the_python_api(duckdb_build, project) -> None:
    from_api = get_historical_features(
        SPINE, exposure=EXPOSURE, timestamp_column="event_at", full_feature_names=True,
        project=project, warehouse=duckdb_build.duckdb_path, output="arrow")
    with duckdb.connect(str(duckdb_build.duckdb_path), read_only=True) as conn:
        model = conn.sql(f"select * from {TRAINING_SET}").to_arrow_table()
    order = [("transaction_id", "ascending")]
    assert from_api.column_names == model.column_names
    assert from_api.sort_by(order).equals(model.sort_by(order))


def test_training_set_is_registered_for_its_exposure(project) -> None:
    catalog = FeatureCatalog.from_manifest(project.manifest)
    (training_set,) = catalog.training_sets_for(EXPOSURE)
    assert training_set.name == TRAINING_SET
    assert training_set.spec.labels == ["is_fraud"]
    exposure = next(e for e in project.manifest.exposures.values() if e.name == EXPOSURE)
    assert training_set.model.unique_id in exposure.depends_on


def test_labels_are_mature_and_from_the_label_window(duckdb_build) -> None:
    spine = warehouse_rows(duckdb_build.duckdb_path, SPINE)
    transactions = {r["transaction_id"]: r for r in
                    warehouse_rows(duckdb_build.duckdb_path, "int_transactions__enriched")}
    reported = {r["transaction_id"]: r["reported_at"] for r in
                warehouse_rows(duckdb_build.duckdb_path, "int_transactions__chargebacks")}
    cutoff = max(r["event_at"] for r in transactions.values())
    warm_from = min(r["event_at"] for r in transactions.values()) + timedelta(days=30)
    window = timedelta(days=30)
    mature = {tid for tid, r in transactions.items()
              if warm_from <= r["event_at"] and r["event_at"] + window <= cutoff}
    assert {row["transaction_id"] for row in spine} == mature
    for row in spine:
        at = reported.get(row["transaction_id"])
        assert row["is_fraud"] == (at is not None and at < row["event_at"] + window)
    assert 0.005 < sum(row["is_fraud"] for row in spine) / len(spine) < 0.05


@pytest.mark.postgres
def test_postgres_model_equals_duckdb(duckdb_build, postgres_build) -> None:
    import psycopg2

    from tests.services import postgres_dsn

    with duckdb.connect(str(duckdb_build.duckdb_path), read_only=True) as conn:
        expected = conn.sql(f"select * from {TRAINING_SET} order by transaction_id").fetchall()
        columns = [c[0] for c in conn.sql(f"describe {TRAINING_SET}").fetchall()]
    schema = postgres_build.extra["schema"]
    with psycopg2.connect(**postgres_dsn()) as pg, pg.cursor() as cursor:
        cursor.execute(f'select * from "{schema}"."{TRAINING_SET}" order by transaction_id')
        actual = cursor.fetchall()
        assert [d.name for d in cursor.description] == columns
    pg.close()
    assert len(actual) == len(expected)
    for got, want in zip(actual, expected, strict=True):
        for column, a, b in zip(columns, got, want, strict=True):
            if isinstance(b, float) and a is not None:
                # Feature values agree to float precision across engines (the views'
                # own cross-engine test); the join must pick the same row.
                assert math.isclose(float(a), b, rel_tol=1e-9, abs_tol=1e-9), column
            else:
                assert a == b, (column, got[0])
