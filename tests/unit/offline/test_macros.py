"""The dbt-context stand-in that renders featureops's macros from Python."""

from __future__ import annotations

from pathlib import Path

import pytest

from featureops.manifest import Manifest
from featureops.offline.errors import MacroRenderError
from featureops.offline.macros import MacroRenderer, MacroSource, quote_identifier
from featureops.package import PackageNotInstalledError
from featureops.testing import ManifestBuilder

VIEW = {"name": "v", "relation": '"v"', "entities": ["k"], "timestamp": "ts",
        "created_timestamp": None, "ttl": "2d", "features": [{"column": "f", "alias": "f"}]}


def test_dispatch_picks_the_engine_override_then_the_default() -> None:
    duckdb_sql = MacroRenderer("duckdb").render("point_in_time_join", "s", "ts", [VIEW])
    postgres_sql = MacroRenderer("postgres").render("point_in_time_join", "s", "ts", [VIEW])
    other_sql = MacroRenderer("snowflake").render("point_in_time_join", "s", "ts", [VIEW])
    assert "asof left join" in duckdb_sql
    assert "row_number() over" in postgres_sql and "lateral" not in postgres_sql
    assert "left join lateral" in other_sql
    # A ttl is an exact duration in seconds, never a calendar interval.
    assert "interval '172800 seconds'" in duckdb_sql


def test_return_values_and_compiler_errors() -> None:
    renderer = MacroRenderer("duckdb")
    assert renderer.render("duration_seconds", "2w") == 1_209_600
    with pytest.raises(MacroRenderError, match="'7 days' is not a duration"):
        renderer.render("duration_seconds", "7 days")
    with pytest.raises(MacroRenderError, match="views must be a non-empty list"):
        renderer.render("point_in_time_join", "s", "ts", [])


def test_test_blocks_become_test_macros() -> None:
    assert "test_no_future_feature_values" in MacroRenderer("duckdb").macros


def test_identifiers_are_quoted() -> None:
    assert quote_identifier('we"ird') == '"we""ird"'
    sql = MacroRenderer("duckdb").render(
        "point_in_time_join", "s", "order", [VIEW | {"entities": ["select"]}])
    assert '__fo_spine."select"' in sql and '__fo_spine."order"' in sql


def test_missing_macro_folder(tmp_path: Path) -> None:
    with pytest.raises(MacroRenderError, match="macros are not at .*cross_db"):
        MacroSource.from_directory(tmp_path)
    with pytest.raises(MacroRenderError, match="no macro 'featureops.nope'"):
        MacroRenderer("duckdb").render("nope")


def test_the_macros_the_manifest_holds_are_rendered_not_the_shipped_ones() -> None:
    """A project built with another release of the package (here: a point_in_time_join
    that says so) gets that release's SQL, wherever the package was installed from."""
    data = ManifestBuilder("shop").build()
    uid = "macro.featureops.default__point_in_time_join"
    data["macros"][uid] = {**data["macros"][uid], "macro_sql": (
        "{% macro default__point_in_time_join(spine, timestamp, views, spine_columns, "
        "order_by, exclusive, exclude_created_after) %}select 'built with the project' as "
        "marker{% endmacro %}")}
    manifest = Manifest.from_dict(data, "built.json")
    sql = MacroRenderer("snowflake", source=MacroSource.from_manifest(manifest)).render(
        "point_in_time_join", "s", "ts", [VIEW])
    assert "built with the project" in sql
    assert "built with the project" not in MacroRenderer("snowflake").render(
        "point_in_time_join", "s", "ts", [VIEW])


def test_a_project_without_the_package_is_told_how_to_install_it() -> None:
    manifest = Manifest.from_dict(ManifestBuilder("shop", featureops_package=False).build(),
                                  "bare.json")
    with pytest.raises(PackageNotInstalledError,
                       match=r"bare.json: the project does not install the featureops dbt "
                             r"package .*packages.yml.*featureops package-path"):
        MacroSource.from_manifest(manifest)
