"""Every command that reads the warehouse runs on the example's Postgres profile target, with
that target's credentials, and gives what it gives on the DuckDB build of the same data.

Both builds are the session's; the environment renders both targets of the example's
profiles.yml at once (FEATUREOPS_DUCKDB_PATH for `dev`, FEATUREOPS_PG_SCHEMA for
`postgres`) and each command picks one with dbt's `--target`, as a dbt user would. A
DuckDB path in the environment must not pull a Postgres run onto DuckDB."""

from __future__ import annotations

import json
import math
import shutil
import uuid
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml
from click.testing import CliRunner

from featureops.catalog import FeatureCatalog
from featureops.cli import cli, run
from featureops.online.config import open_online_store
from featureops.online.sdk import OnlineFeatureClient
from featureops.project import Project
from tests.conftest import REPO_ROOT, BuiltProject

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

END = datetime(2026, 11, 1, tzinfo=timezone.utc)
SPINE_MODEL = "train_fraud_detection__spine"
EXPOSURE = "fraud_detection_model"


@pytest.fixture
def both_targets(duckdb_build: BuiltProject, postgres_build: BuiltProject,
                 monkeypatch: pytest.MonkeyPatch) -> dict[str, BuiltProject]:
    """The environment of both builds: `--target dev` reads the DuckDB build, `--target
    postgres` the Postgres one."""
    for name, value in {**duckdb_build.env, **postgres_build.env}.items():
        monkeypatch.setenv(name, value)
    for name in ("DBT_TARGET", "DBT_PROFILE", "FEATUREOPS_ONLINE_STORE"):
        monkeypatch.delenv(name, raising=False)
    return {"dev": duckdb_build, "postgres": postgres_build}


def project_dir(root: Path) -> Path:
    """A folder holding the example's dbt_project.yml and featureops settings of its own (a
    private SQLite online store); profiles come from the example's profiles.yml."""
    root.mkdir(parents=True, exist_ok=True)
    shutil.copy2(REPO_ROOT / "dbt_project.yml", root / "dbt_project.yml")
    (root / "featureops.yml").write_text(yaml.safe_dump(
        {"online_store": {"type": "sqlite", "path": str(root / "online.db")}}))
    return root


def cli_args(builds: dict[str, BuiltProject], target: str, root: Path) -> list[str]:
    return ["--project-dir", str(root), "--manifest", str(builds[target].manifest_path),
            "--profiles-dir", str(REPO_ROOT), "--target", target]


def invoke(*args: str) -> Any:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    assert result.exit_code in (0, 1), result.output
    return result


def same_value(left: Any, right: Any) -> bool:
    """Equal across engines: numbers to float precision (sums differ in their last bits),
    everything else exactly."""
    if isinstance(left, Decimal):
        left = float(left)
    if isinstance(right, Decimal):
        right = float(right)
    if isinstance(left, float) or isinstance(right, float):
        return (left is None) == (right is None) and (
            left is None or math.isclose(left, right, rel_tol=1e-9, abs_tol=1e-9))
    if isinstance(left, list) and isinstance(right, list):
        return len(left) == len(right) and all(map(same_value, left, right))
    return left == right


def assert_same_rows(left: list[dict], right: list[dict]) -> None:
    assert len(left) == len(right)
    for a, b in zip(left, right, strict=True):
        assert a.keys() == b.keys()
        different = [k for k in a if not same_value(a[k], b[k])]
        assert not different, [(k, a[k], b[k]) for k in different]


def test_training_set_from_a_parquet_spine_equals_duckdbs(both_targets, tmp_path) -> None:
    spine = tmp_path / "spine.parquet"
    with duckdb.connect(str(both_targets["dev"].duckdb_path), read_only=True) as conn:
        conn.execute(f"copy (select * from {SPINE_MODEL} order by event_at, transaction_id) "
                     f"to '{spine}' (format parquet)")
    root = project_dir(tmp_path / "project")
    outputs = {}
    for target in ("dev", "postgres"):
        outputs[target] = tmp_path / f"{target}.parquet"
        invoke("training-set", *cli_args(both_targets, target, root), "--spine", str(spine),
               "--exposure", EXPOSURE, "--timestamp-column", "event_at",
               "--full-feature-names", "--out", str(outputs[target]))
    duck, postgres = (pq.read_table(outputs[t]) for t in ("dev", "postgres"))
    assert postgres.column_names == duck.column_names and duck.num_rows > 15_000
    # Same spine order, so rows match one to one.
    assert_same_rows(postgres.to_pylist(), duck.to_pylist())
    matched = [c for c in duck.column_names if c.startswith("feat_user__profile__")]
    assert 0 < postgres.column(matched[0]).null_count < postgres.num_rows


def test_leakage_on_postgres_finds_what_duckdb_finds(both_targets, tmp_path) -> None:
    root = project_dir(tmp_path / "project")
    reports = {}
    for target in ("dev", "postgres"):
        result = invoke("leakage", *cli_args(both_targets, target, root), "--json")
        reports[target] = json.loads(result.stdout)
    assert reports["postgres"]["training_sets"] == reports["dev"]["training_sets"] != []
    assert reports["postgres"]["feature_views"] == reports["dev"]["feature_views"] != []
    key = ("check", "severity", "model", "column", "problem", "failing_rows")
    assert [[f[k] for k in key] for f in reports["postgres"]["findings"]] == \
        [[f[k] for k in key] for f in reports["dev"]["findings"]]
    assert reports["postgres"]["ok"] == reports["dev"]["ok"]


