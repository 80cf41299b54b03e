"""Tests for featureops.manifest.

Three kinds of input:

* the five real third-party manifests in ``tests/resources/real_manifests`` (v8, v10, v11,
  v12; copied from the team's shared folder), whose counts are checked against its README;
* corrupted copies of them written to ``tmp_path`` (each must fail with a specific, one-line
  error naming the file);
* two small hand-made fixtures in ``tests/resources/manifests`` for behaviour the real files
  do not pin down (meta merging, attached_node derivation, model lookup).
"""

from __future__ import annotations

import copy
import dataclasses
import functools
import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from featureops.exceptions import (
    AmbiguousModelError,
    FeatureopsError,
    ManifestError,
    ManifestNotFoundError,
    ManifestParseError,
    ManifestShapeError,
    ModelNotFoundError,
    UnsupportedManifestVersionError,
)
from featureops.manifest import (
    Column,
    DataTest,
    Exposure,
    Group,
    Manifest,
    Model,
    Node,
    Source,
    load_manifest,
)
from featureops.testing.manifests import enlarged_manifest

SHARED = Path(__file__).resolve().parents[1] / "resources" / "real_manifests"
RESOURCES = Path(__file__).resolve().parents[1] / "resources" / "manifests"

needs_shared = pytest.mark.skipif(
    not SHARED.is_dir(), reason=f"real dbt manifests not available at {SHARED}"
)

# Counts from tests/resources/real_manifests/README.md (the table and the per-manifest details).
EXPECTED: dict[str, dict[str, Any]] = {
    "billiam-duckdb": dict(
        dbt_version="1.4.5", schema_version=8, adapter_type="duckdb",
        project_name="billiam_database", nodes=32, models=7, root_models=7, tests=23,
        singular=0, seeds=2, snapshots=0, analyses=0, sources=0, fresh_sources=0, exposures=0,
        semantic_models=0, metrics=0, saved_queries=0, unit_tests=0, groups=0, disabled=0,
        contracts=0, versioned=0, invocation_id="97e68830-fb7b-46c9-a496-4e4ed9af72e7",
    ),
    "tpch-snowflake": dict(
        dbt_version="1.6.9", schema_version=10, adapter_type="snowflake", project_name="tpch",
        nodes=104, models=30, root_models=30, tests=65, singular=4, seeds=2, snapshots=1,
        analyses=3, sources=9, fresh_sources=8, exposures=4, semantic_models=3, metrics=9,
        saved_queries=0, unit_tests=0, groups=0, disabled=0, contracts=0, versioned=0,
        invocation_id="20f2f0b7-e65e-4a1e-a3e6-8dfca000d353",
    ),
    "hubspot-bigquery": dict(
        dbt_version="1.7.9", schema_version=11, adapter_type="bigquery",
        project_name="hubspot_integration_tests", nodes=303, models=127, root_models=0,
        tests=128, singular=0, seeds=48, snapshots=0, analyses=0, sources=54, fresh_sources=3,
        exposures=0, semantic_models=0, metrics=0, saved_queries=0, unit_tests=0, groups=0,
        disabled=14, contracts=0, versioned=0,
        invocation_id="f5baeb52-0f99-4bd5-9a2c-7bef135b0bb5",
    ),
    "across-postgres": dict(
        dbt_version="1.10.15", schema_version=12, adapter_type="postgres",
        project_name="across_analytics", nodes=666, models=42, root_models=42, tests=621,
        singular=0, seeds=3, snapshots=0, analyses=0, sources=11, fresh_sources=11, exposures=0,
        semantic_models=0, metrics=0, saved_queries=0, unit_tests=0, groups=0, disabled=8,
        contracts=0, versioned=0, invocation_id="7921a684-3330-4bc7-b1da-246a70cd836a",
    ),
    "sa-demo-snowflake": dict(
        dbt_version="2024.9.238", schema_version=12, adapter_type="snowflake",
        project_name="analytics", nodes=112, models=32, root_models=32, tests=71, singular=4,
        seeds=2, snapshots=1, analyses=3, sources=9, fresh_sources=6, exposures=4,
        semantic_models=3, metrics=9, saved_queries=2, unit_tests=1, groups=1, disabled=0,
        contracts=2, versioned=2, invocation_id="94a60e17-7ece-408a-b78a-cbb7f3b67c5e",
    ),
}  # fmt: skip


@functools.cache
def real(name: str) -> Manifest:
    """Each real manifest is parsed once per test session (they are read-only inputs)."""
    if not SHARED.is_dir():
        pytest.skip(f"real dbt manifests not available at {SHARED}")
    return load_manifest(SHARED / name / "manifest.json")


