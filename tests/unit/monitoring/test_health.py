"""Health per table: the worst finding per check, coverage by the tests' filters, and the
table's own dbt tests."""

from __future__ import annotations

from featureops.monitoring.health import overall, table_health, worst


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
