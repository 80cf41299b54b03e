"""The latest monitoring results: dbt's run_results.json of the last build, joined with the
manifest, and the findings of every monitoring test that warned or failed.

A monitoring test (featureops.freshness_sla, volume_anomaly, column_anomalies,
schema_changes, distribution_drift, training_serving_skew, monitoring_coverage) returns one
row per finding, with alert_level 1 (warning) or 2 (critical), and one row per series it
could not judge, with alert_level -1 (insufficient data: too little history, too few values
on a side); dbt records only the maximum (its failure count), and nothing for a pass. The
rows themselves are read back by running the test's compiled query, as dbt ran it, in the
warehouse: the warehouse computes, featureops reads.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from featureops.manifest import DataTest
from featureops.monitoring.errors import MonitoringError
from featureops.monitoring.rules import rules_of
from featureops.monitoring.warehouse import MonitoringWarehouse
from featureops.project import Project

MONITORING_TESTS = ("freshness_sla", "volume_anomaly", "column_anomalies", "schema_changes",
                    "distribution_drift", "training_serving_skew", "monitoring_coverage")
#: A series a test could not judge: not a failure, but not "ok" either.
INSUFFICIENT = "insufficient_data"
LEVELS = {-1: INSUFFICIENT, 1: "warning", 2: "critical"}
#: dbt test status -> health level of the table it checks.
STATUS_LEVELS = {"pass": "ok", "warn": "warning", "fail": "critical", "error": "critical"}
FINDING_COLUMNS = ("check_name", "model_name", "column_name", "metric_name", "bucket_start",
                   "observed_value", "expected_value", "score", "warn_threshold",
                   "error_threshold", "severity", "trend", "detail", "alert_level")


@dataclass(frozen=True)
class TestResult:
    """One dbt data test of the last invocation."""

    unique_id: str
    name: str
    status: str
    failures: int | None
    message: str | None
    execution_time: float
    test: DataTest | None
    compiled_code: str | None

    @property
    def is_monitoring(self) -> bool:
        return (self.test is not None and self.test.namespace == "featureops"
                and self.test.test_name in MONITORING_TESTS)

    @property
    def table(self) -> str | None:
        """The model (or source) the test is attached to, by name."""
        if self.test is None or not self.test.attached_node:
            return None
        return self.test.attached_node.split(".")[-1]


@dataclass(frozen=True)
class Finding:
    """One row a monitoring test returned: a warning, a critical finding or a series it
    could not judge (level insufficient_data)."""

    test_id: str
    check_name: str
    model_name: str
    column_name: str | None
    metric_name: str | None
    bucket_start: datetime | None
    observed_value: float | None
    expected_value: float | None
    score: float | None
    warn_threshold: float | None
    error_threshold: float | None
    severity: str | None
    trend: str | None
    detail: str | None
    level: str

    @property
    def table(self) -> str:
        """The relation the finding is about: a skew finding's column is view:feature."""
        if self.check_name == "training_serving_skew" and self.column_name:
            return self.column_name.split(":", 1)[0]
        return self.model_name


@dataclass
class MonitoringResults:
    """Test results of the last dbt invocation, the monitoring findings (warnings and
    critical ones) and the series the monitoring tests could not judge."""

    run_results_path: Path
    generated_at: str | None
    invocation_id: str | None
    command: str | None
    tests: list[TestResult] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    insufficient: list[Finding] = field(default_factory=list)

    @property
    def monitoring_tests(self) -> list[TestResult]:
        return [test for test in self.tests if test.is_monitoring]

    @property
    def critical(self) -> list[Finding]:
        return [finding for finding in self.findings if finding.level == "critical"]


def run_results_path(project: Project, explicit: str | Path | None = None) -> Path:
    """run_results.json beside the manifest, unless given."""
    return Path(explicit) if explicit else project.manifest_path.with_name("run_results.json")