def test_materialized_lookups_equal_duckdbs_and_are_consistent(both_targets, tmp_path) -> None:
    lookups = {}
    for target in ("dev", "postgres"):
        root = project_dir(tmp_path / target)
        args = cli_args(both_targets, target, root)
        result = invoke("materialize", *args, "--end-time", "2026-11-01", "--batch-size",
                        "500", "--quiet", "--json")
        assert result.exit_code == 0
        rows = {r["view"]: r["rows"] for r in json.loads(result.stdout)}
        consistency = invoke("consistency", *args, "--sample", "300")
        assert consistency.exit_code == 0, consistency.output
        lookups[target] = (rows, _all_lookups(both_targets["dev"],
                                              Project.locate(root, args[3])))
    (duck_rows, duck), (pg_rows, postgres) = lookups["dev"], lookups["postgres"]
    assert pg_rows == duck_rows and min(duck_rows.values()) > 100
    assert postgres.keys() == duck.keys()
    for view, values in duck.items():
        assert_same_rows(postgres[view], values)
        assert {row["status"] for row in values} >= {"present"}


def _all_lookups(duckdb_build: BuiltProject, project: Project) -> dict[str, list[dict]]:
    """Every entity of every online view read back from the project's store (keys from the
    DuckDB build: both builds hold the same entities)."""
    catalog = FeatureCatalog.from_manifest(project.manifest)
    store = open_online_store(project)
    found: dict[str, list[dict]] = {}
    try:
        client = OnlineFeatureClient(project, store=store, catalog=catalog)
        for view in (v for v in catalog.views.values() if v.spec.online):
            keys = ", ".join(view.entities)
            with duckdb.connect(str(duckdb_build.duckdb_path), read_only=True) as conn:
                entities = conn.sql(f"select distinct {keys} from {view.model.name} "
                                    f"order by {keys}").to_arrow_table().to_pydict()
            answer = client.get_online_features(features=[view.name], entities=entities,
                                                as_of=END)
            found[view.name] = [
                {"feature": ref, "value": value.value, "status": value.status,
                 "event_at": value.event_at}
                for i in range(len(next(iter(entities.values()))))
                for ref, value in sorted(answer.row(i).items())]
    finally:
        store.close()
    return found


def test_contract_scaffold_reads_the_postgres_table(both_targets, tmp_path) -> None:
    root = project_dir(tmp_path / "project")
    scaffolds = {}
    for target in ("dev", "postgres"):
        result = invoke("contracts", "scaffold", "int_transactions__enriched",
                        *cli_args(both_targets, target, root))
        scaffolds[target] = yaml.safe_load(result.stdout)["models"][0]["columns"]
    assert "Postgres" in invoke("contracts", "scaffold", "int_transactions__enriched",
                                *cli_args(both_targets, "postgres", root)).stdout
    described = [(c["name"], c["data_type"], "constraints" in c)
                 for c in scaffolds["postgres"]]
    assert described == [(c["name"], c["data_type"], "constraints" in c)
                         for c in scaffolds["dev"]]
    assert any(constrained for *_, constrained in described)  # null counts were read


def test_monitor_on_postgres_reports_what_duckdb_reports(both_targets, tmp_path) -> None:
    root = project_dir(tmp_path / "project")
    summaries = {}
    for target in ("dev", "postgres"):
        result = invoke("monitor", *cli_args(both_targets, target, root), "--json",
                        "--exit-zero")
        summaries[target] = json.loads(result.stdout)
    duck, postgres = summaries["dev"], summaries["postgres"]
    assert postgres["level"] == duck["level"]
    assert postgres["tables"] == duck["tables"] != []
    key = ("check_name", "model_name", "column_name", "severity")
    assert sorted(tuple(f.get(k) for k in key) for f in postgres["findings"]) == \
        sorted(tuple(f.get(k) for k in key) for f in duck["findings"])


def test_a_wrong_postgres_port_in_the_profile_is_one_line(both_targets, tmp_path,
                                                          monkeypatch, capsys) -> None:
    """The port comes from the rendered profile (the example reads FEATUREOPS_PG_PORT), and
    an unreachable server is reported, never replaced by 127.0.0.1:5432/test."""
    monkeypatch.setenv("FEATUREOPS_PG_PORT", "1")
    root = project_dir(tmp_path / "project")
    code = run(["materialize", *cli_args(both_targets, "postgres", root), "--quiet"])
    error = capsys.readouterr().err
    assert code == 2
    assert error.startswith("error: cannot connect to Postgres postgres@127.0.0.1:1/test "
                            "(target 'postgres' of profile 'fraud_example'")
    assert len(error.strip().splitlines()) == 1


def test_load_raw_writes_into_the_targets_postgres(both_targets, tmp_path, capsys) -> None:
    from psycopg2 import connect, sql

    from tests.services import postgres_dsn

    raw = tmp_path / "raw"
    raw.mkdir()
    pq.write_table(pa.table({"id": [1, 2, 3], "label": ["a", "b", None]}), raw / "things.parquet")
    root = project_dir(tmp_path / "project")
    schema = f"featureops_test_load_{uuid.uuid4().hex[:8]}"
    args = ["load-raw", "--project-dir", str(root), "--profiles-dir", str(REPO_ROOT),
            "--raw-dir", str(raw), "--schema", schema, "--quiet"]
    assert run([*args, "--target", "dev"]) == 2
    assert "load-raw writes into Postgres, and the selected target 'dev'" in \
        capsys.readouterr().err
    assert run([*args, "--target", "postgres"]) == 0
    with connect(**postgres_dsn()) as conn, conn.cursor() as cursor:
        try:
            cursor.execute(sql.SQL("select id, label from {}.things order by id").format(
                sql.Identifier(schema)))
            assert cursor.fetchall() == [(1, "a"), (2, "b"), (3, None)]
        finally:
            cursor.execute(sql.SQL("drop schema {} cascade").format(sql.Identifier(schema)))
    conn.close()
