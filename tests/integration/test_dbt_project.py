"""The example dbt project: it builds on DuckDB and Postgres with identical feature values,
its unit tests would catch an off-by-one window, sqlfluff is clean, and `featureops validate`
passes on it and names the culprit on a broken copy."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from featureops.catalog import FeatureCatalog
from featureops.cli import run
from featureops.dbt_runner import run_dbt
from tests.conftest import PACKAGE_DIR, REPO_ROOT, BuiltProject, edit_file, install_package

FEATURE_VIEWS = ["feat_user__spend_windows", "feat_user__profile", "feat_merchant__risk_windows",
                 "feat_merchant__profile", "feat_transaction__context"]
KEYS = {"feat_user__spend_windows": ["user_id", "event_at"],
        "feat_user__profile": ["user_id", "event_at"],
        "feat_merchant__risk_windows": ["merchant_id", "event_at"],
        "feat_merchant__profile": ["merchant_id", "event_at"],
        "feat_transaction__context": ["transaction_id"]}


def test_duckdb_build_ran_every_kind_of_test(duckdb_build: BuiltProject) -> None:
    results = json.loads((duckdb_build.target_dir / "run_results.json").read_text())["results"]
    statuses = {r["unique_id"]: r["status"] for r in results
                if not r["unique_id"].startswith("exposure.")}
    assert all(status in ("success", "pass") for status in statuses.values()), {
        uid: s for uid, s in statuses.items() if s not in ("success", "pass")}
    kinds = {uid.split(".")[0] for uid in statuses}
    assert {"model", "seed", "test", "unit_test"} <= kinds
    unit_tests = [uid for uid in statuses if uid.startswith("unit_test.")]
    assert len(unit_tests) >= 2
    catalog = FeatureCatalog.from_manifest(duckdb_build.manifest)
    assert set(FEATURE_VIEWS) <= set(catalog.views)
    assert all(catalog.views[name].model.contract_enforced for name in FEATURE_VIEWS)
    assert len([e for e in duckdb_build.manifest.exposures.values() if e.type == "ml"]) >= 2


def _duckdb_frame(build: BuiltProject, table: str) -> pd.DataFrame:
    with duckdb.connect(str(build.duckdb_path), read_only=True) as conn:
        return conn.execute(f"select * from main.{table}").df()


def _postgres_frame(build: BuiltProject, table: str) -> pd.DataFrame:
    import psycopg2

    from tests.services import postgres_dsn

    with psycopg2.connect(**postgres_dsn()) as conn, conn.cursor() as cursor:
        cursor.execute(f'select * from "{build.extra["schema"]}"."{table}"')
        columns = [d.name for d in cursor.description]
        frame = pd.DataFrame(cursor.fetchall(), columns=columns)
    conn.close()
    return frame


@pytest.mark.postgres
@pytest.mark.parametrize("table", FEATURE_VIEWS)
def test_postgres_build_matches_duckdb(duckdb_build: BuiltProject, postgres_build: BuiltProject,
                                       table: str) -> None:
    left = _duckdb_frame(duckdb_build, table).sort_values(KEYS[table]).reset_index(drop=True)
    right = _postgres_frame(postgres_build, table).sort_values(KEYS[table]).reset_index(drop=True)
    assert list(left.columns) == list(right.columns)
    assert len(left) == len(right) > 0
    for column in left.columns:
        a, b = left[column], right[column]
        if column == "description_embedding":
            # real[] arrives from psycopg2 as text-parsed floats: compare as float32.
            np.testing.assert_array_equal(np.stack(a.to_numpy()).astype(np.float32),
                                          np.stack(b.to_numpy()).astype(np.float32))
        elif pd.api.types.is_float_dtype(a):
            np.testing.assert_allclose(b.astype(float), a.astype(float), rtol=1e-9, atol=1e-12,
                                       err_msg=f"{table}.{column}")
        else:
            assert (a.astype(object).where(a.notna(), None).tolist()
                    == b.astype(object).where(b.notna(), None).tolist()), f"{table}.{column}"


def test_validate_passes_on_the_project(duckdb_build: BuiltProject, capsys) -> None:
    assert run(["validate", "--manifest", str(duckdb_build.manifest_path)]) == 0
    assert ("5 feature view(s), 2 feature service(s), 1 training set(s): 0 error(s), "
            "0 warning(s)") in capsys.readouterr().out


def test_validate_names_the_culprit_on_a_broken_copy(project_copy: Path, tmp_path: Path,
                                                     capsys) -> None:
    user_yaml = project_copy / "models/features/user/_user__models.yml"
    edit_file(user_yaml, "          ttl: 3650d\n", "          ttl: 10 years\n")
    edit_file(user_yaml, "          ttl: 30d\n", "          ttl: 30d\n          tll: 30d\n")
    merchant_yaml = project_copy / "models/features/merchant/_merchant__models.yml"
    edit_file(merchant_yaml, "          entities: [merchant_id]\n          timestamp: event_at\n"
              "          ttl: 2d\n",
              "          entities: [merchant_key]\n          timestamp: event_at\n"
              "          ttl: 2d\n")
    run_dbt(["parse", "--target-path", str(tmp_path / "target")], project_copy)
    manifest = tmp_path / "target" / "manifest.json"
    assert run(["validate", "--project-dir", str(project_copy), "--manifest", str(manifest)]) == 1
    errors = capsys.readouterr().err.splitlines()
    assert len(errors) == 3, errors
    assert ("error: models/features/user/_user__models.yml: model 'feat_user__profile': "
            "meta.featureops.ttl: '10 years' is not a duration") in errors[0] + errors[1]
    assert any("model 'feat_user__spend_windows': meta.featureops.tll: unknown key" in line
               for line in errors)
    assert any(line.startswith("error: models/features/merchant/_merchant__models.yml: model "
                               "'feat_merchant__risk_windows': meta.featureops.entities.0: column "
                               "'merchant_key' is not declared") for line in errors)


def test_unit_tests_catch_a_window_that_includes_ties(project_copy: Path, tmp_path: Path,
                                                      duckdb_build: BuiltProject) -> None:
    """Mutation check: with `exclude current row` instead of `exclude group`, a tie at the
    same instant leaks into its own window and the dbt unit test must fail."""
    package = shutil.copytree(PACKAGE_DIR, tmp_path / "featureops_package")
    install_package(project_copy, package)
    edit_file(package / "macros/features/windowed_aggregate.sql",
              "and current row exclude group", "and current row exclude current row")
    env = {"FEATUREOPS_DUCKDB_PATH": str(tmp_path / "mutant.duckdb")}
    args = ["build", "--select", "+feat_user__spend_windows", "--exclude", "test_type:data",
            "--target-path", str(tmp_path / "target"),
            "--vars", f"{{featureops_raw_dir: '{duckdb_build.raw_dir}'}}"]
    completed = run_dbt(args, project_copy, env=env, check=False)
    assert completed.returncode != 0
    assert "spend_windows_end_strictly_before_the_event" in completed.stdout


def test_sqlfluff_is_clean(tmp_path: Path) -> None:
    env = {**os.environ, "DBT_PROFILES_DIR": str(REPO_ROOT),
           "FEATUREOPS_DUCKDB_PATH": str(tmp_path / "lint.duckdb"),
           "DBT_TARGET_PATH": str(tmp_path / "target"), "DBT_LOG_PATH": str(tmp_path / "logs")}
    sqlfluff = Path(sys.executable).with_name("sqlfluff")
    completed = subprocess.run([str(sqlfluff), "lint", "models", "tests/dbt", "--nocolor"],
                               cwd=REPO_ROOT, env=env, capture_output=True, text=True, check=False)
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-2000:]