def load_test_results(project: Project, path: Path) -> MonitoringResults:
    """Every data-test result of run_results.json, typed and linked to its manifest test."""
    raw = _read_json(path)
    results = raw.get("results")
    if not isinstance(results, list):
        raise MonitoringError(f"{path}: no `results` list; is this a dbt run_results.json?")
    args = raw.get("args") if isinstance(raw.get("args"), Mapping) else {}
    metadata = raw.get("metadata") if isinstance(raw.get("metadata"), Mapping) else {}
    loaded = MonitoringResults(path, metadata.get("generated_at"), metadata.get("invocation_id"),
                               args.get("which"))
    tests = project.manifest.tests
    for item in results:
        if not isinstance(item, Mapping) or not str(item.get("unique_id", "")).startswith("test."):
            continue
        unique_id = str(item["unique_id"])
        test = tests.get(unique_id)
        loaded.tests.append(TestResult(
            unique_id=unique_id, name=test.name if test else unique_id.split(".")[-2],
            status=str(item.get("status", "")), failures=_int_or_none(item.get("failures")),
            message=item.get("message"), execution_time=float(item.get("execution_time") or 0),
            test=test, compiled_code=item.get("compiled_code")))
    return loaded


def load_monitoring_results(project: Project, warehouse: MonitoringWarehouse,
                            path: str | Path | None = None) -> MonitoringResults:
    """The last invocation's test results with the findings of its monitoring tests. The
    queries of passing tests run too: their rows say what they could not judge."""
    loaded = load_test_results(project, run_results_path(project, path))
    if not loaded.monitoring_tests:
        raise MonitoringError(
            f"{loaded.run_results_path}: the last dbt command ({loaded.command or 'unknown'}) "
            "ran no featureops monitoring test; run `dbt build` (or `dbt test --select "
            "tag:featureops_monitoring`) first")
    rows: list[Finding] = []
    for test in loaded.monitoring_tests:
        if test.status not in ("pass", "warn", "fail"):
            continue
        if test.compiled_code:
            rows.extend(_findings(test, warehouse.query(test.compiled_code).to_pylist()))
        elif test.status != "pass":  # no query in the results: keep the level dbt recorded
            rows.append(_finding_without_rows(test))
    rows.sort(key=lambda f: (-_rank(f.level), f.table, f.check_name, f.column_name or "",
                             f.metric_name or ""))
    loaded.findings = [finding for finding in rows if finding.level != INSUFFICIENT]
    loaded.insufficient = [finding for finding in rows if finding.level == INSUFFICIENT]
    return loaded


def _findings(test: TestResult, rows: Iterable[Mapping[str, Any]]) -> list[Finding]:
    findings = []
    for row in rows:
        missing = [name for name in FINDING_COLUMNS if name not in row]
        if missing:
            raise MonitoringError(
                f"monitoring test {test.unique_id} returned no {', '.join(missing)} column(s); "
                "rebuild with the featureops monitoring macros of this version")
        level = LEVELS.get(int(row["alert_level"] or 0))
        if level is None:
            continue
        findings.append(Finding(
            test_id=test.unique_id, check_name=row["check_name"], model_name=row["model_name"],
            column_name=row["column_name"], metric_name=row["metric_name"],
            bucket_start=row["bucket_start"], observed_value=_float(row["observed_value"]),
            expected_value=_float(row["expected_value"]), score=_float(row["score"]),
            warn_threshold=_float(row["warn_threshold"]),
            error_threshold=_float(row["error_threshold"]), severity=row["severity"],
            trend=row["trend"], detail=row["detail"], level=level))
    return findings


def _finding_without_rows(test: TestResult) -> Finding:
    assert test.test is not None
    wanted = [rule.get("model_name") for rule in rules_of(test.test)]
    return Finding(test.unique_id, test.test.test_name,
                   wanted[0] if len(wanted) == 1 and isinstance(wanted[0], str)
                   else (test.table or "?"), None, None, None,
                   None, None, None, None, None, None, None,
                   f"{test.name}: {test.message or test.status}",
                   LEVELS.get(test.failures or 0, "warning"))


def _rank(level: str) -> int:
    return {"critical": 2, "warning": 1}.get(level, 0)


def _read_json(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise MonitoringError(f"no dbt run results at {path}: run `dbt build` first (or pass "
                              "--run-results)")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise MonitoringError(f"{path}: cannot read run results: {error}") from None
    if not isinstance(data, dict):
        raise MonitoringError(f"{path}: a dbt run_results.json is a JSON object")
    return data


def _int_or_none(value: Any) -> int | None:
    return int(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _float(value: Any) -> float | None:
    return None if value is None else float(value)
