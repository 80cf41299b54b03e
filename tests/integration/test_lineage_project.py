"""Lineage on the example project's real manifest (built once per session on DuckDB):
node lineage against the manifest's own depends_on, column lineage against what the SQL
says, impact, training lineage, OpenLineage, the HTML page in headless Chromium, and
`--compile` on a parse-only manifest."""

from __future__ import annotations

import json
from collections import deque
from pathlib import Path

import pytest

from featureops.cli import run
from featureops.dbt_runner import run_dbt
from featureops.lineage.columns import ColumnLineageResolver, ColumnRef
from featureops.lineage.graph import LineageGraph
from featureops.lineage.impact import impact
from featureops.lineage.render_html import render_html
from featureops.lineage.render_model import node_graph
from featureops.lineage.training import training_lineage
from tests.browser import browser_page, save_screenshot
from tests.conftest import REPO_ROOT, BuiltProject

P = "fraud_example"  # the example project's name: the prefix of its unique ids
VIEWS = ["feat_user__spend_windows", "feat_user__profile", "feat_merchant__risk_windows",
         "feat_merchant__profile", "feat_transaction__context"]


@pytest.fixture(scope="module")
def raw_manifest(duckdb_build: BuiltProject) -> dict:
    return json.loads(duckdb_build.manifest_path.read_text())


@pytest.fixture(scope="module")
def lineage(duckdb_build: BuiltProject) -> LineageGraph:
    return LineageGraph.from_manifest(duckdb_build.manifest)


@pytest.fixture(scope="module")
def resolver(lineage: LineageGraph) -> ColumnLineageResolver:
    return ColumnLineageResolver(lineage, project_dir=REPO_ROOT)


def _oracle_ancestors(raw: dict, start: str) -> set[str]:
    """Closure of depends_on.nodes read straight from the JSON."""
    everything = {**raw["nodes"], **raw["sources"], **raw["exposures"]}
    seen: set[str] = set()
    queue = deque([start])
    while queue:
        for parent in everything.get(queue.popleft(), {}).get("depends_on", {}).get("nodes", []):
            if parent not in seen:
                seen.add(parent)
                queue.append(parent)
    return seen


@pytest.mark.parametrize("view", VIEWS)
def test_upstream_of_every_feature_view_matches_the_manifest(
        lineage: LineageGraph, raw_manifest: dict, view: str) -> None:
    uid = f"model.{P}.{view}"
    assert set(lineage.upstream(uid)) == _oracle_ancestors(raw_manifest, uid)
    assert lineage.warnings == []


def test_every_feature_column_is_traced_to_sources_without_gaps(
        lineage: LineageGraph, resolver: ColumnLineageResolver,
        duckdb_build: BuiltProject) -> None:
    manifest = duckdb_build.manifest
    for view in VIEWS:
        uid = f"model.{P}.{view}"
        analysis = resolver.analyse(uid)
        # The SQL's outputs are the enforced contract's columns (an independent statement).
        assert set(analysis.outputs or ()) == set(manifest.models[uid].columns), view
        for column in analysis.outputs:
            result = resolver.upstream(ColumnRef(uid, column))
            assert result.unresolved == {}, (view, column, result.unresolved)
            roots = {r.node.split(".")[0] for r in result.columns if r != result.root}
            assert roots <= {"model", "source", "seed"}
            constant = not result.edges
            assert constant or roots & {"source", "seed"}, (view, column)


def test_known_column_derivations(resolver: ColumnLineageResolver) -> None:
    region = resolver.upstream(ColumnRef(f"model.{P}.feat_user__profile", "home_region"))
    assert {str(r) for r in region.columns} == {
        f"model.{P}.feat_user__profile.home_region", f"seed.{P}.countries.region"}
    event_at = resolver.upstream(ColumnRef(f"model.{P}.feat_user__profile", "event_at"))
    assert ColumnRef(f"source.{P}.payments.users", "updated_at") in event_at.columns
    spend = resolver.upstream(ColumnRef(f"model.{P}.feat_user__spend_windows",
                                        "amount_usd_sum_7d"))
    assert {ColumnRef(f"source.{P}.payments.transactions", "amount"),
            ColumnRef(f"seed.{P}.currency_rates", "usd_rate")} <= set(spend.columns)
    last = [e for e in spend.edges if e.target.node.endswith("feat_user__spend_windows")]
    assert {e.transformation for e in last} == {"aggregation"}


def test_downstream_of_a_raw_column(resolver: ColumnLineageResolver) -> None:
    result = resolver.downstream(ColumnRef(f"source.{P}.payments.transactions", "amount"))
    reached = {f"{r.node.split('.')[-1]}.{r.column}" for r in result.columns}
    assert {"feat_transaction__context.amount_usd", "feat_user__spend_windows.amount_usd_max_7d",
            "feat_merchant__risk_windows.amount_usd_sum_30d"} <= reached
    assert not any(name.startswith("feat_user__profile.") for name in reached)


