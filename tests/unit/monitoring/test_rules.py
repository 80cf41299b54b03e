"""The rules of a monitoring test: its own arguments, or the vars rules a configured test
recorded in config.meta; and which tables they cover."""

from __future__ import annotations

from featureops.monitoring.rules import covers, rule_argument, rules_of
from tests.unit.monitoring.conftest import make_test_result


def test_a_yaml_test_has_one_rule_its_arguments() -> None:
    test = make_test_result("v", "volume_anomaly", "pass", model_name="feat_a", sensitivity=2,
                            model="{{ get_where_subquery(ref('monitoring__anomalies')) }}").test
    assert rules_of(test) == [{"model_name": "feat_a", "sensitivity": 2}]
    assert covers(test, "feat_a") and not covers(test, "feat_b")


def test_a_configured_test_reads_the_rules_dbt_recorded_not_its_kwargs() -> None:
    # The kwargs hold only configured: true; the filters live in the recorded vars rules.
    test = make_test_result("v", "volume_anomaly", "pass", rules=[
        {"model_name": ["feat_a", "feat_b"], "sensitivity": 2},
        {"model_name": "feat_c", "sensitivity": 5}]).test
    assert test.kwargs == {"configured": True}
    assert [rule["sensitivity"] for rule in rules_of(test)] == [2, 5]
    assert covers(test, "feat_a") and covers(test, "feat_c") and not covers(test, "feat_d")
    assert rule_argument(test, "sensitivity") == 2
    assert rule_argument(test, "error_sensitivity") is None


def test_a_rule_without_model_name_covers_every_table() -> None:
    test = make_test_result("c", "column_anomalies", "pass", rules=[
        {"model_name": "feat_a"}, {"metrics": ["null_rate"]}]).test
    assert covers(test, "feat_a") and covers(test, "anything")


def test_no_rules_cover_nothing_and_missing_rules_mean_the_defaults() -> None:
    assert not covers(make_test_result("f", "freshness_sla", "pass", rules=[]).test, "feat_a")
    # A configured test whose build recorded no rules ran once with the defaults.
    recorded_nothing = make_test_result("f", "freshness_sla", "pass", configured=True).test
    assert rules_of(recorded_nothing) == [{}] and covers(recorded_nothing, "feat_a")