def raw_json(name: str) -> dict[str, Any]:
    return json.loads((SHARED / name / "manifest.json").read_bytes())


def assert_one_line(exc: BaseException, *fragments: str) -> str:
    """User-facing errors: a FeatureopsError whose message is one line with no traceback."""
    msg = str(exc)
    assert isinstance(exc, FeatureopsError)
    assert "\n" not in msg and "\r" not in msg
    assert "Traceback" not in msg
    for fragment in fragments:
        assert fragment in msg, f"{fragment!r} not in {msg!r}"
    return msg


# --- real manifests ------------------------------------------------------------------------


@needs_shared
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_real_manifest_metadata(name: str) -> None:
    m, want = real(name), EXPECTED[name]
    assert m.path == str(SHARED / name / "manifest.json")
    assert m.schema_version == want["schema_version"]
    assert m.dbt_version == want["dbt_version"]
    assert m.adapter_type == want["adapter_type"]
    assert m.project_name == want["project_name"]
    assert m.invocation_id == want["invocation_id"]
    assert m.generated_at and m.generated_at.startswith(("2023", "2024", "2026"))


@needs_shared
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_real_manifest_counts(name: str) -> None:
    m, want = real(name), EXPECTED[name]
    got = dict(
        nodes=len(m.nodes),
        models=len(m.models),
        root_models=sum(x.package_name == m.project_name for x in m.models.values()),
        tests=len(m.tests),
        singular=sum(t.is_singular for t in m.tests.values()),
        seeds=len(m.seeds),
        snapshots=len(m.snapshots),
        analyses=len(m.analyses),
        sources=len(m.sources),
        fresh_sources=sum(s.has_freshness for s in m.sources.values()),
        exposures=len(m.exposures),
        semantic_models=len(m.semantic_models),
        metrics=len(m.metrics),
        saved_queries=len(m.saved_queries),
        unit_tests=len(m.unit_tests),
        groups=len(m.groups),
        disabled=m.disabled_count,
        contracts=sum(x.contract_enforced for x in m.models.values()),
        versioned=sum(x.is_versioned for x in m.models.values()),
    )
    assert got == {k: want[k] for k in got}
    assert len(m.disabled_ids) == want["disabled"]
    assert not set(m.disabled_ids) & set(m.nodes), "disabled nodes must not be live nodes"


@needs_shared
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_real_manifest_types_and_indexes(name: str) -> None:
    m = real(name)
    assert all(type(n) is Node for n in m.models.values())
    assert all(type(t) is DataTest for t in m.tests.values())
    assert all(isinstance(s, Source) for s in m.sources.values())
    assert set(m.nodes) == {*m.models, *m.seeds, *m.snapshots, *m.analyses, *m.tests} | {
        uid for uid, n in m.nodes.items() if n.resource_type == "operation"
    }
    # Every test the manifest attaches is reachable through tests_for, exactly once.
    attached = [t for t in m.tests.values() if t.attached_node]
    assert sum(len(m.tests_for(uid)) for uid in {t.attached_node for t in attached}) == len(
        attached
    )
    # The manifest's own parent/child maps are used, and agree with depends_on.
    assert m._index.maps_from_manifest
    for uid, obj in m._index.everything.items():
        if not isinstance(obj, Group):
            assert set(m.parent_map[uid]) == set(obj.depends_on)
    assert m.get(next(iter(m.models))) is next(iter(m.models.values()))
    assert m.get("model.nope.nope") is None


@needs_shared
def test_sa_demo_versioned_contracted_dim_customers() -> None:
    m = real("sa-demo-snowflake")
    v1 = m.models["model.analytics.dim_customers.v1"]
    v2 = m.models["model.analytics.dim_customers.v2"]
    for node in (v1, v2):
        assert node.contract_enforced and node.access == "public" and node.group == "data_team"
        assert node.latest_version == 2
        assert node.columns["customer_key"].data_type == "int"
    assert (v1.version, v2.version) == (1, 2)
    assert m.find_model("dim_customers") is v2  # unpinned ref -> latest version
    assert m.find_model("dim_customers", version=1) is v1
    assert m.find_model("dim_customers", version="2") is v2
    assert m.find_model("model.analytics.dim_customers.v1") is v1
    with pytest.raises(ModelNotFoundError) as err:
        m.find_model("dim_customers", version=3)
    assert_one_line(err.value, "dim_customers", "3", "1, 2")
    assert v2.yaml_path == "models/marts/core/core.yml"
    assert m.groups["group.analytics.data_team"].owner_email == "data@acme.co"
    assert list(m.unit_tests) == ["unit_test.analytics.customer_tier.tiers_are_working"]
    assert m.unit_tests["unit_test.analytics.customer_tier.tiers_are_working"].depends_on == (
        "model.analytics.customer_tier",
    )
    # on-run hooks: tags only at the top level, config.tags empty -> union keeps them
    hook = m.nodes["operation.analytics.analytics-on-run-start-0"]
    assert hook.tags == ("on-run-start",)
    python_model = m.models["model.analytics.forecast_daily_returns"]
    assert python_model.language == "python"


