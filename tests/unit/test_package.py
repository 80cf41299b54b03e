"""The featureops dbt package as the CLI sees it: where it ships, which version a project
installed, and the one-line mismatch report."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from pathlib import Path

import yaml

from featureops.manifest import Manifest
from featureops.package import (
    VERSION_MACRO,
    cli_version,
    installed_version,
    package_dir,
    version_mismatch,
)
from featureops.project import Project
from featureops.testing.manifests import ManifestBuilder


def _manifest_with_version(version: str | None) -> dict:
    raw = ManifestBuilder("shop", featureops_package=True).build()
    if version is None:
        del raw["macros"][VERSION_MACRO]
    else:
        raw["macros"][VERSION_MACRO]["macro_sql"] = (
            "{% macro featureops_package_version() %}{{ return('" + version + "') }}"
            "{% endmacro %}")
    return raw


def test_the_shipped_package_is_a_dbt_project_named_featureops() -> None:
    config = yaml.safe_load((package_dir() / "dbt_project.yml").read_text())
    assert config["name"] == "featureops" and config["version"] == cli_version()
    assert (package_dir() / "macros" / "training").is_dir()
    # No resource of the example domain: nothing in the package mentions it.
    example_words = ("payments", "fraud", "merchant", "chargeback")
    for path in package_dir().rglob("*"):
        if path.is_file() and path.suffix in {".sql", ".yml"}:
            text = path.read_text().lower()
            assert not any(word in text for word in example_words), path


def test_installed_version_is_read_from_the_manifest_macro() -> None:
    assert installed_version(Manifest.from_dict(_manifest_with_version("9.8.7"))) == "9.8.7"
    assert installed_version(Manifest.from_dict(_manifest_with_version(None))) is None
    same = Manifest.from_dict(_manifest_with_version(cli_version()))
    assert version_mismatch(same) is None


def test_a_mismatch_is_one_line_naming_both_versions() -> None:
    message = version_mismatch(Manifest.from_dict(_manifest_with_version("0.0.1")))
    assert message is not None and "\n" not in message
    assert "0.0.1" in message and cli_version() in message and "dbt deps" in message


def test_loading_a_mismatched_project_warns_once(tmp_path: Path, caplog) -> None:
    manifest = tmp_path / "manifest.json"
    manifest.write_text(json.dumps(_manifest_with_version("0.0.1")))
    project = Project.locate(tmp_path, manifest)
    with caplog.at_level(logging.WARNING):
        assert project.manifest is project.manifest
    warnings = [r for r in caplog.records if "0.0.1" in r.getMessage()]
    assert len(warnings) == 1


def test_package_path_prints_the_folder_and_the_packages_yml_entry() -> None:
    def run(*args: str) -> str:
        return subprocess.run([sys.executable, "-m", "featureops", "package-path", *args],
                              check=True, capture_output=True, text=True).stdout

    assert Path(run().strip()) == package_dir()
    entry = yaml.safe_load(run("--packages-yml"))
    assert entry == {"packages": [{"local": str(package_dir())}]}


def test_the_packages_yml_entry_is_valid_yaml_for_any_path(monkeypatch) -> None:
    """A site-packages path with a space, ` #` or `: ` must not be cut or misread by YAML
    (printed unquoted, `/opt/my env #2/x: y` parsed as a mapping or lost its tail)."""
    from click.testing import CliRunner

    from featureops import package
    from featureops.cli import cli

    odd = Path("/opt/my env #2/site: packages/featureops/dbt_package")
    monkeypatch.setattr(package, "package_dir", lambda: odd)
    printed = CliRunner().invoke(cli, ["package-path", "--packages-yml"]).output
    assert yaml.safe_load(printed) == {"packages": [{"local": str(odd)}]}
