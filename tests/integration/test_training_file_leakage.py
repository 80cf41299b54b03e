"""`featureops leakage --training-set FILE` on files `featureops training-set` wrote from the
example project's build: the file as written passes; a value from after its row's
prediction time, one older than its view's ttl, and a label recorded among the features
are each found and named (file, column), with exit code 1."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from featureops.cli import cli, run
from featureops.offline.training_file import METADATA_KEY
from tests.conftest import REPO_ROOT

pytestmark = pytest.mark.slow
PROFILE_LIMIT = "feat_user__profile__credit_limit_usd"


def project_args(build) -> list[str]:
    return ["--project-dir", str(build.project_dir), "--manifest", str(build.manifest_path),
            "--warehouse", str(build.duckdb_path)]


def leakage(build, path: Path) -> tuple[int, dict]:
    result = CliRunner().invoke(cli, ["leakage", "--training-set", str(path), "--json",
                                      *project_args(build)])
    return result.exit_code, json.loads(result.stdout)


def found(report: dict) -> set[tuple[str, str, str, str]]:
    return {(f["check"], f["severity"], f["model"], f["column"]) for f in report["findings"]}


@pytest.fixture(scope="module")
def good_file(duckdb_build, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("training_file") / "fraud.parquet"
    result = CliRunner().invoke(cli, [
        "training-set", "--spine", "train_fraud_detection__spine",
        "--exposure", "fraud_detection_model", "--timestamp-column", "event_at",
        "--full-feature-names", "--label", "is_fraud", "--out", str(out),
        *project_args(duckdb_build)])
    assert result.exit_code == 0, result.output
    return out


def tampered(source: Path, target: Path, table: pa.Table | None = None,
             record: dict | None = None) -> Path:
    table = table if table is not None else pq.read_table(source)
    if record is not None:
        table = table.replace_schema_metadata({METADATA_KEY: json.dumps(record)})
    pq.write_table(table, target)
    return target


def with_value(table: pa.Table, row: int, column: str, value: object) -> pa.Table:
    values = table.column(column).to_pylist()
    values[row] = value
    index = table.column_names.index(column)
    return table.set_column(index, column, pa.array(values, table.schema.field(column).type))


def test_the_file_as_written_passes(duckdb_build, good_file: Path) -> None:
    code, report = leakage(duckdb_build, good_file)
    assert code == 0 and report["findings"] == []
    assert report["training_sets"] == [str(good_file)]


def test_a_value_from_after_the_prediction_time_is_found(duckdb_build, good_file: Path,
                                                         tmp_path: Path) -> None:
    # Independent oracle: a credit limit the user got only after the row's prediction time.
    with duckdb.connect(str(duckdb_build.duckdb_path), read_only=True) as conn:
        transaction_id, user_id, later = conn.execute(f"""
            select training.transaction_id, training.user_id, later.credit_limit_usd
            from read_parquet('{good_file}') as training
            inner join feat_user__profile as later
                on later.user_id = training.user_id and later.event_at > training.event_at
            where not exists (
                select 1 from feat_user__profile as known
                where known.user_id = training.user_id and known.event_at <= training.event_at
                    and known.credit_limit_usd = later.credit_limit_usd)
            order by 1 limit 1""").fetchone()
    table = pq.read_table(good_file)
    row = table.column("transaction_id").to_pylist().index(transaction_id)
    path = tampered(good_file, tmp_path / "future.parquet",
                    with_value(table, row, PROFILE_LIMIT, later))
    code, report = leakage(duckdb_build, path)
    assert code == 1
    assert found(report) == {("no_future_feature_values", "error", str(path), PROFILE_LIMIT)}
    (finding,) = report["findings"]
    assert finding["failing_rows"] == 1
    assert finding["example"].startswith(f"user_id={user_id} at ")


def test_values_older_than_their_views_ttl_are_found(duckdb_build, good_file: Path,
                                                     tmp_path: Path) -> None:
    # The first row's prediction time moved 4000 days on: every view's ttl (at most 3650d)
    # is then exceeded by the values it holds, and nothing newer exists.
    table = pq.read_table(good_file)
    first = table.slice(0, 1).to_pylist()[0]
    moved = with_value(table, 0, "event_at", first["event_at"] + timedelta(days=4000))
    path = tampered(good_file, tmp_path / "stale.parquet", moved)
    record = json.loads(table.schema.metadata[METADATA_KEY.encode()])
    expected = {("feature_values_within_ttl", "error", str(path), column)
                for column in record["features"] if first[column] is not None}
    code, report = leakage(duckdb_build, path)
    assert code == 1 and len(expected) > 20
    assert found(report) == expected
    assert all(f["failing_rows"] == 1 and "older than the ttl" in f["problem"]
               for f in report["findings"])


def test_a_label_recorded_among_the_features_is_found(duckdb_build, good_file: Path,
                                                      tmp_path: Path) -> None:
    record = json.loads(pq.read_schema(good_file).metadata[METADATA_KEY.encode()])
    record["labels"] += ["feat_transaction__context__is_night", "is_refunded"]
    path = tampered(good_file, tmp_path / "labels.parquet", record=record)
    code, report = leakage(duckdb_build, path)
    assert code == 1
    assert found(report) == {
        ("labels_not_features", "error", str(path), "feat_transaction__context__is_night"),
        ("labels_not_features", "error", str(path), "is_refunded")}
    problems = {f["column"]: f["problem"] for f in report["findings"]}
    assert problems["feat_transaction__context__is_night"] == (
        "label column is also a feature (from feat_transaction__context:is_night)")
    assert problems["is_refunded"] == "label column is not a spine column"


def test_a_file_of_other_features_than_the_project_resolves_is_refused(
        duckdb_build, good_file: Path, tmp_path: Path, capsys) -> None:
    record = json.loads(pq.read_schema(good_file).metadata[METADATA_KEY.encode()])
    record["features"][PROFILE_LIMIT] = "feat_user__profile:card_tier"
    path = tampered(good_file, tmp_path / "drift.parquet", record=record)
    assert run(["leakage", "--training-set", str(path), *project_args(duckdb_build)]) == 2
    assert capsys.readouterr().err.strip().splitlines() == [
        f"error: {path}: its features resolve differently in this project now "
        f"(e.g. {PROFILE_LIMIT}); rebuild the file"]


@pytest.mark.postgres
def test_a_file_written_on_postgres_is_checked_there(postgres_build, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in postgres_build.env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("FEATUREOPS_DUCKDB_PATH", raising=False)
    args = ["--project-dir", str(postgres_build.project_dir), "--manifest",
            str(postgres_build.manifest_path), "--profiles-dir", str(REPO_ROOT),
            "--target", "postgres"]

    def invoke(*more: str) -> tuple[int, str]:
        result = CliRunner().invoke(cli, [*more, *args], catch_exceptions=False)
        return result.exit_code, result.stdout

    out = tmp_path / "postgres.parquet"
    code, _ = invoke("training-set", "--spine", "train_fraud_detection__spine",
                     "--exposure", "fraud_detection_model", "--timestamp-column", "event_at",
                     "--full-feature-names", "--label", "is_fraud", "--out", str(out))
    assert code == 0
    code, stdout = invoke("leakage", "--training-set", str(out), "--json")
    assert code == 0 and json.loads(stdout)["training_sets"] == [str(out)]
    # the prediction time of the first row moved past every ttl, as on DuckDB
    table = pq.read_table(out)
    first = table.slice(0, 1).to_pylist()[0]
    stale = tampered(out, tmp_path / "stale.parquet", with_value(
        table, 0, "event_at", first["event_at"] + timedelta(days=4000)))
    code, stdout = invoke("leakage", "--training-set", str(stale), "--json")
    findings = json.loads(stdout)["findings"]
    assert code == 1 and {f["check"] for f in findings} == {"feature_values_within_ttl"}
    assert len(findings) == sum(first[column] is not None for column in table.column_names[5:])