@needs_shared
def test_billiam_v8_project_name_and_derived_attached_node() -> None:
    m = real("billiam-duckdb")
    raw = raw_json("billiam-duckdb")
    assert "project_name" not in raw["metadata"]
    assert m.project_name == "billiam_database"
    assert raw["metadata"]["project_id"] == hashlib.md5(b"billiam_database").hexdigest()
    # v8 writes no attached_node; every generic test still gets one.
    assert all("attached_node" not in t._raw for t in m.tests.values())
    assert all(t.attached_node and t.attached_node.startswith("model.") for t in m.tests.values())
    # a relationship from stg__finances to itself lists the parent twice in depends_on
    rel = next(t for t in m.tests.values() if t.test_name == "relationships")
    assert rel.depends_on == ("model.billiam_database.stg__finances",) * 2
    assert rel.attached_node == "model.billiam_database.stg__finances"
    # Windows-generated manifest: yaml_path uses / separators
    model = m.find_model("int__task_details")
    assert model.alias == "task_details" and model.materialized == "table"
    described = [x for x in m.models.values() if x.patch_path]
    assert described and all("\\" not in x.yaml_path for x in described)  # type: ignore[operator]
    assert described[0].yaml_path.startswith("src/models/")  # type: ignore[union-attr]
    assert "\r\n" in model.raw_code  # CRLF kept as written


@needs_shared
def test_tpch_dashboard_exposures() -> None:
    m = real("tpch-snowflake")
    assert [e.type for e in m.exposures.values()] == ["dashboard"] * 4
    exposure = m.exposures["exposure.tpch.returned_orders"]
    assert exposure.owner_name == "Alex" and exposure.maturity == "high"
    assert exposure.depends_on == ("model.tpch.agg_returned_orders_by_month",)
    assert m.exposures_consuming("model.tpch.agg_returned_orders_by_month") == [exposure]
    assert m.find_model("forecast_daily_returns").language == "python"
    assert m.snapshots["snapshot.tpch.orders_snapshot"].resource_type == "snapshot"
    # singular test: no attached_node in the manifest, derived from its single parent
    singular = m.tests["test.tpch.agg_returned_orders_by_month_threshold"]
    assert singular.is_singular and singular.attached_node == singular.depends_on[0]


@needs_shared
def test_hubspot_models_come_from_packages() -> None:
    m = real("hubspot-bigquery")
    assert {x.package_name for x in m.models.values()} == {"hubspot", "hubspot_source"}
    assert {x.package_name for x in m.seeds.values()} == {"hubspot_integration_tests"}
    # no root-project model, but the name is unique across packages
    assert m.find_model("hubspot__deals").unique_id == "model.hubspot.hubspot__deals"
    with pytest.raises(ModelNotFoundError) as err:
        m.find_model("hubspot__tickets")  # only in `disabled`
    assert_one_line(err.value, "disabled", "model.hubspot.hubspot__tickets", m.path)
    # tests of disabled models stay in `nodes`, disabled, with no depends_on
    orphans = m.tests_for("model.hubspot.hubspot__tickets")
    assert orphans and all(not t.enabled and not t.depends_on for t in orphans)


@needs_shared
def test_across_source_tests_attach_to_sources() -> None:
    m = real("across-postgres")
    source_tests = [t for t in m.tests.values() if t._raw.get("attached_node") is None]
    assert len(source_tests) == 23
    assert all(t.attached_node in m.sources for t in source_tests)
    per_source = sum(len(m.tests_for(uid)) for uid in m.sources)
    assert per_source == 23
    assert all(s.freshness and s.loaded_at_field for s in m.sources.values())


