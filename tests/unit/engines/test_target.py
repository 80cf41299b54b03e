"""open_engine opens the warehouse of the selected dbt target: the DuckDB file of a DuckDB
target (relative paths and relative external files from the project folder, the profile's
settings applied, read-only), Postgres with the target's credentials, one-line errors for
everything else; --warehouse and FEATUREOPS_DUCKDB_PATH keep working for DuckDB."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest
import yaml

from featureops.cli import run
from featureops.engines import WarehouseError, open_engine
from featureops.profiles import ProfileError
from featureops.project import Project
from featureops.testing import ManifestBuilder

SELECTION_ENV = ("DBT_PROFILES_DIR", "DBT_PROFILE", "DBT_TARGET", "FEATUREOPS_DUCKDB_PATH")


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in SELECTION_ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))


def make_project(root: Path, outputs: dict, *, adapter: str = "duckdb") -> Project:
    """A dbt project 'shop' with profiles.yml beside it, and a manifest with one model
    ``orders`` in database ``warehouse``."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "dbt_project.yml").write_text(yaml.safe_dump({"name": "shop", "profile": "shop"}))
    (root / "profiles.yml").write_text(yaml.safe_dump(
        {"shop": {"target": "dev", "outputs": outputs}}))
    builder = ManifestBuilder("shop", adapter=adapter, database="warehouse")
    builder.model("orders", materialized="table")
    manifest = root / "target" / "manifest.json"
    manifest.parent.mkdir(exist_ok=True)
    manifest.write_text(json.dumps(builder.build()))
    return Project.locate(root)


def build_warehouse(path: Path, rows: int = 3) -> Path:
    """A DuckDB file like dbt's: a table, and a view over a Parquet file named by a path
    relative to the project folder (as a dbt external source writes it)."""
    root = path.parent.parent
    path.parent.mkdir(parents=True, exist_ok=True)
    (root / "data" / "raw").mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(path)) as conn:
        conn.execute(f"create table orders as select range as id from range({rows})")
        conn.execute(f"copy (select 42 as answer) to '{root}/data/raw/x.parquet'")
        conn.execute(f"set file_search_path = '{root}'")  # dbt ran in the project folder
        conn.execute("create view raw_x as select * from read_parquet('data/raw/x.parquet')")
    return path