def test_impact_of_raw_transactions(lineage: LineageGraph, raw_manifest: dict) -> None:
    report = impact(lineage, f"source.{P}.payments.transactions")
    exposures = {e.info.name for e in report.exposures}
    expected = {e["name"] for uid, e in raw_manifest["exposures"].items()
                if f"source.{P}.payments.transactions" in _oracle_ancestors(raw_manifest, uid)}
    assert exposures == expected >= {"fraud_detection_model", "merchant_risk_scorer"}
    owners = {n.owner for n in report.owners}
    assert {"risk-ml", "merchant-intelligence"} <= owners


def test_training_lineage_of_the_fraud_model(lineage: LineageGraph, raw_manifest: dict) -> None:
    report = training_lineage(lineage, f"exposure.{P}.fraud_detection_model")
    views = {v.info.name for v in report.feature_views}
    assert set(VIEWS) <= views
    upstream = _oracle_ancestors(raw_manifest, f"exposure.{P}.fraud_detection_model")
    training_sets = {raw_manifest["nodes"][u]["name"] for u in upstream
                     if u.startswith("model.") and (raw_manifest["nodes"][u]["config"]["meta"]
                                                    .get("featureops") or {}).get("kind")
                     == "training_set"}
    assert {t.info.name for t in report.training_sets} == training_sets
    assert {s.name for s in report.raw_sources} >= {"payments.transactions", "payments.users",
                                                    "countries", "currency_rates"}


def test_openlineage_events_for_the_whole_project(duckdb_build: BuiltProject, capsys) -> None:
    assert run(["lineage", "--format", "openlineage", "-m", str(duckdb_build.manifest_path),
                "--project-dir", str(REPO_ROOT)]) == 0
    events = {e["job"]["name"]: e for e in map(json.loads, capsys.readouterr().out.splitlines())}
    view = events[f"model.{P}.feat_user__profile"]
    facet = view["outputs"][0]["facets"]["columnLineage"]["fields"]
    assert facet["home_region"]["inputFields"][0]["field"] == "region"
    assert "extractionError" not in view["run"]["facets"]
    staging = events[f"model.{P}.stg_payments__transactions"]
    assert staging["inputs"][0]["namespace"] == "file"
    assert staging["inputs"][0]["name"].endswith("transactions.parquet")


def test_lineage_page_in_headless_chromium(lineage: LineageGraph, tmp_path: Path) -> None:
    page_path = tmp_path / "lineage.html"
    page_path.write_text(render_html(node_graph(lineage, lineage.select(None), "Lineage")))
    with browser_page() as page:
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.goto(page_path.as_uri())
        page.wait_for_selector("body[data-ready=true]")
        node = f'g.node[data-id="model.{P}.feat_user__profile"]'
        page.click(node)

        def classes(uid: str) -> list[str]:
            return (page.get_attribute(f'g.node[data-id="{uid}"]', "class") or "").split()

        assert "selected" in classes(f"model.{P}.feat_user__profile")
        assert "upstream" in classes(f"model.{P}.stg_payments__users")
        assert "upstream" in classes(f"source.{P}.payments.users")
        assert "downstream" in classes(f"exposure.{P}.fraud_detection_model")
        assert "faded" in classes(f"model.{P}.feat_merchant__profile")
        details = page.inner_text("#details")
        assert "feat_user__profile" in details and "risk-ml" in details
        assert page.locator("path.edge.upstream").count() >= 3
        save_screenshot(page, "lineage_page_feat_user__profile")
        page.fill("#search", "merchant__risk")
        page.keyboard.press("Enter")
        assert "selected" in classes(f"model.{P}.feat_merchant__risk_windows")
        assert "merchant_risk_scorer" in page.inner_text("#summary") or \
            "downstream" in classes(f"exposure.{P}.merchant_risk_scorer")
        assert errors == []


def test_compile_option_on_a_parse_only_manifest(tmp_path: Path, duckdb_build: BuiltProject,
                                                 monkeypatch, capsys) -> None:
    target = tmp_path / "target"
    monkeypatch.setenv("FEATUREOPS_DUCKDB_PATH", str(tmp_path / "compile.duckdb"))
    run_dbt(["parse", "--target-path", str(target), "--log-path", str(tmp_path / "logs")],
            REPO_ROOT)
    args = ["lineage", "feat_user__profile.home_region", "--upstream", "--format", "json",
            "-m", str(target / "manifest.json"), "--project-dir", str(REPO_ROOT)]
    assert run(args) == 0
    parsed_only = json.loads(capsys.readouterr().out)
    assert any("no compiled SQL" in u["reason"] for u in parsed_only["unresolved"])
    monkeypatch.setenv("DBT_LOG_PATH", str(tmp_path / "logs"))
    assert run([*args, "--compile"]) == 0
    compiled = json.loads(capsys.readouterr().out)
    assert compiled["unresolved"] == []
    assert f"seed.{P}.countries.region" in {n["id"] for n in compiled["nodes"]}