@needs_shared
def test_a_15mb_manifest_loads_whole(tmp_path: Path) -> None:
    """Eight renamed copies of across-postgres's nodes (~15 MB), maps rebuilt from
    depends_on: every node is there, and the rebuilt maps agree with the ones dbt wrote for
    the originals. (How fast: benchmarks/bench_manifest_load.py, docs/benchmarks.md.)"""
    dbt = raw_json("across-postgres")
    dbt_parents = dbt["parent_map"]
    data = enlarged_manifest(raw_json("across-postgres"), copies=8)
    path = tmp_path / "manifest.json"
    path.write_text(json.dumps(data))
    assert 14_000_000 < path.stat().st_size < 17_000_000
    m = load_manifest(path)
    counts = EXPECTED["across-postgres"]
    assert not m._index.maps_from_manifest
    assert (len(m.nodes), len(m.models), len(m.tests), len(m.seeds), len(m.sources)) == (
        8 * counts["nodes"], 8 * counts["models"], 8 * counts["tests"], 8 * counts["seeds"],
        counts["sources"])
    originals = [uid for uid in data["nodes"] if uid in dbt_parents]
    assert len(originals) == counts["nodes"]
    for uid in originals:
        for copy_id in (uid, *(f"{uid}_{i}" for i in range(1, 8))):
            assert sorted(m.parent_map[copy_id]) == sorted(dbt_parents[uid])
    # every child of an original is a node, copied seven times over; copies have none
    for uid, kids in dbt["child_map"].items():
        assert len(m.child_map[uid]) == 8 * len(kids)
        if uid in data["nodes"]:
            assert m.child_map[f"{uid}_7"] == ()


# --- corrupted copies ----------------------------------------------------------------------


def _edit(name: str, change: Callable[[dict[str, Any]], Any]) -> Callable[[Path], Path]:
    def make(tmp: Path) -> Path:
        data = raw_json(name)
        change(data)
        path = tmp / "manifest.json"
        path.write_text(json.dumps(data))
        return path

    return make


def _write(content: bytes) -> Callable[[Path], Path]:
    def make(tmp: Path) -> Path:
        path = tmp / "manifest.json"
        path.write_bytes(content)
        return path

    return make


def _truncated(name: str, fraction: float) -> Callable[[Path], Path]:
    def make(tmp: Path) -> Path:
        raw = (SHARED / name / "manifest.json").read_bytes()
        path = tmp / "manifest.json"
        path.write_bytes(raw[: max(1, min(len(raw) - 1, int(len(raw) * fraction)))])
        return path

    return make


def _invalid_utf8(tmp: Path) -> Path:
    raw = (SHARED / "billiam-duckdb" / "manifest.json").read_bytes()
    at = raw.index(b'"description": "') + len(b'"description": "')
    path = tmp / "manifest.json"
    path.write_bytes(raw[:at] + b"\xff\xfe" + raw[at:])
    return path


def _first_node(data: dict[str, Any], kind: str = "model") -> tuple[str, dict[str, Any]]:
    return next((k, v) for k, v in data["nodes"].items() if v["resource_type"] == kind)


def _drop_node_key(key: str) -> Callable[[dict[str, Any]], None]:
    def change(data: dict[str, Any]) -> None:
        del _first_node(data)[1][key]

    return change


def _set_version(v: str) -> Callable[[dict[str, Any]], None]:
    def change(data: dict[str, Any]) -> None:
        data["metadata"]["dbt_schema_version"] = f"https://schemas.getdbt.com/dbt/manifest/{v}.json"

    return change


def _columns_as_list(data: dict[str, Any]) -> None:
    _first_node(data)[1]["columns"] = ["a", "b"]


