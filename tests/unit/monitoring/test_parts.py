"""Which parts of monitoring a manifest built, and the one-line error when none."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from featureops.monitoring.errors import MonitoringError
from featureops.monitoring.parts import PART_VIEWS, built_parts
from featureops.project import Project
from featureops.testing.manifests import ManifestBuilder


def _project(tmp_path: Path, views: list[str], monitoring: str | None = None,
             package: str = "featureops") -> Project:
    builder = ManifestBuilder("shop")
    builder.model("feat_a")
    for view in views:
        builder.model(view, package=package)
    (tmp_path / "manifest.json").write_text(json.dumps(builder.build()))
    if monitoring is not None:
        (tmp_path / "dbt_project.yml").write_text(
            f"name: shop\nvars:\n  featureops:\n    monitoring: {monitoring}\n")
    return Project.locate(tmp_path, tmp_path / "manifest.json")


def test_every_part_whose_views_were_built(tmp_path: Path) -> None:
    views = [*PART_VIEWS["quality"], *PART_VIEWS["skew"]]
    assert built_parts(_project(tmp_path, views)) == {"quality", "skew"}


def test_a_part_with_a_view_missing_is_not_built(tmp_path: Path) -> None:
    views = [view for view in PART_VIEWS["quality"] if view != "monitoring__freshness"]
    assert built_parts(_project(tmp_path, [*views, "monitoring__drift"])) == {"drift"}


def test_the_projects_own_monitoring_models_count(tmp_path: Path) -> None:
    assert built_parts(_project(tmp_path, ["monitoring__drift"], package="shop")) == {"drift"}


@pytest.mark.parametrize("monitoring, message", [
    (None, "monitoring is off: the project built no featureops monitoring model"),
    ("{enabled: false}", "monitoring is off"),
    ("{enabled: true}", "monitoring is on but configures nothing to build"),
])
def test_monitoring_off_is_one_line_naming_the_setting(tmp_path: Path, monitoring: str | None,
                                                       message: str) -> None:
    with pytest.raises(MonitoringError) as raised:
        built_parts(_project(tmp_path, [], monitoring))
    text = str(raised.value)
    assert message in text and "vars.featureops.monitoring" in text and "\n" not in text
