"""run_audit: enabling, severities, suppressions, audited packages, the verdict."""

from __future__ import annotations

from datetime import date

from featureops.testing import ManifestBuilder
from tests.unit.audit.conftest import audit, clean_builder, found


def broken() -> ManifestBuilder:
    b = clean_builder()
    b.nodes["model.shop.feat_user__spend"]["config"]["meta"]["featureops"].pop("ttl")
    b.nodes["model.shop.feat_user__spend"]["config"]["meta"]["featureops"]["owner"] = None
    return b


def test_findings_are_sorted_errors_first_and_fail_the_audit() -> None:
    report = audit(broken())
    assert [f.rule for f in report.findings] == ["feature_view_missing_owner",
                                                 "feature_view_missing_ttl"]
    assert report.counts == {"error": 1, "warning": 1, "info": 0} and report.failed
    finding = report.findings[0]
    assert finding.resource == "model.shop.feat_user__spend"
    assert finding.path == "models/feat_user__spend.sql" and finding.fix


def test_severity_override_and_disable() -> None:
    report = audit(broken(), {"severity": {"feature_view_missing_owner": "warning",
                                           "feature_view_missing_ttl": "info"}})
    assert not report.failed and report.counts == {"error": 0, "warning": 1, "info": 1}
    report = audit(broken(), {"disable": ["feature_view_missing_owner"]})
    assert not report.failed
    assert "feature_view_missing_owner" not in {r.rule.id for r in report.runs}


def test_suppression_keeps_the_finding_with_its_reason() -> None:
    config = {"suppress": [{"rule": "feature_view_missing_owner", "resource": "feat_user__*",
                            "reason": "owner being hired", "until": "2027-01-31"}]}
    report = audit(broken(), config)
    assert not report.failed and [f.rule for f in report.findings] == [
        "feature_view_missing_ttl"]
    (suppressed,) = report.suppressed
    assert suppressed.suppressed == "owner being hired"
    expired = audit(broken(), config, today=date(2027, 2, 1))
    assert expired.failed and any("expired on 2027-01-31" in n for n in expired.notes)


def test_only_runs_the_named_rules_even_opt_in_ones() -> None:
    report = audit(broken(), only=("feature_view_missing_ttl", "model_undocumented_columns"))
    assert {r.rule.id for r in report.runs} == {"feature_view_missing_ttl",
                                                "model_undocumented_columns"}


def test_root_project_only_by_default_with_a_note() -> None:
    b = clean_builder()
    b.model("pkg_model", package="vendor")
    report = audit(b)
    assert "pkg_model" not in {f.name for f in report.findings}
    assert any("vendor (1)" in n for n in report.notes)
    report = audit(b, {"packages": ["shop", "vendor"]})
    assert "pkg_model" in found(report, "model_without_tests")


def test_package_only_project_audits_its_packages() -> None:
    b = ManifestBuilder("integration_tests")
    b.seed("fixture")
    b.model("from_pkg", package="vendor")
    report = audit(b)
    assert report.packages == ("vendor",)
    assert "from_pkg" in found(report, "model_without_tests")
    assert "owns no model, source or exposure" in report.notes[0]


def test_report_to_dict() -> None:
    data = audit(broken()).to_dict()
    assert data["passed"] is False and data["as_of"] == "2026-11-27"
    assert data["counts"]["error"] == 1 and data["findings"][0]["severity"] == "error"
    rules = {r["id"]: r for r in data["rules"]}
    assert rules["feature_view_missing_owner"]["checked"] == 1
