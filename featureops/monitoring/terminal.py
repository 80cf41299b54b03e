"""`featureops monitor` in the terminal: the health table, then one line per finding (long
lines are not folded, so a feature name can be searched for in the output), then what could
not be judged for lack of data."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from featureops.monitoring.health import CHECK_LABELS
from featureops.monitoring.results import INSUFFICIENT, Finding
from featureops.monitoring.summary import (
    MonitoringSummary,
    NotJudged,
    format_number,
    not_judged,
    part_notes,
)

STYLES = {"ok": "green", "warning": "yellow", "critical": "bold red", "unchecked": "dim",
          INSUFFICIENT: "cyan"}
MARKS = {"ok": "ok", "warning": "warning", "critical": "CRITICAL", "unchecked": "-",
         INSUFFICIENT: "insufficient data"}
TRENDS = {"improving": "improving", "degrading": "degrading", "stable": "stable"}


def print_summary(summary: MonitoringSummary, console: Console) -> None:
    results = summary.results
    console.print(f"[bold]featureops monitoring[/bold]: {_level(summary.level)}   "
                  f"({len(results.monitoring_tests)} monitoring tests, "
                  f"{len(results.findings)} findings; dbt {results.command or '?'} at "
                  f"{results.generated_at or '?'})")
    notes = part_notes(summary)
    if notes:
        console.print("; ".join(notes))
    health = Table(title="Health per table")
    health.add_column("table", no_wrap=True)
    health.add_column("health")
    for check in summary.checks:
        health.add_column(CHECK_LABELS[check])
    for entry in summary.health:
        health.add_row(entry.table, _level(entry.level),
                       *(_level(entry.checks.get(check, "unchecked")) for check in summary.checks))
    console.print(health)
    if results.findings:
        console.print("[bold]Findings[/bold]")
        for finding in results.findings:
            console.print(finding_line(finding), soft_wrap=True)
    else:
        console.print("no findings")
    if results.insufficient:
        console.print("[bold]Not judged[/bold] (too little data so far; not a failure)")
        for group in not_judged(results.insufficient):
            console.print(not_judged_line(group), soft_wrap=True)


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
    return (f"{_level(f.level)}  {f.check_name}  {where}  {measured}{thresholds}{trend}"
            f"{_detail(f)}")


def not_judged_line(group: NotJudged) -> str:
    """One table and check that could not judge some series: how many, and why (the first)."""
    example = group.example
    what = (f"{group.series} series" if group.series > 1 else
            " ".join(part for part in (example.column_name, example.metric_name) if part))
    return f"{_level(INSUFFICIENT)}  {group.check_name}  {group.table}  {what}{_detail(example)}"


def _detail(f: Finding) -> str:
    # Square brackets in values would read as rich markup.
    return f"  ({f.detail})".replace("[", "\\[") if f.detail else ""


def _level(level: str) -> str:
    return f"[{STYLES[level]}]{MARKS[level]}[/{STYLES[level]}]"
