"""The monitoring summary: per-table health and the findings, as one structure that the
terminal (`featureops monitor`), JSON output and the HTML report all render."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from featureops.monitoring.health import CHECK_LABELS, CHECKS, TableHealth, overall, table_health
from featureops.monitoring.results import Finding, MonitoringResults, load_monitoring_results
from featureops.monitoring.snapshot import MonitoringSnapshot, load_snapshot
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

    def to_dict(self) -> dict[str, Any]:
        return {
            "level": self.level,
            "run_results": str(self.results.run_results_path),
            "generated_at": self.results.generated_at,
            "command": self.results.command,
            "tables": [{"table": h.table, "level": h.level,
                        "checks": {CHECK_LABELS[c]: h.checks.get(c, "unchecked")
                                   for c in CHECKS}}
                       for h in self.health],
            "findings": [finding_dict(f) for f in self.results.findings],
        }


def summarize(project: Project, warehouse: MonitoringWarehouse,
              run_results: str | None = None) -> MonitoringSummary:
    results = load_monitoring_results(project, warehouse, run_results)
    snapshot = load_snapshot(warehouse)
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
    if value is None:
        return "-"
    if value != 0 and (abs(value) >= 1e6 or abs(value) < 1e-3):
        return f"{value:.3g}"
    return f"{value:,.4f}".rstrip("0").rstrip(".")
