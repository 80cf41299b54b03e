"""Health per table: the worst finding per check, coverage by the tests' filters (their
kwargs, or the vars rules of a configured test), insufficient data, and the table's own dbt
tests."""

from __future__ import annotations

from featureops.monitoring.health import overall, table_health, worst
from featureops.monitoring.results import INSUFFICIENT
from tests.unit.monitoring.conftest import make_finding, make_test_result


def test_worst_orders_levels() -> None:
    assert worst(["ok", "warning", "ok"]) == "warning"
    assert worst(["unchecked", "ok"]) == "ok"
    assert worst(["critical", "warning"]) == "critical"
    assert worst([]) == "unchecked"


def test_levels_per_table_and_check(results, snapshot) -> None:
    health = {entry.table: entry for entry in table_health(results, snapshot)}
    assert set(health) == {"feat_a", "feat_b", "feat_c"}
    a, b, c = health["feat_a"], health["feat_b"], health["feat_c"]
    # feat_a: every check that ran covers it and passed, except the skew warning
    assert a.checks == {"freshness_sla": "ok", "volume_anomaly": "ok",
                        "training_serving_skew": "warning", "data_tests": "ok"}
    assert a.level == "warning" and [f.column_name for f in a.findings] == ["feat_a:f1"]
    # feat_b: its not_null test failed; skew and drift never looked at it
    assert b.checks == {"freshness_sla": "ok", "volume_anomaly": "ok", "data_tests": "critical"}
    # feat_c: outside the volume test's model_name filter; its freshness is critical
    assert c.checks == {"freshness_sla": "critical"}
    assert [entry.table for entry in table_health(results, snapshot)][0] in {"feat_b", "feat_c"}
    assert overall(list(health.values())) == "critical"


def test_without_findings_or_failures_everything_is_ok(results, snapshot) -> None:
    results.findings = []
    results.tests = [t for t in results.tests if t.status != "fail" or t.is_monitoring]
    health = table_health(results, snapshot)
    assert {entry.table: entry.level for entry in health} == {
        "feat_a": "ok", "feat_b": "ok", "feat_c": "ok"}


def test_a_check_that_could_not_judge_a_table_says_insufficient_data(results, snapshot) -> None:
    results.findings = []
    results.insufficient = [
        make_finding("volume_anomaly", "feat_a", INSUFFICIENT, metric="row_count",
                     detail="insufficient data: 2 of 7 buckets of history needed")]
    health = {entry.table: entry for entry in table_health(results, snapshot)}
    a = health["feat_a"]
    # The volume test covered feat_a, passed, but had too little history: not "ok".
    assert a.checks["volume_anomaly"] == INSUFFICIENT and a.level == INSUFFICIENT
    assert [f.metric_name for f in a.insufficient] == ["row_count"] and a.findings == []
    assert health["feat_b"].checks["volume_anomaly"] == "ok"
    assert overall(list(health.values())) == "critical"  # feat_b's failed not_null test


def test_insufficient_data_is_worse_than_ok_and_better_than_a_warning() -> None:
    assert worst(["ok", INSUFFICIENT]) == INSUFFICIENT
    assert worst([INSUFFICIENT, "warning"]) == "warning"
    assert worst(["unchecked", INSUFFICIENT]) == INSUFFICIENT


def test_a_configured_test_covers_the_tables_of_its_vars_rules(results, snapshot) -> None:
    """The model_name filter of a configured test is in its recorded rules, not its kwargs:
    a freshness test whose only rule names feat_a does not vouch for feat_b."""
    results.findings = []
    results.tests = [
        make_test_result("fresh", "freshness_sla", "pass", rules=[{"model_name": "feat_a"}]),
        make_test_result("volume", "volume_anomaly", "pass",
                         rules=[{"model_name": ["feat_a"]}, {"model_name": "feat_c"}]),
    ]
    health = {entry.table: entry.checks for entry in table_health(results, snapshot)}
    assert health["feat_a"] == {"freshness_sla": "ok", "volume_anomaly": "ok"}
    assert health["feat_b"] == {}
    assert health["feat_c"] == {"volume_anomaly": "ok"}
