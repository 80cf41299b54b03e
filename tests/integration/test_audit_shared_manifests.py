"""The audit on the five real third-party manifests: it runs, fails none of them (they have
no error-severity problem featureops can see), and its findings agree with facts counted
independently (the shared folder's README, and the JSON itself)."""

from __future__ import annotations

import json

import pytest

from featureops.cli import run
from tests.conftest import SHARED_MANIFESTS

pytestmark = pytest.mark.skipif(not SHARED_MANIFESTS.is_dir(),
                                reason=f"{SHARED_MANIFESTS} is not available")

# sources and sources with freshness, from tests/resources/real_manifests/README.md
SOURCES = {"billiam-duckdb": (0, 0), "tpch-snowflake": (9, 8), "hubspot-bigquery": (54, 3),
           "across-postgres": (11, 11), "sa-demo-snowflake": (9, 6)}


def audit(name: str, capsys, *extra: str) -> tuple[int, dict]:
    path = SHARED_MANIFESTS / name / "manifest.json"
    code = run(["audit", "--format", "json", "--as-of", "2026-11-27", "-m", str(path),
                "--project-dir", str(path.parent), *extra])
    return code, json.loads(capsys.readouterr().out)


@pytest.mark.parametrize("name", sorted(SOURCES))
def test_audit_agrees_with_independent_counts(name: str, capsys) -> None:
    code, report = audit(name, capsys)
    assert code == 0 and report["counts"]["error"] == 0
    total, fresh = SOURCES[name]
    stale = [f for f in report["findings"] if f["rule"] == "source_without_freshness"]
    assert len(stale) == total - fresh
    data = json.loads((SHARED_MANIFESTS / name / "manifest.json").read_text())
    audited = set(report["packages"])
    undocumented = {u for u, n in data["nodes"].items() if n["resource_type"] == "model"
                    and n["package_name"] in audited and not n["description"].strip()}
    assert {f["resource"] for f in report["findings"]
            if f["rule"] == "model_missing_description"} == undocumented
    untested = {u for u, n in data["nodes"].items() if n["resource_type"] == "model"
                and n["package_name"] in audited
                and not any(t.get("attached_node") == u or (t["resource_type"] == "test" and
                            t.get("depends_on", {}).get("nodes") == [u])
                            for t in data["nodes"].values() if t["resource_type"] == "test")}
    assert {f["resource"] for f in report["findings"]
            if f["rule"] == "model_without_tests"} == untested
    feature_rules = [r for r in report["rules"] if r["target"] == "feature_view"]
    assert feature_rules and all(r["checked"] == 0 for r in feature_rules)


def test_package_only_project_audits_its_packages(capsys) -> None:
    _, report = audit("hubspot-bigquery", capsys)
    assert report["packages"] == ["hubspot", "hubspot_source"]
    assert "owns no model, source or exposure" in report["notes"][0]
    models = next(r for r in report["rules"] if r["id"] == "model_without_tests")
    assert models["checked"] == 127


def test_governance_findings_on_the_dbt_cloud_demo(capsys) -> None:
    _, report = audit("sa-demo-snowflake", capsys)
    found = {(f["rule"], f["name"]) for f in report["findings"]}
    assert ("public_model_without_contract", "fct_order_items") in found
    assert ("model_without_parents", "raw_orders") in found
    assert ("exposure_depends_on_non_public_model", "business_pulse") in found
    assert not any(r == "public_model_without_contract" and n == "dim_customers"
                   for r, n in found)  # both versions are public with enforced contracts


@pytest.mark.parametrize("fmt", ["table", "junit", "markdown"])
def test_every_format_on_a_real_manifest(fmt: str, capsys) -> None:
    path = SHARED_MANIFESTS / "tpch-snowflake" / "manifest.json"
    assert run(["audit", "--format", fmt, "-m", str(path), "--project-dir",
                str(path.parent)]) == 0
    assert "source_without_freshness" in capsys.readouterr().out
