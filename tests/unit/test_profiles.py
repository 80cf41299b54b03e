"""featureops.profiles finds and renders the dbt profile target the way dbt does: where
profiles.yml is looked for, which profile and target are chosen, each value rendered on
its own (env_var, as_number...), relative DuckDB paths taken from the project folder."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml

from featureops.profiles import NoProfileError, ProfileError, load_target, profiles_dirs
from featureops.project import Project

#: Every variable that selects a profile or a target, cleared so the machine's own
#: settings (DBT_PROFILES_DIR=/work/main in a shell) cannot leak into a test.
SELECTION_ENV = ("DBT_PROFILES_DIR", "DBT_PROFILE", "DBT_TARGET", "FEATUREOPS_TARGET")


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in SELECTION_ENV:
        monkeypatch.delenv(name, raising=False)
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))


def project(root: Path, **selection: object) -> Project:
    """A dbt project naming profile 'shop'; ``selection``: --profiles-dir/--profile/--target."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "dbt_project.yml").write_text(yaml.safe_dump({"name": "shop", "profile": "shop"}))
    return Project.locate(root, root / "target" / "manifest.json", **selection)


def write_profiles(directory: Path, outputs: dict, target: str | None = "dev",
                   name: str = "shop") -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    profile: dict = {"outputs": outputs}
    if target is not None:
        profile["target"] = target
    path = directory / "profiles.yml"
    path.write_text(yaml.safe_dump({name: profile}))
    return path


def duckdb_output(path: str) -> dict:
    return {"type": "duckdb", "path": path}


# --- where profiles.yml is found ---------------------------------------------------------


def test_profiles_are_found_in_dbt_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                         ) -> None:
    root = tmp_path / "project"
    home_profiles = write_profiles(Path(os.environ["HOME"]) / ".dbt",
                                   {"dev": duckdb_output("/home.duckdb")})
    assert load_target(project(root)).path == home_profiles  # ~/.dbt: the last resort

    project_profiles = write_profiles(root, {"dev": duckdb_output("/project.duckdb")})
    assert load_target(project(root)).path == project_profiles  # the project beats ~/.dbt

    env_profiles = write_profiles(tmp_path / "env", {"dev": duckdb_output("/env.duckdb")})
    monkeypatch.setenv("DBT_PROFILES_DIR", str(tmp_path / "env"))
    assert load_target(project(root)).path == env_profiles  # DBT_PROFILES_DIR beats both

    flag_profiles = write_profiles(tmp_path / "flag", {"dev": duckdb_output("/flag.duckdb")})
    chosen = load_target(project(root, profiles_dir=tmp_path / "flag"))
    assert chosen.path == flag_profiles  # --profiles-dir beats everything
    assert chosen.credentials["path"] == "/flag.duckdb"


def test_an_explicit_directory_is_the_only_place_looked_at(tmp_path: Path) -> None:
    root = tmp_path / "project"
    write_profiles(root, {"dev": duckdb_output("/project.duckdb")})
    (tmp_path / "empty").mkdir()
    with pytest.raises(NoProfileError, match=r"looked in .*empty\); pass --profiles-dir"):
        load_target(project(root, profiles_dir=tmp_path / "empty"))
    assert profiles_dirs(project(root, profiles_dir=tmp_path / "empty")) == [
        (tmp_path / "empty").resolve()]


def test_no_profiles_file_anywhere_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(NoProfileError) as caught:
        load_target(project(tmp_path / "project"))
    message = str(caught.value)
    assert "no profiles.yml" in message and ".dbt" in message and "\n" not in message