B = "billiam-duckdb"
FIRST_MODEL = "nodes.model.billiam_database."
# (id, how to make the file, expected error class, fragments the message must contain)
CORRUPTIONS: list[tuple[str, Callable[[Path], Path], type[ManifestError], tuple[str, ...]]] = [
    ("truncated-1-byte", _truncated(B, 0.0), ManifestParseError, ("line 1, column",)),
    ("truncated-1pct", _truncated(B, 0.01), ManifestParseError, ("truncated", "line")),
    ("truncated-half", _truncated(B, 0.5), ManifestParseError, ("truncated", "column")),
    ("truncated-last-byte", _truncated(B, 1.0), ManifestParseError, ("truncated", "line")),
    ("truncated-v12-third", _truncated("sa-demo-snowflake", 0.33), ManifestParseError, ("line",)),
    ("empty", _write(b""), ManifestParseError, ("empty", "dbt parse")),
    ("whitespace-only", _write(b"  \n"), ManifestParseError, ("empty",)),
    ("json-array", _write(b"[1, 2]"), ManifestParseError, ("an array", "object")),
    ("json-string", _write(b'"manifest"'), ManifestParseError, ("a string",)),
    ("not-json", _write(b"<html>404</html>"), ManifestParseError, ("not valid JSON", "line 1")),
    ("invalid-utf8", _invalid_utf8, ManifestParseError, ("UTF-8", "line", "column")),
    ("no-metadata", _edit(B, lambda d: d.pop("metadata")), ManifestShapeError, ("`metadata`",)),
    ("no-nodes", _edit(B, lambda d: d.pop("nodes")), ManifestShapeError, ("`nodes`",)),
    (
        "nodes-is-list",
        _edit(B, lambda d: d.update(nodes=[])),
        ManifestShapeError,
        ("`nodes`", "an array"),
    ),
    ("schema-v7", _edit(B, _set_version("v7")), UnsupportedManifestVersionError, ("v7", "v8-v12")),
    (
        "schema-v13",
        _edit(B, _set_version("v13")),
        UnsupportedManifestVersionError,
        ("v13", "v8-v12", "upgrade featureops"),
    ),
    (
        "no-schema-version",
        _edit(B, lambda d: d["metadata"].pop("dbt_schema_version")),
        UnsupportedManifestVersionError,
        ("metadata.dbt_schema_version", "missing"),
    ),
    (
        "run-results-instead",
        lambda tmp: SHARED / B / "run_results.json",
        UnsupportedManifestVersionError,
        ("run-results", "target/manifest.json"),
    ),
    (
        "node-without-unique_id",
        _edit(B, _drop_node_key("unique_id")),
        ManifestShapeError,
        (FIRST_MODEL, ".unique_id`", "missing"),
    ),
    (
        "node-without-name",
        _edit(B, _drop_node_key("name")),
        ManifestShapeError,
        (FIRST_MODEL, ".name`"),
    ),
    (
        "node-without-resource_type",
        _edit(B, _drop_node_key("resource_type")),
        ManifestShapeError,
        (FIRST_MODEL, ".resource_type`"),
    ),
    (
        "columns-not-object",
        _edit(B, _columns_as_list),
        ManifestShapeError,
        (FIRST_MODEL, ".columns`", "an array"),
    ),
    (
        "sources-is-list",
        _edit(B, lambda d: d.update(sources=[])),
        ManifestShapeError,
        ("`sources`", "an array"),
    ),
    (
        "node-key-differs-from-unique_id",
        _edit(B, lambda d: d["nodes"].update({"model.x.y": _first_node(d)[1]})),
        ManifestShapeError,
        ("`nodes.model.x.y.unique_id`", "its key"),
    ),
    (
        "node-not-object",
        _edit(B, lambda d: d["nodes"].update({"model.x.y": 3})),
        ManifestShapeError,
        ("`nodes.model.x.y`", "a number"),
    ),
    (
        "source-without-source_name",
        _edit("tpch-snowflake", lambda d: next(iter(d["sources"].values())).pop("source_name")),
        ManifestShapeError,
        ("`sources.source.tpch.", ".source_name`"),
    ),
    ("directory", lambda tmp: tmp, ManifestNotFoundError, ("directory",)),
    (
        "missing-path",
        lambda tmp: tmp / "target" / "manifest.json",
        ManifestNotFoundError,
        ("does not exist", "dbt parse"),
    ),
]


@needs_shared
@pytest.mark.parametrize(
    ("make", "error", "fragments"),
    [pytest.param(*case[1:], id=case[0]) for case in CORRUPTIONS],
)
def test_corrupted_manifest_raises_specific_one_line_error(
    tmp_path: Path,
    make: Callable[[Path], Path],
    error: type[ManifestError],
    fragments: tuple[str, ...],
) -> None:
    path = make(tmp_path)
    with pytest.raises(error) as err:
        load_manifest(path)
    assert type(err.value) is error
    assert err.value.__cause__ is None or not isinstance(err.value.__cause__, OSError)
    assert_one_line(err.value, str(path), *fragments)


def test_directory_error_points_at_the_manifest_inside(tmp_path: Path) -> None:
    (tmp_path / "target").mkdir()
    (tmp_path / "target" / "manifest.json").write_text("{}")
    with pytest.raises(ManifestNotFoundError) as err:
        load_manifest(tmp_path)
    assert_one_line(err.value, f"did you mean {tmp_path / 'target' / 'manifest.json'}?")


def test_message_stays_one_line_even_if_the_path_has_a_newline(tmp_path: Path) -> None:
    folder = tmp_path / "odd\nname"
    folder.mkdir()
    (folder / "manifest.json").write_bytes(b"[]")
    with pytest.raises(ManifestParseError) as err:
        load_manifest(folder / "manifest.json")
    assert_one_line(err.value, "odd name")


def test_from_dict_names_its_source_and_rejects_non_objects() -> None:
    with pytest.raises(ManifestParseError) as err:
        Manifest.from_dict([])  # type: ignore[arg-type]
    assert_one_line(err.value, "<dict>", "an array")
    with pytest.raises(ManifestShapeError) as err2:
        Manifest.from_dict({"nodes": {}}, source="ci-artifact")
    assert_one_line(err2.value, "ci-artifact", "`metadata`")


