"""`featureops init --existing`: the package entry and vars.featureops added to a dbt
project as text (the user's other packages, vars and comments kept), nothing else touched,
a second run a no-op; one-line errors for a folder that is not a dbt project or unreadable
YAML."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from featureops.init import InitError, adopt_existing
from featureops.init.existing import SETTINGS
from featureops.package import package_dir

ENTRY = {"local": str(package_dir())}
PROJECT = """\
# The ride-hailing project
name: rides
version: "1.0.0"
profile: rides

# Trips and drivers, all views
models:
  rides:
    +materialized: view
"""


def _project(tmp_path: Path, text: str = PROJECT, **files: str) -> Path:
    (tmp_path / "models").mkdir(parents=True)
    (tmp_path / "dbt_project.yml").write_text(text, encoding="utf-8")
    (tmp_path / "models" / "trips.sql").write_text("select 1 as trip_id\n", encoding="utf-8")
    for name, content in files.items():
        (tmp_path / name.replace("__", ".")).write_text(content, encoding="utf-8")
    return tmp_path


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {path.relative_to(folder).as_posix(): path.read_bytes()
            for path in folder.rglob("*") if path.is_file()}


def _load(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def test_adds_the_package_and_the_settings_and_nothing_else(tmp_path: Path) -> None:
    project = _project(tmp_path)
    before = _snapshot(project)
    result = adopt_existing(project)
    assert [line.split(":")[0] for line in result.changes] == ["packages.yml",
                                                               "dbt_project.yml"]
    after = _snapshot(project)
    assert set(after) - set(before) == {"packages.yml"}
    assert {name for name in before if before[name] != after[name]} == {"dbt_project.yml"}
    assert _load(project / "packages.yml") == {"packages": [ENTRY]}
    config = _load(project / "dbt_project.yml")
    assert config["vars"] == {"featureops": SETTINGS}
    # the old text is kept as it was (comments included); the block is appended
    assert (project / "dbt_project.yml").read_text().startswith(PROJECT)
    assert "#   monitored: [my_feature_view]" in (project / "dbt_project.yml").read_text()


def test_second_run_changes_nothing(tmp_path: Path) -> None:
    project = _project(tmp_path)
    adopt_existing(project)
    before = _snapshot(project)
    result = adopt_existing(project)
    assert result.changes == []
    assert [line.split(":")[0] for line in result.kept] == ["packages.yml", "dbt_project.yml"]
    assert _snapshot(project) == before


@pytest.mark.parametrize("packages", [
    # block style, list indented, comments before, inside and after
    "# our packages\npackages:\n  # utilities\n  - package: dbt-labs/dbt_utils\n"
    "    version: [\">=1.0.0\"]\n  # - package: old/thing\n\n# end\n",
    # list items at the key's indentation, no trailing newline
    "packages:\n- package: dbt-labs/dbt_utils\n  version: 1.3.0",
    # a local package and a git one
    "packages:\n    - local: ../shared_macros\n    - git: https://example.com/x.git\n"
    "      revision: v1\n",
])
def test_merges_into_a_block_list_keeping_comments(tmp_path: Path, packages: str) -> None:
    project = _project(tmp_path, packages__yml=packages)
    old = _load(project / "packages.yml")["packages"]
    result = adopt_existing(project)
    assert result.changes[0] == "packages.yml: added the featureops dbt package"
    text = (project / "packages.yml").read_text()
    assert _load(project / "packages.yml") == {"packages": [*old, ENTRY]}
    for line in packages.splitlines():
        assert line in text.splitlines()


def test_empty_and_flow_style_lists(tmp_path: Path) -> None:
    empty = _project(tmp_path / "empty", packages__yml="packages: []  # none yet\n")
    assert adopt_existing(empty).changes[0] == "packages.yml: added the featureops dbt package"
    assert _load(empty / "packages.yml") == {"packages": [ENTRY]}
    flow = _project(tmp_path / "flow", packages__yml="packages: [{package: a/b, version: 1}]\n")
    assert "rewritten" in adopt_existing(flow).changes[0]
    assert _load(flow / "packages.yml") == {"packages": [{"package": "a/b", "version": 1},
                                                         ENTRY]}


def test_uses_dependencies_yml_when_the_project_has_one(tmp_path: Path) -> None:
    project = _project(tmp_path, dependencies__yml="projects:\n  - name: core_platform\n")
    adopt_existing(project)
    assert not (project / "packages.yml").exists()
    assert _load(project / "dependencies.yml") == {"projects": [{"name": "core_platform"}],
                                                   "packages": [ENTRY]}


@pytest.mark.parametrize("entry", [
    "- local: /somewhere/else/featureops/dbt_package",
    "- git: https://github.com/acme/featureops.git\n    subdirectory: featureops/dbt_package",
    "- package: acme/featureops\n    version: 0.1.0",
])
def test_an_existing_featureops_entry_is_kept(tmp_path: Path, entry: str) -> None:
    text = f"packages:\n  {entry}\n"
    project = _project(tmp_path, packages__yml=text)
    result = adopt_existing(project)
    assert (project / "packages.yml").read_text() == text
    assert result.kept[0].startswith("packages.yml: already installs the featureops dbt package")


@pytest.mark.parametrize(("tail", "expected_vars"), [
    ("vars:\n  # the city the project serves\n  city: lisbon\n    \n",
     {"city": "lisbon", "featureops": SETTINGS}),
    ("vars:\n    city: lisbon\n    rides:\n        surge_cap: 3\n",
     {"city": "lisbon", "rides": {"surge_cap": 3}, "featureops": SETTINGS}),
    ("vars: {}\n", {"featureops": SETTINGS}),
    ("vars:\n", {"featureops": SETTINGS}),
])
def test_settings_merge_into_existing_vars(tmp_path: Path, tail: str,
                                           expected_vars: dict) -> None:
    project = _project(tmp_path, PROJECT + tail)
    adopt_existing(project)
    config = _load(project / "dbt_project.yml")
    assert config["vars"] == expected_vars
    assert config["models"] == {"rides": {"+materialized": "view"}}
    if "#" in tail:
        assert "  # the city the project serves\n" in (project / "dbt_project.yml").read_text()


def test_existing_featureops_settings_are_kept(tmp_path: Path) -> None:
    text = PROJECT + "vars:\n  featureops:\n    monitoring: {enabled: true, monitored: [x]}\n"
    project = _project(tmp_path, text)
    result = adopt_existing(project)
    assert (project / "dbt_project.yml").read_text() == text
    assert "dbt_project.yml: already has vars.featureops" in result.kept


def test_flow_style_vars_are_an_error_and_nothing_is_written(tmp_path: Path) -> None:
    project = _project(tmp_path, PROJECT + "vars: {city: lisbon}\n")
    before = _snapshot(project)
    with pytest.raises(InitError, match="cannot add vars.featureops"):
        adopt_existing(project)
    assert _snapshot(project) == before


def test_not_a_dbt_project(tmp_path: Path) -> None:
    with pytest.raises(InitError) as caught:
        adopt_existing(tmp_path)
    assert str(caught.value) == (f"{tmp_path}: not a dbt project (no dbt_project.yml); "
                                 "`featureops init DIR` creates a new feature repository")


@pytest.mark.parametrize(("name", "text"), [
    ("dbt_project.yml", "name: rides\nmodels: [unclosed\n"),
    ("packages.yml", "packages:\n  - local: a\n bad indent: [\n"),
    ("packages.yml", "- just a list\n"),
])
def test_unreadable_yaml_is_one_line_naming_the_file(tmp_path: Path, name: str,
                                                     text: str) -> None:
    project = _project(tmp_path)
    (project / name).write_text(text)
    before = _snapshot(project)
    with pytest.raises(InitError) as caught:
        adopt_existing(project)
    message = str(caught.value)
    assert message.startswith(f"{project / name}: ") and "\n" not in message
    assert _snapshot(project) == before
