"""Audit configuration from dbt_project.yml vars: strict, with one-line errors."""

from __future__ import annotations

from datetime import date

import pytest

from featureops.audit.config import AuditConfig, AuditConfigError, Suppression
from featureops.audit.registry import RuleRegistry


def parse(block) -> AuditConfig:
    config = AuditConfig.from_vars({"audit": block, "other_engineers_key": 1})
    config.check_against(RuleRegistry.with_namespaces())
    return config


def test_empty_and_absent_blocks() -> None:
    assert AuditConfig.from_vars(None) == AuditConfig()
    assert AuditConfig.from_vars({"something_else": True}) == AuditConfig()


def test_full_block() -> None:
    config = parse({
        "disable": ["model_without_parents"], "enable": ["model_undocumented_columns"],
        "severity": {"feature_view_missing_ttl": "error"},
        "thresholds": {"feature_view_review_overdue": {"max_age_days": 30}},
        "suppress": [{"rule": "source_without_freshness", "resource": "payments.*",
                      "reason": "loaded by a batch job with its own checks"}],
    })
    assert not config.is_enabled("model_without_parents", True)
    assert config.is_enabled("model_undocumented_columns", False)
    assert config.params_for("feature_view_review_overdue", {"max_age_days": 90}) == {
        "max_age_days": 30}


@pytest.mark.parametrize(("block", "message"), [
    ({"disabel": ["x"]}, "vars.featureops.audit.disabel: unknown key"),
    ({"disable": ["no_such_rule"]}, "disable: unknown rule `no_such_rule`"),
    ({"severity": {"model_without_tests": "fatal"}}, "severity.model_without_tests"),
    ({"thresholds": {"feature_view_review_overdue": {"max_days": 3}}},
     "unknown threshold (this rule has: max_age_days)"),
    ({"thresholds": {"feature_view_review_overdue": {"max_age_days": "90"}}},
     "must be int, got '90'"),
    ({"suppress": [{"rule": "model_without_tests", "resource": "x"}]}, "suppress.0.reason"),
    ({"suppress": [{"rule": "model_without_tests", "resource": "x", "reason": ""}]},
     "suppress.0.reason"),
    ({"suppress": [{"rule": "nope", "resource": "x", "reason": "why not"}]},
     "suppress.0.rule: unknown rule `nope`"),
])
def test_invalid_blocks_are_one_line_errors(block, message: str) -> None:
    with pytest.raises(AuditConfigError, match=message.replace("(", r"\(").replace(")", r"\)")) \
            as error:
        parse(block)
    assert "\n" not in str(error.value) and "dbt_project.yml" in str(error.value)


def test_vars_featureops_must_be_a_mapping() -> None:
    with pytest.raises(AuditConfigError, match="must be a mapping"):
        AuditConfig.from_vars(["audit"])


def test_suppression_matching_and_expiry() -> None:
    suppression = Suppression(rule="model_without_tests", resource="stg_*",
                              reason="staging is tested at the source", until=date(2027, 1, 1))
    today = date(2026, 12, 1)
    assert suppression.covers("model_without_tests", "model.p.stg_a", "stg_a", today)
    assert suppression.covers("model_without_tests", "model.p.x", "model.p.x", today) is False
    assert not suppression.covers("model_missing_description", "model.p.stg_a", "stg_a", today)
    assert not suppression.covers("model_without_tests", "model.p.stg_a", "stg_a",
                                  date(2027, 1, 2))
    wildcard = Suppression(rule="*", resource="model.p.legacy_*", reason="legacy, being removed")
    assert wildcard.covers("anything", "model.p.legacy_orders", "legacy_orders", today)
