"""Monitor and SLA results as alert evaluations: one problem per table and check, at the
check's level; ``ok`` checks are judged (they can resolve), unknown and insufficient-data
ones are not."""

from __future__ import annotations

from datetime import datetime, timezone

from featureops.alerts.findings import from_monitoring, from_sla
from featureops.sla import SlaReport, SlaResult
from tests.unit.alerts.conftest import monitoring_summary


def test_sla_violations_are_problems_and_unknowns_are_not_judged() -> None:
    report = SlaReport(datetime(2026, 11, 5, tzinfo=timezone.utc), [
        SlaResult("feat_a", "freshness_warehouse", "violated", "3h", "<= 1h", True, "newest"),
        SlaResult("feat_a", "freshness_online", "unknown", "-", "<= 1h", True, "store down"),
        SlaResult("feat_a", "completeness", "ok", "99%", ">= 90%", True),
        SlaResult("feat_x", "availability", "violated", "98%", ">= 99.9%", False),
    ])
    found = from_sla(report)
    assert [(p.key, p.level, p.summary) for p in found.problems] == [
        ("sla/feat_a/freshness_warehouse", "critical",
         "freshness_warehouse 3h (threshold <= 1h): newest"),
        ("sla/feat_x/availability", "warning", "availability 98% (threshold >= 99.9%)"),
    ]
    assert found.judged == {"sla/feat_a/freshness_warehouse", "sla/feat_a/completeness",
                            "sla/feat_x/availability"}


def test_monitoring_checks_become_one_problem_per_table_and_check() -> None:
    summary = monitoring_summary()
    found = from_monitoring(summary)
    by_key = {p.key: p for p in found.problems}
    assert set(by_key) == {"monitor/feat_a/freshness_sla", "monitor/feat_b/data_tests"}
    freshness = by_key["monitor/feat_a/freshness_sla"]
    assert freshness.level == "critical"
    assert freshness.summary == ("freshness: event_at freshness_age_seconds 1 (expected 0.5) "
                                 "(older than 1d); updated_at freshness_age_seconds 1 "
                                 "(expected 0.5)")
    assert len(freshness.details["findings"]) == 2
    tests = by_key["monitor/feat_b/data_tests"]
    assert tests.level == "critical" and tests.summary == "dbt tests: not_null_b fail"
    assert tests.details["tests"][0]["unique_id"] == "test.p.not_null_b"
    # volume was judged ok on feat_a; on feat_b it could not judge (insufficient data)
    assert "monitor/feat_a/volume_anomaly" in found.judged
    assert "monitor/feat_b/volume_anomaly" not in found.judged
