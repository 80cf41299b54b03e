"""One version everywhere: the Python package (pyproject, the installed metadata,
featureops.__version__) and the featureops dbt package it ships (its dbt_project.yml and the
featureops_package_version macro that manifest.json carries to the CLI's mismatch check)."""

from __future__ import annotations

import re

import yaml

import featureops
from featureops.package import cli_version, package_dir
from tests.conftest import REPO_ROOT


def _pyproject_version() -> str:
    # tomllib is 3.11+ and featureops supports 3.10: the [project] table's version line.
    text = (REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8")
    project = text.split("\n[project]\n", 1)[1].split("\n[", 1)[0]
    found = re.findall(r'^version = "([^"]+)"$', project, flags=re.MULTILINE)
    assert len(found) == 1, f"expected one version line in [project], got {found}"
    return found[0]


def _dbt_package_version() -> str:
    config = yaml.safe_load((package_dir() / "dbt_project.yml").read_text(encoding="utf-8"))
    return str(config["version"])


def _version_macro_value() -> str:
    sql = (package_dir() / "macros" / "package" / "featureops_package_version.sql").read_text(
        encoding="utf-8")
    found = re.findall(r"return\(\s*'([^']+)'\s*\)", sql)
    assert len(found) == 1, f"expected one return('<version>') in the macro, got {found}"
    return found[0]


def test_every_version_is_the_pyproject_version() -> None:
    expected = _pyproject_version()
    assert re.fullmatch(r"\d+\.\d+\.\d+([.-]?\w+)*", expected)
    assert {
        "dbt_package/dbt_project.yml": _dbt_package_version(),
        "featureops_package_version macro": _version_macro_value(),
        "featureops.__version__": featureops.__version__,
        "cli_version()": cli_version(),
    } == dict.fromkeys(("dbt_package/dbt_project.yml", "featureops_package_version macro",
                        "featureops.__version__", "cli_version()"), expected)