def test_node_with_only_required_keys_uses_defaults() -> None:
    data = {
        "metadata": {"dbt_schema_version": "https://schemas.getdbt.com/dbt/manifest/v11.json"},
        "nodes": {
            "model.p.m": {"unique_id": "model.p.m", "resource_type": "model", "name": "m"},
            "test.p.t": {"unique_id": "test.p.t", "resource_type": "test", "name": "t"},
        },
    }
    m = Manifest.from_dict(data)
    model = m.models["model.p.m"]
    assert (model.columns, model.meta, model.tags, model.depends_on) == ({}, {}, (), ())
    assert model.materialized is None and model.enabled and not model.contract_enforced
    assert model.yaml_path is None and model.raw_code == "" and model.language == "sql"
    test = m.tests["test.p.t"]
    assert test.test_name == "singular" and test.attached_node is None
    assert test.severity == "ERROR"
    assert m.project_name == "p"  # no project_id: most common package among models/seeds
    assert m.dbt_version == "unknown" and m.adapter_type is None
    assert m.parent_map == {"model.p.m": (), "test.p.t": ()}


# --- hand-made fixtures --------------------------------------------------------------------

P = "shop_features"
FEAT = f"model.{P}.feat_customer__orders"
STG = f"model.{P}.stg_shop__orders"
SRC = f"source.{P}.shop.orders"


@pytest.fixture(scope="module")
def v12() -> Manifest:
    """minimal_v12.json: project ``shop_features`` (dbt 1.10 shape, duckdb).

    Models: stg_shop__orders (from source shop.orders), feat_customer__orders (contract,
    public, group ml_team; meta and tags both top-level and under config, disagreeing on
    purpose), customers (also in package pkg_a), stg_payments (only in pkg_a and pkg_b),
    dim_customers v1/v2 (latest 2). One seed, one source with freshness, an ``ml`` exposure
    on the feature model, group ml_team, one disabled model (feat_customer__legacy).
    Tests: not_null on feature customer_id, dbt_utils.unique_combination_of_columns,
    relationships stg -> customers (severity warn), not_null on the source (attached_node
    null, as dbt writes it), not_null on dim_customers v2, one singular test.
    """
    return load_manifest(RESOURCES / "minimal_v12.json")


@pytest.fixture(scope="module")
def v8() -> Manifest:
    """minimal_v8.json: the same project in dbt 1.4's shape.

    No metadata.project_name (only project_id = md5), no attached_node on tests, no
    contract/access/group/version keys, no groups/semantic_models/saved_queries/unit_tests
    maps, and a single unversioned dim_customers.
    """
    return load_manifest(RESOURCES / "minimal_v8.json")


@pytest.fixture(params=["v12", "v8"])
def fixture_manifest(request: pytest.FixtureRequest) -> Manifest:
    return request.getfixturevalue(request.param)


def test_fixture_metadata(v12: Manifest, v8: Manifest) -> None:
    assert (v12.schema_version, v12.dbt_version, v12.project_name) == (12, "1.10.15", P)
    assert (v8.schema_version, v8.dbt_version, v8.project_name) == (8, "1.4.5", P)
    assert "project_name" not in v8._raw["metadata"]
    assert v12.disabled_count == v8.disabled_count == 1
    assert f"model.{P}.feat_customer__legacy" not in v12.models
    assert v12.groups[f"group.{P}.ml_team"].owner_name == "ML Team" and v8.groups == {}


def test_meta_and_tags_merge_config_wins(fixture_manifest: Manifest) -> None:
    feat = fixture_manifest.models[FEAT]
    assert feat.meta == {
        "owner": "ml-platform",  # only top-level
        "featureops": {  # both: config.meta wins, whole block (shallow merge)
            "entity": "customer",
            "entity_key": "customer_id",
            "timestamp": "event_at",
            "ttl": "30d",
            "online_stores": ["sqlite"],
        },
        "tier": "gold",  # only config
    }
    assert feat.tags == ("features", "daily")
    assert feat._raw["meta"]["featureops"]["ttl"] == "7d"  # raw node untouched


def test_columns_are_typed_ordered_and_merged(v12: Manifest) -> None:
    feat = v12.models[FEAT]
    assert list(feat.columns) == ["customer_id", "event_at", "order_total_sum_30d"]
    key = feat.columns["customer_id"]
    assert isinstance(key, Column)
    assert key.data_type == "varchar" and key.description == "Entity key."
    assert key.meta == {"pii": False, "role": "entity"}
    assert key.constraints[0]["type"] == "not_null"
    assert feat.columns["order_total_sum_30d"].tags == ("feature",)
    assert feat.contract_enforced and feat.access == "public" and feat.group == "ml_team"
    assert feat.materialized == "table" and feat.depends_on == (STG, f"model.{P}.customers")