def test_a_duckdb_target_opens_its_file_from_any_current_directory(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "project"
    build_warehouse(root / "data" / "warehouse.duckdb")
    project = make_project(root, {"dev": {"type": "duckdb", "path": "data/warehouse.duckdb",
                                          "settings": {"threads": 1}}})
    monkeypatch.chdir(tmp_path)  # not the project folder
    with open_engine(project) as engine:
        assert engine.adapter_type == "duckdb"
        assert engine.to_arrow('select count(*) as n from "warehouse"."main"."orders"'
                               ).to_pylist() == [{"n": 3}]
        # The relative Parquet path of the view is found in the project folder.
        assert engine.to_arrow("select answer from raw_x").to_pylist() == [{"answer": 42}]
        settings = engine.to_arrow(
            "select current_setting('threads') as threads, "
            "current_setting('autoinstall_known_extensions') as autoinstall").to_pylist()
        assert settings == [{"threads": 1, "autoinstall": False}]
        with pytest.raises(WarehouseError, match="read-only"):
            engine.to_arrow("create table main.written as select 1")


def test_the_profile_cannot_turn_extension_downloads_on(tmp_path: Path) -> None:
    root = tmp_path / "project"
    build_warehouse(root / "data" / "warehouse.duckdb")
    project = make_project(root, {"dev": {
        "type": "duckdb", "path": "data/warehouse.duckdb",
        "settings": {"autoinstall_known_extensions": True}}})
    with open_engine(project) as engine:
        assert engine.to_arrow("select current_setting('autoinstall_known_extensions') as on_"
                               ).column(0).to_pylist() == [False]


def test_overrides_of_the_duckdb_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "project"
    project = make_project(root, {"dev": {"type": "duckdb", "path": "data/missing.duckdb"}})
    build_warehouse(root / "data" / "env.duckdb", rows=5)
    build_warehouse(tmp_path / "flag" / "warehouse.duckdb", rows=7)
    count = 'select count(*) as n from "warehouse"."main"."orders"'
    monkeypatch.setenv("FEATUREOPS_DUCKDB_PATH", "data/env.duckdb")  # relative: the project
    with open_engine(project) as engine:
        assert engine.to_arrow(count).column(0).to_pylist() == [5]
    monkeypatch.chdir(tmp_path)  # --warehouse is a command-line path: the current directory
    with open_engine(project, warehouse="flag/warehouse.duckdb") as engine:
        assert engine.to_arrow(count).column(0).to_pylist() == [7]


def test_a_missing_duckdb_file_says_where_it_was_looked_for(tmp_path: Path) -> None:
    project = make_project(tmp_path / "project",
                           {"dev": {"type": "duckdb", "path": "data/warehouse.duckdb"}})
    with pytest.raises(WarehouseError) as caught:
        open_engine(project)
    message = str(caught.value)
    assert message.startswith(f"DuckDB warehouse {project.project_dir}/data/warehouse"
                              ".duckdb does not exist (target 'dev' of profile 'shop'")
    assert "run `dbt build` first" in message


def test_an_in_memory_target_has_nothing_to_read(tmp_path: Path) -> None:
    project = make_project(tmp_path / "project", {"dev": {"type": "duckdb"}})
    with pytest.raises(WarehouseError, match="has no DuckDB file \\(path: :memory:\\)"):
        open_engine(project)


def test_the_engine_must_be_the_one_the_manifest_was_compiled_for(tmp_path: Path) -> None:
    root = tmp_path / "project"
    build_warehouse(root / "data" / "warehouse.duckdb")
    project = make_project(root, {"dev": {"type": "duckdb", "path": "data/warehouse.duckdb"}},
                           adapter="postgres")
    with pytest.raises(WarehouseError, match="was compiled for postgres, and the warehouse "
                                             "selected is duckdb"):
        open_engine(project)


def test_unsupported_adapters_are_refused(tmp_path: Path) -> None:
    project = make_project(tmp_path / "project", {"dev": {"type": "snowflake", "account": "x"}},
                           adapter="snowflake")
    with pytest.raises(WarehouseError, match="is a snowflake target; featureops reads duckdb, "
                                             "postgres and spark warehouses"):
        open_engine(project)


def test_a_project_without_profile_needs_a_duckdb_file(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "project"
    project = make_project(root, {})
    (root / "profiles.yml").unlink()
    with pytest.raises(WarehouseError, match="no profiles.yml .* or pass --warehouse"):
        open_engine(project)
    build_warehouse(root / "data" / "warehouse.duckdb")
    monkeypatch.setenv("FEATUREOPS_DUCKDB_PATH", "data/warehouse.duckdb")
    with open_engine(project) as engine:
        assert engine.describe().endswith("(FEATUREOPS_DUCKDB_PATH)")


def test_a_broken_profile_is_an_error_unless_a_file_is_given(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "project"
    project = make_project(root, {"dev": {"type": "duckdb",
                                          "path": "{{ env_var('SHOP_NOWHERE') }}"}})
    with pytest.raises(ProfileError, match="env var required but not provided: 'SHOP_NOWHERE'"):
        open_engine(project)
    with open_engine(project, warehouse=build_warehouse(tmp_path / "w" / "w.duckdb")) as engine:
        assert engine.describe().endswith("(--warehouse)")
    monkeypatch.setenv("FEATUREOPS_DUCKDB_PATH", str(tmp_path / "w" / "w.duckdb"))
    with open_engine(project) as engine:
        assert engine.describe().endswith("(FEATUREOPS_DUCKDB_PATH)")


def test_the_duckdb_override_does_not_replace_a_postgres_target(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """FEATUREOPS_DUCKDB_PATH set by habit must not win over a Postgres target: the target's
    own server is contacted (here a port nothing listens on, so a one-line error)."""
    root = tmp_path / "project"
    build_warehouse(root / "data" / "warehouse.duckdb")
    monkeypatch.setenv("FEATUREOPS_DUCKDB_PATH", "data/warehouse.duckdb")
    project = make_project(root, {"dev": {
        "type": "postgres", "host": "127.0.0.1", "port": 1, "user": "nobody",
        "password": "secret-value", "dbname": "elsewhere", "schema": "s",
        "connect_timeout": 3}}, adapter="postgres")
    with pytest.raises(WarehouseError) as caught:
        open_engine(project)
    message = str(caught.value)
    assert message.startswith("cannot connect to Postgres nobody@127.0.0.1:1/elsewhere "
                              f"(target 'dev' of profile 'shop' ({root}/profiles.yml))")
    assert "secret-value" not in message and "\n" not in message


def test_the_cli_selects_the_target_with_dbts_options(tmp_path: Path, capsys) -> None:
    root = tmp_path / "project"
    build_warehouse(root / "data" / "warehouse.duckdb")
    project = make_project(root, {"dev": {"type": "duckdb", "path": "data/warehouse.duckdb"},
                                  "pg": {"type": "postgres", "host": "127.0.0.1", "port": 1,
                                         "user": "u", "dbname": "d", "schema": "s"}})
    profiles = tmp_path / "profiles"
    profiles.mkdir()
    (root / "profiles.yml").rename(profiles / "profiles.yml")
    args = ["contracts", "scaffold", "orders", "--project-dir", str(root)]
    assert run([*args, "--profiles-dir", str(profiles)]) == 0  # the DuckDB dev target
    assert "data_type: bigint" in capsys.readouterr().out
    assert run([*args, "--profiles-dir", str(profiles), "--target", "pg"]) == 2
    assert "was compiled for duckdb, and the warehouse selected is postgres" in \
        capsys.readouterr().err
    assert run(args) == 2  # profiles.yml is neither in the project nor in ~/.dbt
    assert "no profiles.yml for the dbt project" in capsys.readouterr().err
    assert project.project_dir == root.resolve()