def test_profile_name_comes_from_the_flag_then_env_then_dbt_project(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "project"
    (root).mkdir()
    (root / "profiles.yml").write_text(yaml.safe_dump({
        name: {"target": "dev", "outputs": {"dev": duckdb_output(f"/{name}.duckdb")}}
        for name in ("shop", "other", "flagged")}))
    assert load_target(project(root)).profile == "shop"
    monkeypatch.setenv("DBT_PROFILE", "other")
    assert load_target(project(root)).profile == "other"
    assert load_target(project(root, profile="flagged")).credentials["path"] == \
        "/flagged.duckdb"


def test_unknown_profile_and_target_name_the_choices(tmp_path: Path) -> None:
    root = tmp_path / "project"
    path = write_profiles(root, {"dev": duckdb_output("/a.duckdb"),
                                 "ci": duckdb_output("/b.duckdb")})
    with pytest.raises(ProfileError, match=f"{path}: no profile 'nope' \\(profiles: shop\\)"):
        load_target(project(root, profile="nope"))
    with pytest.raises(ProfileError, match="has no target 'prod' \\(targets: ci, dev\\)"):
        load_target(project(root, target="prod"))


# --- which target -------------------------------------------------------------------------


def test_target_comes_from_the_flag_then_dbt_target_then_the_profile(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "project"
    outputs = {name: duckdb_output(f"/{name}.duckdb") for name in ("dev", "ci", "prod")}
    write_profiles(root, outputs, target="{{ env_var('SHOP_TARGET', 'dev') }}")
    assert load_target(project(root)).name == "dev"
    monkeypatch.setenv("SHOP_TARGET", "ci")  # the profile's own target is rendered
    assert load_target(project(root)).name == "ci"
    monkeypatch.setenv("DBT_TARGET", "prod")
    assert load_target(project(root)).name == "prod"
    chosen = load_target(project(root, target="dev"))
    assert (chosen.name, chosen.credentials["path"]) == ("dev", "/dev.duckdb")


def test_a_profile_without_target_uses_dbts_default(tmp_path: Path) -> None:
    root = tmp_path / "project"
    write_profiles(root, {"default": duckdb_output("/default.duckdb")}, target=None)
    assert load_target(project(root)).name == "default"


# --- rendering ----------------------------------------------------------------------------


def test_values_are_rendered_one_by_one_with_dbts_filters(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "project"
    monkeypatch.setenv("SHOP_PORT", "6543")
    monkeypatch.setenv("SHOP_SSL", "True")
    # YAML syntax inside a value: rendering the file as text would break the document.
    monkeypatch.setenv("SHOP_PASSWORD", "it's: #not-a-comment")
    write_profiles(root, {"dev": {
        "type": "postgres", "host": "db", "user": "u", "dbname": "d", "schema": "s",
        "port": "{{ env_var('SHOP_PORT') | as_number }}",
        "keepalives_idle": "{{ env_var('SHOP_PORT') }}",
        "password": "{{ env_var('SHOP_PASSWORD') }}",
        "sslmode": "{{ 'require' if env_var('SHOP_SSL') | as_bool else 'disable' }}",
        "threads": 4,
        "retries": "{{ env_var('SHOP_RETRIES', '2') | as_number }}",
    }})
    credentials = load_target(project(root)).credentials
    assert credentials["port"] == 6543 and isinstance(credentials["port"], int)
    assert credentials["keepalives_idle"] == "6543"  # without a filter, text (as dbt)
    assert credentials["password"] == "it's: #not-a-comment"
    assert credentials["sslmode"] == "require"
    assert credentials["threads"] == 4 and credentials["retries"] == 2


def test_only_the_selected_target_is_rendered(tmp_path: Path) -> None:
    root = tmp_path / "project"
    write_profiles(root, {"dev": duckdb_output("/dev.duckdb"),
                          "prod": {"type": "postgres",
                                   "password": "{{ env_var('SHOP_PROD_PASSWORD') }}"}})
    assert load_target(project(root)).credentials["path"] == "/dev.duckdb"


def test_a_missing_env_var_names_the_file_and_the_variable(tmp_path: Path) -> None:
    root = tmp_path / "project"
    path = write_profiles(root, {"dev": {"type": "postgres",
                                         "password": "{{ env_var('SHOP_PASSWORD') }}"}})
    with pytest.raises(ProfileError) as caught:
        load_target(project(root))
    message = str(caught.value)
    assert message == (f"{path}: profile 'shop': outputs.dev.password: env var required but "
                       "not provided: 'SHOP_PASSWORD'")


def test_a_value_that_is_not_a_number_is_refused(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "project"
    monkeypatch.setenv("SHOP_PORT", "five")
    write_profiles(root, {"dev": {"type": "postgres",
                                  "port": "{{ env_var('SHOP_PORT') | as_number }}"}})
    with pytest.raises(ProfileError, match="outputs.dev.port: could not convert value 'five' "
                                           "into type 'number'"):
        load_target(project(root))


# --- paths --------------------------------------------------------------------------------


def test_relative_duckdb_paths_are_taken_from_the_project_folder(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "project"
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    write_profiles(root, {"dev": {
        "type": "duckdb", "path": "data/warehouse.duckdb", "external_root": "data/external",
        "extensions": ["parquet", "ext/custom.duckdb_extension"]}})
    credentials = load_target(project(root)).credentials
    assert credentials["path"] == str(root / "data" / "warehouse.duckdb")
    assert credentials["external_root"] == str(root / "data" / "external")
    assert credentials["extensions"] == ["parquet", str(root / "ext/custom.duckdb_extension")]


@pytest.mark.parametrize("special", [":memory:", "md:analytics", "s3://bucket/w.duckdb"])
def test_special_duckdb_locations_are_kept(tmp_path: Path, special: str) -> None:
    root = tmp_path / "project"
    write_profiles(root, {"dev": duckdb_output(special)})
    assert load_target(project(root)).credentials["path"] == special


def test_the_example_profile_selects_postgres_through_its_own_variables(
        monkeypatch: pytest.MonkeyPatch) -> None:
    repo = Path(__file__).resolve().parents[2]
    monkeypatch.setenv("FEATUREOPS_TARGET", "postgres")
    monkeypatch.setenv("FEATUREOPS_PG_PORT", "6000")
    monkeypatch.setenv("FEATUREOPS_PG_SCHEMA", "private")
    target = load_target(Project.locate(repo, repo / "target" / "manifest.json"))
    assert (target.profile, target.name, target.adapter_type) == (
        "fraud_example", "postgres", "postgres")
    assert target.credentials["port"] == 6000 and target.credentials["schema"] == "private"
