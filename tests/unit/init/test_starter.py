"""`featureops init DIR`: the starter's files, filled in for this install, consistent with
each other (every name the YAML mentions is a model of the starter) and with the featureops
meta schema; a non-empty folder is refused in one line. That the starter builds and runs is
tests/integration/test_wheel_install.py."""

from __future__ import annotations

import os
import re
import stat
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from featureops.init import InitError, create_starter
from featureops.init.starter import TEMPLATE_DIR, render
from featureops.package import PACKAGE_NAME, cli_version, package_dir
from featureops.spec import FeatureServiceSpec, FeatureViewSpec, TrainingSetSpec

NOW = datetime(2031, 5, 17, 9, 30, 12)


@pytest.fixture
def starter(tmp_path: Path):
    return create_starter(tmp_path / "Shop Features", now=NOW, seed=1)


def _yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def _meta(entry: dict[str, Any]) -> dict[str, Any]:
    return entry["config"]["meta"]["featureops"]


def _model_yaml(directory: Path) -> dict[str, dict[str, Any]]:
    found = {}
    for path in (directory / "models").rglob("*.yml"):
        for entry in _yaml(path).get("models") or []:
            found[entry["name"]] = entry
    return found


def test_files_of_the_starter(starter) -> None:
    directory = starter.directory
    relative = {path.relative_to(directory).as_posix() for path in starter.files}
    assert {"dbt_project.yml", "profiles.yml", "packages.yml", "README.md", ".gitignore",
            "seeds/raw_orders.csv", "seeds/raw_returns.csv", "seeds/_seeds.yml",
            "models/features/customer/feat_customer__order_windows.sql",
            "models/training/train_return_model__orders.sql",
            "models/exposures/_exposures.yml"} <= relative
    assert relative == {path.relative_to(directory).as_posix()
                        for path in directory.rglob("*") if path.is_file()}
    assert starter.project_name == "shop_features"
    for path in starter.files:
        assert not re.search(r"__[A-Z][A-Z_]*__", path.read_text(encoding="utf-8")), path
        # files get the umask's permissions, like any file the user creates
        umask = os.umask(0)
        os.umask(umask)
        assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~umask


def test_project_profile_and_package_entry(starter) -> None:
    directory = starter.directory
    project = _yaml(directory / "dbt_project.yml")
    assert project["name"] == project["profile"] == "shop_features"
    assert project["flags"]["send_anonymous_usage_stats"] is False
    # +file_format: Spark tables as Parquet (other engines ignore it).
    assert set(project["models"]) == {"shop_features", "+file_format"}
    assert project["dispatch"] == [{"macro_namespace": "dbt", "search_order": [
        "shop_features", "featureops", "dbt"]}]
    profile = _yaml(directory / "profiles.yml")["shop_features"]
    dev = profile["outputs"][profile["target"]]
    assert dev["type"] == "duckdb" and not Path(dev["path"]).is_absolute()
    assert dev["settings"] == {"autoinstall_known_extensions": False,
                               "autoload_known_extensions": False}
    postgres = profile["outputs"]["postgres"]
    assert postgres["type"] == "postgres"
    for key in ("host", "port", "user", "password", "dbname", "schema"):
        assert "env_var(" in str(postgres[key]), key
    assert "DBT_ENV_SECRET_" in postgres["password"]
    spark = profile["outputs"]["spark"]
    assert (spark["type"], spark["method"]) == ("spark", "session")
    assert "FEATUREOPS_SPARK_DIR" in spark["server_side_parameters"]["spark.sql.warehouse.dir"]
    (entry,) = _yaml(directory / "packages.yml")["packages"]
    assert entry == {"local": str(package_dir())}
    assert _yaml(Path(entry["local"]) / "dbt_project.yml")["name"] == PACKAGE_NAME
    assert cli_version() in (directory / "packages.yml").read_text(encoding="utf-8")


def test_every_name_the_yaml_mentions_is_a_model(starter) -> None:
    directory = starter.directory
    sql_models = {path.stem for path in (directory / "models").rglob("*.sql")}
    documented = _model_yaml(directory)
    assert set(documented) == sql_models
    monitoring = _yaml(directory / "dbt_project.yml")["vars"]["featureops"]["monitoring"]
    assert monitoring["enabled"] is True
    named = [*monitoring["monitored"], *(check["model"] for check in monitoring["drift"]),
             *monitoring["skew"]["training_sets"]]
    assert named and set(named) <= sql_models
    (exposure,) = _yaml(directory / "models" / "exposures" / "_exposures.yml")["exposures"]
    service = FeatureServiceSpec.model_validate(_meta(exposure))
    assert exposure["type"] == "ml" and set(service.features) <= sql_models
    for ref in exposure["depends_on"]:
        assert re.fullmatch(r"ref\('(\w+)'\)", ref).group(1) in sql_models


def test_meta_blocks_follow_the_featureops_schema(starter) -> None:
    models = _model_yaml(starter.directory)
    view = models["feat_customer__order_windows"]
    spec = FeatureViewSpec.model_validate(_meta(view))
    assert spec.online and spec.ttl == "30d" and view["config"]["contract"]["enforced"]
    columns = {column["name"]: column for column in view["columns"]}
    assert {*spec.entities, spec.timestamp} <= set(columns)
    assert all(column.get("data_type") for column in columns.values())
    training = TrainingSetSpec.model_validate(_meta(models["train_return_model__orders"]))
    assert training.exposure == "return_model"
    assert set(training.label_sources) <= set(models)
    spine_columns = {column["name"] for column in models["train_return_model__spine"]["columns"]}
    assert {training.timestamp, *training.labels, *spec.entities} <= spine_columns


def test_an_empty_folder_is_fine(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    starter = create_starter(tmp_path / "empty", name="my_repo", now=NOW)
    assert _yaml(starter.directory / "dbt_project.yml")["name"] == "my_repo"


@pytest.mark.parametrize(("content", "hint"), [
    ({"notes.txt": "x"}, "choose a new or empty folder"),
    ({"dbt_project.yml": "name: mine\n"}, "featureops init --existing"),
])
def test_a_non_empty_folder_is_refused(tmp_path: Path, content: dict[str, str],
                                       hint: str) -> None:
    for name, text in content.items():
        (tmp_path / name).write_text(text)
    before = {path.name: path.read_text() for path in tmp_path.iterdir()}
    with pytest.raises(InitError) as caught:
        create_starter(tmp_path, now=NOW)
    message = str(caught.value)
    assert message.startswith(f"{tmp_path}: folder is not empty") and hint in message
    assert "\n" not in message
    assert {path.name: path.read_text() for path in tmp_path.iterdir()} == before


def test_a_file_is_not_a_folder(tmp_path: Path) -> None:
    (tmp_path / "taken").write_text("x")
    with pytest.raises(InitError, match="exists and is not a folder"):
        create_starter(tmp_path / "taken", now=NOW)


def test_a_bad_name_is_refused_before_writing(tmp_path: Path) -> None:
    with pytest.raises(InitError, match="--name 'Bad-Name'"):
        create_starter(tmp_path / "new", name="Bad-Name", now=NOW)
    assert not (tmp_path / "new").exists()


def test_every_template_placeholder_is_known() -> None:
    values = {"__PROJECT_NAME__": "p", "__PACKAGE_DIR__": "\"/x\"", "__FEATUREOPS_VERSION__": "1"}
    for template in TEMPLATE_DIR.rglob("*"):
        if template.is_file():
            render(template.read_text(encoding="utf-8"), values, template)
    with pytest.raises(AssertionError, match="__TYPO__"):
        render("name: __TYPO__", values)
