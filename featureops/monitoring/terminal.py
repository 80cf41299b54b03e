"""`featureops monitor` in the terminal: the health table, then one line per finding (long
lines are not folded, so a feature name can be searched for in the output)."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from featureops.monitoring.health import CHECK_LABELS, CHECKS
from featureops.monitoring.results import Finding
from featureops.monitoring.summary import MonitoringSummary, format_number

STYLES = {"ok": "green", "warning": "yellow", "critical": "bold red", "unchecked": "dim"}
MARKS = {"ok": "ok", "warning": "warning", "critical": "CRITICAL", "unchecked": "-"}
TRENDS = {"improving": "improving", "degrading": "degrading", "stable": "stable"}


def print_summary(summary: MonitoringSummary, console: Console) -> None:
    results = summary.results
    console.print(f"[bold]featureops monitoring[/bold]: {_level(summary.level)}   "
                  f"({len(results.monitoring_tests)} monitoring tests, "
                  f"{len(results.findings)} findings; dbt {results.command or '?'} at "
                  f"{results.generated_at or '?'})")
    health = Table(title="Health per table")
    health.add_column("table", no_wrap=True)
    health.add_column("health")
    for check in CHECKS:
        health.add_column(CHECK_LABELS[check])
    for entry in summary.health:
        health.add_row(entry.table, _level(entry.level),
                       *(_level(entry.checks.get(check, "unchecked")) for check in CHECKS))
    console.print(health)
    if not results.findings:
        console.print("no findings")
        return
    console.print("[bold]Findings[/bold]")
    for finding in results.findings:
        console.print(finding_line(finding), soft_wrap=True)


def finding_line(f: Finding) -> str:
    """One finding on one line: level, check, where, what was measured, thresholds, trend."""
    where = f.model_name + (f"  {f.column_name}" if f.column_name else "")
    measured = f"{f.metric_name or ''} {format_number(f.observed_value)}"
    if f.expected_value is not None:
        measured += f" (expected {format_number(f.expected_value)})"
    if f.score is not None and f.score != f.observed_value:
        measured += f", score {format_number(f.score)}"
    thresholds = (f"  warn {format_number(f.warn_threshold)} / error "
                  f"{format_number(f.error_threshold)}"
                  if f.warn_threshold is not None or f.error_threshold is not None else "")
    trend = f"  {TRENDS[f.trend]}" if f.trend in TRENDS else ""
    # Square brackets in values would read as rich markup.
    detail = f"  ({f.detail})".replace("[", "\\[") if f.detail else ""
    return (f"{_level(f.level)}  {f.check_name}  {where}  {measured}{thresholds}{trend}"
            f"{detail}")


def _level(level: str) -> str:
    return f"[{STYLES[level]}]{MARKS[level]}[/{STYLES[level]}]"
