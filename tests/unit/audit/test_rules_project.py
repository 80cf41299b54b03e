"""General dbt-hygiene rules on models, sources and exposures."""

from __future__ import annotations

from featureops.testing import ManifestBuilder
from tests.unit.audit.conftest import audit, clean_builder, found


def test_model_rules() -> None:
    b = clean_builder()
    b.model("undocumented", depends_on=["stg_orders"])
    b.model("hardcoded", description="Reads a table by name.")
    b.test("unique", "hardcoded", column="id")  # unique without not_null
    b.model("combo", depends_on=["stg_orders"], description="Composite key.")
    b.test("unique_combination_of_columns", "combo",
           kwargs={"combination_of_columns": ["a", "b"]})
    b.model("public_open", depends_on=["stg_orders"], description="Shared.", access="public")
    b.test("not_null", "public_open", column="id")
    report = audit(b)
    assert set(found(report, "model_missing_description")) == {"undocumented"}
    assert set(found(report, "model_without_tests")) == {"undocumented"}
    assert set(found(report, "model_missing_primary_key_test")) == {"hardcoded", "public_open"}
    assert set(found(report, "public_model_without_contract")) == {"public_open"}
    assert set(found(report, "model_without_parents")) == {"hardcoded"}
    assert found(report, "model_undocumented_columns") == {}  # opt-in
    assert not report.failed  # all warnings


def test_opt_in_rule_runs_when_enabled() -> None:
    b = clean_builder()
    b.nodes["model.shop.feat_user__spend"]["columns"]["user_id"]["description"] = ""
    report = audit(b, {"enable": ["model_undocumented_columns"]})
    assert found(report, "model_undocumented_columns") == {
        "feat_user__spend": "1 column(s) without description: user_id"}


def test_source_rules() -> None:
    b = clean_builder()
    b.source("raw", "stale", description="")
    report = audit(b)
    assert set(found(report, "source_without_freshness")) == {"raw.stale"}
    assert set(found(report, "source_missing_description")) == {"raw.stale"}


def test_exposure_rules() -> None:
    b = clean_builder()
    b.exposure("anonymous", depends_on=["stg_orders"], owner=None, email="x@example.com")
    report = audit(b)
    assert found(report, "exposure_without_owner") == {"anonymous": "has no owner name"}
    assert found(report, "exposure_depends_on_non_public_model") == {
        "anonymous": "reads non-public model(s) stg_orders"}


def test_non_featureops_project_gets_only_the_rules_that_apply() -> None:
    b = ManifestBuilder("plain")
    b.model("orders", description="Orders.")
    report = audit(b)
    applied = {r.rule.id for r in report.runs if r.checked}
    assert applied == {"model_missing_description", "model_without_tests",
                       "model_missing_primary_key_test", "public_model_without_contract",
                       "model_without_parents"}
    assert {f.rule for f in report.findings} == {"model_without_tests", "model_without_parents"}
