"""The problems of `featureops monitor` and `featureops sla` runs, as alert evaluations.

Monitoring: one problem per table and check (freshness, volume, ..., its own dbt tests) at
the check's level, with the findings behind it; a check at ``ok`` is judged, one with
insufficient data or not run is not. SLA: one problem per view and violated SLA, critical
unless the view is experimental or deprecated; ``unknown`` measurements are not judged.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from featureops.alerts.problems import Evaluation, Problem, problem_key

if TYPE_CHECKING:
    from featureops.monitoring.results import Finding, TestResult
    from featureops.monitoring.summary import MonitoringSummary
    from featureops.sla import SlaReport

_JUDGED = ("ok", "warning", "critical")


def from_sla(report: SlaReport) -> Evaluation:
    from featureops.sla import OK, VIOLATED

    problems = [
        Problem("sla", r.view, r.sla, "critical" if r.critical else "warning",
                f"{r.sla} {r.observed} (threshold {r.threshold})"
                + (f": {r.detail}" if r.detail else ""), r.to_dict())
        for r in report.results if r.status == VIOLATED]
    judged = [problem_key("sla", r.view, r.sla) for r in report.results
              if r.status in (OK, VIOLATED)]
    return Evaluation.of("sla", problems, judged)


def from_monitoring(summary: MonitoringSummary) -> Evaluation:
    from featureops.monitoring.health import CHECK_LABELS
    from featureops.monitoring.summary import finding_dict

    problems, judged = [], []
    for health in summary.health:
        for check in summary.checks:
            level = health.checks.get(check)
            if level not in _JUDGED:
                continue
            judged.append(problem_key("monitor", health.table, check))
            if level == "ok":
                continue
            if check == "data_tests":
                failed = [t for t in summary.results.tests if not t.is_monitoring
                          and t.table == health.table and t.status in ("warn", "fail", "error")]
                lines = [_test_line(t) for t in failed]
                details: dict[str, Any] = {"tests": [_test_dict(t) for t in failed]}
            else:
                found = [f for f in health.findings if f.check_name == check]
                lines = [finding_line(f) for f in found]
                details = {"findings": [finding_dict(f) for f in found]}
            shown = "; ".join(lines[:3]) + (f"; and {len(lines) - 3} more" if len(lines) > 3
                                           else "")
            problems.append(Problem("monitor", health.table, check, level,
                                    f"{CHECK_LABELS[check]}: {shown or level}", details))
    return Evaluation.of("monitor", problems, judged)


def finding_line(finding: Finding) -> str:
    """A finding in plain text: where, what was measured, against what."""
    from featureops.monitoring.summary import format_number

    where = " ".join(part for part in (finding.column_name, finding.metric_name) if part)
    text = f"{where or finding.model_name} {format_number(finding.observed_value)}"
    if finding.expected_value is not None:
        text += f" (expected {format_number(finding.expected_value)})"
    if finding.detail:
        text += f" ({finding.detail})"
    return text


def _test_line(test: TestResult) -> str:
    failures = f", {test.failures} failing rows" if test.failures else ""
    return f"{test.name} {test.status}{failures}"


def _test_dict(test: TestResult) -> dict[str, Any]:
    return {"test": test.name, "unique_id": test.unique_id, "status": test.status,
            "failures": test.failures, "message": test.message}