def test_v8_has_no_governance_fields(v8: Manifest) -> None:
    feat = v8.models[FEAT]
    assert feat.access is None and feat.group is None and feat.version is None
    assert not feat.contract_enforced
    assert feat.columns["customer_id"].meta == {"pii": True}  # no column config in v8


def test_yaml_path_strips_package_prefix(v12: Manifest) -> None:
    assert v12.models[FEAT].patch_path == f"{P}://models/features/customer/_customer__models.yml"
    assert v12.models[FEAT].yaml_path == "models/features/customer/_customer__models.yml"
    assert v12.models[f"model.{P}.customers"].yaml_path is None
    windows = Node.from_node(
        {"unique_id": "model.p.m", "name": "m", "resource_type": "model",
         "patch_path": "p://models\\features\\_f__models.yml"}
    )  # fmt: skip
    assert windows.yaml_path == "models/features/_f__models.yml"


def test_attached_node_from_manifest_or_derived(fixture_manifest: Manifest) -> None:
    m = fixture_manifest
    dim = "model.shop_features.dim_customers" + (".v2" if m.schema_version >= 12 else "")
    by_name = {t.name: t for t in m.tests.values()}
    expected = {
        "not_null_feat_customer__orders_customer_id": FEAT,
        "dbt_utils_unique_combination_of_columns_feat_customer__orders": FEAT,
        # two parents: the `model` kwarg picks the tested one
        "relationships_stg_shop__orders_customer_id__customer_id__ref_customers_": STG,
        "source_not_null_shop_orders_order_id": SRC,
        "not_null_dim_customers_v2_customer_id": dim,
        "assert_order_totals_non_negative": FEAT,  # singular, single parent
    }
    assert {name: t.attached_node for name, t in by_name.items()} == expected
    rel = by_name["relationships_stg_shop__orders_customer_id__customer_id__ref_customers_"]
    assert rel.severity == "WARN" and rel.column_name == "customer_id"
    assert rel.kwargs["to"] == "ref('customers')"
    combo = by_name["dbt_utils_unique_combination_of_columns_feat_customer__orders"]
    assert combo.namespace == "dbt_utils" and combo.column_name is None


@pytest.mark.parametrize(
    ("model_kwarg", "depends_on", "expected"),
    [
        ("{{ get_where_subquery(ref('b')) }}", ("model.p.a", "model.p.b"), "model.p.b"),
        ('{{ get_where_subquery(ref("p2", "b")) }}', ("model.p.b", "model.p2.b"), "model.p2.b"),
        (
            "{{ get_where_subquery(ref('d', version='1')) }}",
            ("model.p.d.v2", "model.p.d.v1"),
            "model.p.d.v1",
        ),
        (
            "{{ get_where_subquery(ref('d', v=2)) }}",
            ("model.p.d.v1", "model.p.d.v2"),
            "model.p.d.v2",
        ),
        (
            "{{ get_where_subquery(source('raw', 'orders')) }}",
            ("source.p.raw.customers", "source.p.raw.orders"),
            "source.p.raw.orders",
        ),
        (None, ("model.p.a", "model.p.b"), None),  # ambiguous: leave it unset
        ("{{ get_where_subquery(ref('zzz')) }}", ("model.p.a", "model.p.b"), None),
        (None, (), None),
    ],
)
def test_attached_node_derivation(
    model_kwarg: str | None, depends_on: tuple[str, ...], expected: str | None
) -> None:
    node = {
        "unique_id": "test.p.t",
        "name": "t",
        "resource_type": "test",
        "test_metadata": {"name": "unique", "kwargs": {"model": model_kwarg}},
        "depends_on": {"nodes": list(depends_on)},
    }
    assert DataTest.from_node(node).attached_node == expected


def test_find_model(v12: Manifest) -> None:
    assert v12.find_model("customers").unique_id == f"model.{P}.customers"  # root wins
    assert v12.find_model("pkg_a.customers").unique_id == "model.pkg_a.customers"
    assert v12.find_model("pkg_b.stg_payments").unique_id == "model.pkg_b.stg_payments"
    assert v12.find_model(FEAT) is v12.models[FEAT]
    assert v12.find_model("dim_customers").version == 2
    assert v12.find_model("dim_customers", version=1).version == 1
    assert Model is Node


def test_find_model_ambiguous_across_packages(v12: Manifest) -> None:
    with pytest.raises(AmbiguousModelError) as err:
        v12.find_model("stg_payments")
    assert_one_line(
        err.value,
        v12.path,
        "model.pkg_a.stg_payments",
        "model.pkg_b.stg_payments",
        "unique_id",
    )


