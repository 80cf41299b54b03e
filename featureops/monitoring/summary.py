"""The monitoring summary: per-table health, the findings and what could not be judged, as
one structure that the terminal (`featureops monitor`), JSON output and the HTML report all
render."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from featureops.monitoring.health import CHECK_LABELS, CHECKS, TableHealth, overall, table_health
from featureops.monitoring.parts import CHECK_PARTS, PART_VIEWS, built_parts
from featureops.monitoring.results import (
    INSUFFICIENT,
    Finding,
    MonitoringResults,
    load_monitoring_results,
)
from featureops.monitoring.snapshot import NOTHING_MEASURED, MonitoringSnapshot, load_snapshot
from featureops.monitoring.warehouse import MonitoringWarehouse
from featureops.project import Project


@dataclass
class MonitoringSummary:
    results: MonitoringResults
    snapshot: MonitoringSnapshot
    health: list[TableHealth]

    @property
    def level(self) -> str:
        return overall(self.health)

    @property
    def has_critical(self) -> bool:
        return self.level == "critical"

    @property
    def parts(self) -> dict[str, str]:
        """Each part of monitoring: measured, insufficient_data or not_configured."""
        return {part: self.snapshot.part_status(part) for part in PART_VIEWS}

    @property
    def checks(self) -> tuple[str, ...]:
        """The checks of the parts that were built (and the tables' own dbt tests)."""
        return tuple(check for check in CHECKS
                     if CHECK_PARTS.get(check, "quality") in self.snapshot.parts
                     or check == "data_tests")

    def to_dict(self) -> dict[str, Any]:
        return {
            "level": self.level,
            "run_results": str(self.results.run_results_path),
            "generated_at": self.results.generated_at,
            "command": self.results.command,
            "parts": self.parts,
            "tables": [{"table": h.table, "level": h.level,
                        "checks": {CHECK_LABELS[c]: h.checks.get(c, "unchecked")
                                   if c in self.checks else "not_configured"
                                   for c in CHECKS}}
                       for h in self.health],
            "findings": [finding_dict(f) for f in self.results.findings],
            "insufficient_data": [finding_dict(f) for f in self.results.insufficient],
        }


@dataclass(frozen=True)
class NotJudged:
    """The series of one table that one check could not judge (insufficient data)."""

    table: str
    check_name: str
    series: int
    example: Finding


def not_judged(findings: list[Finding]) -> list[NotJudged]:
    """Insufficient-data rows grouped per table and check, in order of appearance."""
    groups: dict[tuple[str, str], list[Finding]] = {}
    for finding in findings:
        groups.setdefault((finding.table, finding.check_name), []).append(finding)
    return [NotJudged(table, check, len(rows), rows[0])
            for (table, check), rows in groups.items()]


def part_notes(summary: MonitoringSummary) -> list[str]:
    """A note per part of monitoring that is not configured or measured nothing."""
    notes = []
    for part, status in summary.parts.items():
        if status == "not_configured":
            notes.append(f"{part}: not configured")
        elif status == INSUFFICIENT:
            notes.append(f"{part}: insufficient data ({NOTHING_MEASURED[part]})")
    return notes


def summarize(project: Project, warehouse: MonitoringWarehouse,
              run_results: str | None = None) -> MonitoringSummary:
    parts = built_parts(project)
    results = load_monitoring_results(project, warehouse, run_results)
    snapshot = load_snapshot(warehouse, parts)
    return MonitoringSummary(results, snapshot, table_health(results, snapshot))


def finding_dict(finding: Finding) -> dict[str, Any]:
    data = {name: getattr(finding, name) for name in (
        "level", "check_name", "table", "model_name", "column_name", "metric_name",
        "bucket_start", "observed_value", "expected_value", "score", "warn_threshold",
        "error_threshold", "severity", "trend", "detail", "test_id")}
    if isinstance(data["bucket_start"], datetime):
        data["bucket_start"] = data["bucket_start"].isoformat(sep=" ")
    return data


def format_number(value: float | None) -> str:
    if value is None or value != value:  # None, or the NaN pandas reads a null as
        return "-"
    if value != 0 and (abs(value) >= 1e6 or abs(value) < 1e-3):
        return f"{value:.3g}"
    return f"{value:,.4f}".rstrip("0").rstrip(".")
