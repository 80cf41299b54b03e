"""Each feature-view rule: silent on a governed view, firing on the planted problem."""

from __future__ import annotations

from datetime import date

import pytest

from featureops.testing import ManifestBuilder
from tests.unit.audit.conftest import TODAY, audit, clean_builder, found

VIEW = "feat_user__spend"


def with_view(**block) -> ManifestBuilder:
    """The clean project with the view's meta.featureops keys changed (None removes)."""
    b = clean_builder()
    for uid in [u for u in b.nodes if VIEW in u]:
        del b.nodes[uid]
    b.feature_view(VIEW, depends_on=["stg_orders"], block=block)
    return b


def test_clean_project_has_no_findings() -> None:
    report = audit(clean_builder())
    assert report.findings == [] and not report.failed
    assert {r.rule.id for r in report.runs if r.checked} >= {
        "feature_view_missing_owner", "model_without_tests", "source_without_freshness",
        "exposure_without_owner"}


def test_missing_owner_unless_the_group_has_one() -> None:
    report = audit(with_view(owner=None))
    assert "has no owner" in found(report, "feature_view_missing_owner")[VIEW]
    assert report.failed
    b = with_view(owner=None)
    b.group("risk", owner="risk-ml")
    b.nodes["model.shop.feat_user__spend"]["group"] = "risk"
    assert found(audit(b), "feature_view_missing_owner") == {}


def test_short_description_with_configurable_threshold() -> None:
    b = clean_builder()
    b.nodes["model.shop.feat_user__spend"]["description"] = "Spend per user."
    assert "15 characters (at least 50" in found(audit(b), "feature_view_short_description")[VIEW]
    relaxed = {"thresholds": {"feature_view_short_description": {"min_length": 10}}}
    assert found(audit(b, relaxed), "feature_view_short_description") == {}


@pytest.mark.parametrize(("status", "message"), [(None, "has no status"),
                                                 ("retired", "'retired' is not one of")])
def test_invalid_status(status, message: str) -> None:
    report = audit(with_view(status=status))
    assert message in found(report, "feature_view_invalid_status")[VIEW]


@pytest.mark.parametrize(("reviewed", "message"), [
    (None, "never been reviewed"),
    ("last week", "is not a date"),
    ("2026-08-01", "118 days ago"),
    ("2027-01-01", "in the future"),
])
def test_review_overdue(reviewed, message: str) -> None:
    report = audit(with_view(last_reviewed=reviewed))
    assert message in found(report, "feature_view_review_overdue")[VIEW]


def test_review_within_the_window_and_configurable_age() -> None:
    assert found(audit(with_view(last_reviewed="2026-09-01")), "feature_view_review_overdue") \
        == {}
    strict = {"thresholds": {"feature_view_review_overdue": {"max_age_days": 30}}}
    assert "87 days ago" in found(audit(with_view(last_reviewed="2026-09-01"), strict),
                                  "feature_view_review_overdue")[VIEW]


def test_active_view_without_consumer_direct_or_transitive() -> None:
    b = clean_builder()
    del b.exposures["exposure.shop.fraud_model"]
    assert "no exposure consumes it" in found(audit(b), "feature_view_without_consumer")[VIEW]
    b.model("training_set", depends_on=[VIEW])
    b.exposure("via_training", depends_on=["training_set"])
    assert found(audit(b), "feature_view_without_consumer") == {}


def test_deprecated_view_still_consumed_names_consumers_and_owners() -> None:
    report = audit(with_view(status="deprecated", deprecation_date="2027-01-31"))
    message = found(report, "deprecated_feature_view_consumed")[VIEW]
    assert "removal due 2027-01-31" in message and "fraud_model (owner risk-ml)" in message
    assert found(report, "feature_view_deprecation_date_passed") == {}
    assert found(report, "feature_view_without_consumer") == {}


def test_deprecation_date_passed_is_an_error() -> None:
    report = audit(with_view(status="deprecated", deprecation_date="2026-11-01"))
    assert "26 days ago" in found(report, "feature_view_deprecation_date_passed")[VIEW]
    assert report.failed
    later = audit(with_view(status="deprecated", deprecation_date="2026-11-01"),
                  today=date(2026, 10, 1))
    assert found(later, "feature_view_deprecation_date_passed") == {}


@pytest.mark.parametrize(("maturity", "stage", "fires"), [
    ("high", None, True), ("low", "production", True), ("low", "development", False)])
def test_experimental_view_in_production(maturity: str, stage, fires: bool) -> None:
    b = with_view(status="experimental")
    exposure = b.exposures["exposure.shop.fraud_model"]
    exposure["maturity"] = maturity
    exposure["config"]["meta"] = {"featureops": {"stage": stage}} if stage else {}
    exposure["meta"] = exposure["config"]["meta"]
    result = found(audit(b), "experimental_feature_view_in_production")
    assert (VIEW in result) is fires


def test_contract_not_enforced() -> None:
    b = clean_builder()
    b.nodes["model.shop.feat_user__spend"]["contract"] = {"enforced": False}
    b.nodes["model.shop.feat_user__spend"]["config"]["contract"] = {"enforced": False}
    report = audit(b)
    assert VIEW in found(report, "feature_view_contract_not_enforced")
    # without the contract, the not_null constraints no longer count either
    assert "no not_null test or constraint on user_id" in found(
        report, "feature_view_entity_keys_untested")[VIEW]


def test_entity_keys_need_not_null_and_grain_uniqueness() -> None:
    b = clean_builder()
    del b.nodes["test.shop.unique_combination_of_columns_feat_user__spend"]
    message = found(audit(b), "feature_view_entity_keys_untested")[VIEW]
    assert message == "no uniqueness test on (user_id, event_at)"
    b.test("unique", VIEW, column="user_id")  # unique on a subset of the grain is enough
    assert found(audit(b), "feature_view_entity_keys_untested") == {}
    b2 = clean_builder()
    b2.test("unique_combination_of_columns", VIEW, name="too_wide",
            kwargs={"combination_of_columns": ["user_id", "event_at", "amount_sum_7d"]})
    del b2.nodes["test.shop.unique_combination_of_columns_feat_user__spend"]
    assert "no uniqueness test" in found(audit(b2), "feature_view_entity_keys_untested")[VIEW]


def test_missing_ttl() -> None:
    assert "has no ttl" in found(audit(with_view(ttl=None)), "feature_view_missing_ttl")[VIEW]


def test_pii_columns_in_online_view_need_approval() -> None:
    b = clean_builder()
    columns = b.nodes["model.shop.feat_user__spend"]["columns"]
    columns["amount_sum_7d"]["tags"] = ["PII"]
    columns["user_id"]["meta"] = {"contains_pii": True}
    message = found(audit(b), "online_feature_view_pii_unapproved")[VIEW]
    assert "user_id, amount_sum_7d" in message
    columns["user_id"]["meta"]["pii_approval"] = "DPO-1234"
    assert "user_id" not in found(audit(b), "online_feature_view_pii_unapproved")[VIEW]
    b.nodes["model.shop.feat_user__spend"]["config"]["meta"]["pii_approval"] = "DPO-1235"
    assert found(audit(b), "online_feature_view_pii_unapproved") == {}


def test_pii_in_offline_view_is_fine() -> None:
    b = with_view(online=False)
    b.nodes["model.shop.feat_user__spend"]["columns"]["user_id"]["tags"] = ["pii"]
    assert found(audit(b), "online_feature_view_pii_unapproved") == {}


def test_today_is_the_evaluation_date() -> None:
    assert audit(clean_builder()).today == TODAY