def test_find_model_not_found(v12: Manifest) -> None:
    with pytest.raises(ModelNotFoundError) as err:
        v12.find_model("feat_customer__order")
    assert_one_line(err.value, v12.path, "did you mean feat_customer__orders", "dbt parse")
    with pytest.raises(ModelNotFoundError) as err:
        v12.find_model("feat_customer__legacy")
    assert_one_line(err.value, "disabled")
    with pytest.raises(ModelNotFoundError) as err:
        v12.find_model(FEAT, version=3)
    assert_one_line(err.value, FEAT)
    with pytest.raises(ModelNotFoundError):
        v12.find_model("pkg_b.customers")
    with pytest.raises(ModelNotFoundError):
        v12.find_model(f"seed.{P}.country_codes")  # seeds are not models


def test_tests_for(fixture_manifest: Manifest) -> None:
    m = fixture_manifest
    names = [t.test_name for t in m.tests_for(FEAT)]
    assert names == ["not_null", "unique_combination_of_columns", "singular"]
    assert [t.column_name for t in m.tests_for(SRC)] == ["order_id"]
    assert [t.test_name for t in m.tests_for(STG)] == ["relationships"]
    assert m.tests_for("model.nope.nope") == []
    m.tests_for(FEAT).clear()  # callers get a copy of the index entry
    assert len(m.tests_for(FEAT)) == 3


def test_exposures_consuming(fixture_manifest: Manifest) -> None:
    m = fixture_manifest
    [exposure] = m.exposures_consuming(FEAT)
    assert isinstance(exposure, Exposure)
    assert (exposure.type, exposure.owner_name, exposure.owner_email) == (
        "ml",
        "ML Team",
        "ml@example.com",
    )
    assert exposure.label == "Churn model" and exposure.maturity == "medium"
    assert m.exposures_consuming(STG) == []  # direct consumers only


def test_exposure_and_source_meta_merge(v12: Manifest) -> None:
    exposure = v12.exposures[f"exposure.{P}.churn_model"]
    assert exposure.meta == {"model_registry": "mlflow", "serving": "online"}
    assert exposure.tags == ("ml", "churn")
    source = v12.sources[SRC]
    assert source.meta == {"contains_pii": True} and source.tags == ("raw",)
    assert source.has_freshness and source.loaded_at_field == "ordered_at"
    assert (source.source_name, source.identifier) == ("shop", "orders")
    assert list(source.columns) == ["order_id"]


def test_get_any_resource(v12: Manifest) -> None:
    assert v12.get(FEAT) is v12.models[FEAT]
    assert v12.get(SRC) is v12.sources[SRC]
    assert isinstance(v12.get(f"exposure.{P}.churn_model"), Exposure)
    assert isinstance(v12.get(f"group.{P}.ml_team"), Group)
    assert v12.get(f"model.{P}.feat_customer__legacy") is None  # disabled


def test_graph_maps_rebuilt_when_missing_or_inconsistent(v12: Manifest) -> None:
    assert v12._index.maps_from_manifest
    broken = copy.deepcopy(v12._raw)
    del broken["child_map"][FEAT]  # no longer covers every node
    for data in (broken, {k: v for k, v in v12._raw.items() if k != "parent_map"}):
        rebuilt = Manifest.from_dict(data)
        assert not rebuilt._index.maps_from_manifest
        assert {k: set(v) for k, v in rebuilt.parent_map.items()} == {
            k: set(v) for k, v in v12.parent_map.items()
        }
        assert {k: set(v) for k, v in rebuilt.child_map.items()} == {
            k: set(v) for k, v in v12.child_map.items()
        }
    assert set(v12.child_map[FEAT]) == {
        *(t.unique_id for t in v12.tests_for(FEAT)),
        f"exposure.{P}.churn_model",
    }


def test_v8_project_name_fallbacks(v8: Manifest) -> None:
    data = copy.deepcopy(v8._raw)
    data["metadata"]["project_id"] = hashlib.md5(b"pkg_b").hexdigest()
    assert Manifest.from_dict(data).project_name == "pkg_b"  # md5 match wins
    data["metadata"]["project_id"] = "0" * 32  # matches nothing
    assert Manifest.from_dict(data).project_name == P  # most models + seeds
    del data["metadata"]["project_id"]
    assert Manifest.from_dict(data).project_name == P


def test_objects_are_frozen_hashable_and_keep_raw(v12: Manifest) -> None:
    feat = v12.models[FEAT]
    with pytest.raises(dataclasses.FrozenInstanceError):
        feat.name = "x"  # type: ignore[misc]
    assert {feat, v12.tests_for(FEAT)[0], v12.sources[SRC]}
    assert feat._raw["unique_id"] == FEAT
    assert "_raw" not in repr(feat) and "shop_features" in repr(v12)
    assert feat.config["materialized"] == "table"
    assert feat.is_latest_version and not feat.is_versioned
