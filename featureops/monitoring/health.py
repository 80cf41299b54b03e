"""Health of each monitored table (ok, insufficient data, warning, critical) from the latest
results: the findings of the monitoring tests, the series they could not judge, and the
statuses of the table's other dbt tests."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from featureops.monitoring.results import (
    INSUFFICIENT,
    MONITORING_TESTS,
    STATUS_LEVELS,
    Finding,
    MonitoringResults,
)
from featureops.monitoring.rules import covers
from featureops.monitoring.snapshot import MonitoringSnapshot

#: Checks shown per table, in order; "data_tests" are the table's own dbt tests.
CHECKS = (*MONITORING_TESTS[:-1], "data_tests")
CHECK_LABELS = {
    "freshness_sla": "freshness", "volume_anomaly": "volume", "column_anomalies": "columns",
    "schema_changes": "schema", "distribution_drift": "drift",
    "training_serving_skew": "skew", "data_tests": "dbt tests",
}
#: Worse to the right. Insufficient data is no failure, but it is not "ok" either: a check
#: that could not judge a table must be seen.
LEVEL_ORDER = {"unchecked": -1, "ok": 0, INSUFFICIENT: 1, "warning": 2, "critical": 3}


@dataclass
class TableHealth:
    table: str
    checks: dict[str, str] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    insufficient: list[Finding] = field(default_factory=list)

    @property
    def level(self) -> str:
        return worst(self.checks.values())


def worst(levels: Iterable[str]) -> str:
    return max(levels, key=LEVEL_ORDER.__getitem__, default="unchecked")


def table_health(results: MonitoringResults, snapshot: MonitoringSnapshot) -> list[TableHealth]:
    """One entry per monitored table (worst first), with a level per check."""
    tables = set(snapshot.monitored_tables) | {f.table for f in results.findings}
    tables |= snapshot.tables_of("distribution_drift") | snapshot.tables_of("training_serving_skew")
    health = {table: TableHealth(table) for table in sorted(tables)}
    for check in MONITORING_TESTS[:-1]:
        tests = [t.test for t in results.monitoring_tests
                 if t.test and t.test.test_name == check]
        for table in snapshot.tables_of(check):
            if table in health and any(covers(test, table) for test in tests):
                health[table].checks[check] = "ok"
    for test in results.tests:
        if not test.is_monitoring and test.table in health and test.status in STATUS_LEVELS:
            checks = health[test.table].checks
            checks["data_tests"] = worst([checks.get("data_tests", "ok"),
                                          STATUS_LEVELS[test.status]])
    for finding in [*results.findings, *results.insufficient]:
        entry = health.setdefault(finding.table, TableHealth(finding.table))
        (entry.insufficient if finding.level == INSUFFICIENT else entry.findings).append(finding)
        entry.checks[finding.check_name] = worst([entry.checks.get(finding.check_name, "ok"),
                                                  finding.level])
    return sorted(health.values(), key=lambda h: (-LEVEL_ORDER[h.level], h.table))


def overall(health: Sequence[TableHealth]) -> str:
    return worst(entry.level for entry in health)
