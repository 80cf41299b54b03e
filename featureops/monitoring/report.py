"""`featureops report`: one self-contained HTML dashboard of the latest monitoring results.

Everything is inside the file: CSS inline, charts as inline SVG, no JavaScript, no network.
The numbers come from the monitoring views and the monitoring tests' findings
(:mod:`featureops.monitoring.summary`); this module only arranges and draws them.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import datetime, timezone
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2
import pandas as pd

from featureops.files import write_text_atomic
from featureops.monitoring import plots
from featureops.monitoring.health import CHECK_LABELS, worst
from featureops.monitoring.parts import CHECK_PARTS
from featureops.monitoring.results import STATUS_LEVELS, TestResult
from featureops.monitoring.rules import rule_argument
from featureops.monitoring.summary import (
    MonitoringSummary,
    format_number,
    not_judged,
    part_notes,
)
from featureops.project import Project

DEFAULT_LINEAGE_PAGE = "data/reports/lineage.html"
COLUMN_METRICS = ("null_rate", "distinct_count", "mean", "stddev", "min", "max")
_STATUS_ORDER = {"error": 0, "fail": 1, "warn": 2, "pass": 3}
#: What to configure, per part of monitoring, for a section of a part that was not built.
_NOT_CONFIGURED = {
    "quality": "Not configured: list the models to monitor under "
               "vars.featureops.monitoring.monitored (docs/monitoring.md).",
    "drift": "Not configured: declare drift checks under vars.featureops.monitoring.drift "
             "(docs/monitoring.md).",
    "skew": "Not configured: name the training sets to compare with the serving log under "
            "vars.featureops.monitoring.skew.training_sets (docs/monitoring.md).",
}


@dataclass
class _Section:
    title: str
    anchor: str
    level: str = "ok"
    charts: list[str] = field(default_factory=list)
    rows: list[dict[str, Any]] = field(default_factory=list)
    groups: list[dict[str, Any]] = field(default_factory=list)
    note: str = ""
    configured: bool = True


def render_report(project: Project, summary: MonitoringSummary, out: Path,
                  lineage_page: Path | None = None) -> Path:
    """Write the dashboard to ``out`` (atomically) and return its path."""
    lineage = lineage_page or project.project_dir / DEFAULT_LINEAGE_PAGE
    context = {
        "project": project.manifest.project_name,
        "level": summary.level,
        "created_at": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "results": summary.results,
        "monitoring_now": _monitoring_now(summary),
        "lineage_href": os.path.relpath(lineage, out.parent),
        "lineage_exists": lineage.is_file(),
        "checks": [(check, CHECK_LABELS[check]) for check in summary.checks],
        "health": summary.health,
        "findings": summary.results.findings,
        "not_judged": not_judged(summary.results.insufficient),
        "part_notes": part_notes(summary),
        "sections": _sections(summary),
        "tests": _tests(summary.results.tests),
        "number": format_number,
    }
    write_text_atomic(out, _template().render(**context))
    return out


def _template() -> jinja2.Template:
    assets = resources.files("featureops.monitoring") / "assets"
    environment = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined,
                                     trim_blocks=True, lstrip_blocks=True)
    environment.globals["css"] = (assets / "report.css").read_text(encoding="utf-8")
    return environment.from_string((assets / "report.html.j2").read_text(encoding="utf-8"))


def _monitoring_now(summary: MonitoringSummary) -> str:
    frame = summary.snapshot.latest_freshness
    if frame.empty:
        return "-"
    return str(frame["monitoring_now"].max())


def _levels(summary: MonitoringSummary, check: str) -> dict[tuple[str, ...], str]:
    """Worst level per (model_name, column_name[, metric_name]) of one check's findings
    and the series it could not judge."""
    levels: dict[tuple[str, ...], str] = {}
    for finding in [*summary.results.findings, *summary.results.insufficient]:
        if finding.check_name != check:
            continue
        for key in ((finding.model_name, finding.column_name or ""),
                    (finding.model_name, finding.column_name or "", finding.metric_name or "")):
            levels[key] = worst([levels.get(key, "ok"), finding.level])
    return levels


def _check_level(summary: MonitoringSummary, table: str, check: str) -> str:
    for entry in summary.health:
        if entry.table == table:
            return entry.checks.get(check, "unchecked")
    return "unchecked"


def _section_level(summary: MonitoringSummary, check: str) -> str:
    """The worst level of one kind of check over every table."""
    return worst(entry.checks[check] for entry in summary.health if check in entry.checks)


def _freshness(summary: MonitoringSummary, section: _Section) -> _Section:
    frame = summary.snapshot.latest_freshness.sort_values("model_name")
    for row in frame.itertuples():
        level = _check_level(summary, row.model_name, "freshness_sla")
        section.rows.append({
            "table": row.model_name, "newest_at": row.newest_at, "level": level,
            "age": _duration(row.age_seconds), "sla": _duration(row.sla_seconds),
            "ratio": row.age_over_sla, "trend": row.trend})
    measured = [r for r in section.rows if r["ratio"] is not None and pd.notna(r["ratio"])]
    if measured:
        section.charts.append(plots.threshold_bars(
            [r["table"] for r in measured], [float(r["ratio"]) for r in measured],
            [r["level"] for r in measured], warn=1.0, critical=2.0,
            xlabel="age of the newest row / SLA (log scale)", log=True))
    section.level = _section_level(summary, "freshness_sla")
    return section


def _volume(summary: MonitoringSummary, section: _Section) -> _Section:
    frame = summary.snapshot.anomalies
    counts = frame[(frame["metric_name"] == "row_count") & (frame["grain"] != "build")]
    series = {}
    for table, rows in counts.sort_values("bucket_start").groupby("model_name", sort=True):
        level = _check_level(summary, table, "volume_anomaly")
        series[table] = {name: _values(rows[name]) for name in (
            "bucket_start", "metric_value", "training_mean", "training_stddev")}
        series[table]["level"] = "ok" if level == "unchecked" else level
        latest = rows.iloc[-1]
        section.rows.append({"table": table, "level": level, "day": latest.bucket_start,
                             "rows": latest.metric_value, "expected": latest.training_mean,
                             "z": latest.z_score, "severity": _text(latest.severity),
                             "trend": _text(latest.trend)})
    if series:
        section.charts.append(plots.volume_panels(
            series, _test_argument(summary, "volume_anomaly", "sensitivity", 3.0)))
    section.level = _section_level(summary, "volume_anomaly")
    return section


def _column_metrics(summary: MonitoringSummary, section: _Section) -> _Section:
    section.note = ("Each cell: the metric per bucket (day) over the history, the latest "
                    "value and its z-score against the 14 buckets before it.")
    frame = summary.snapshot.anomalies
    frame = frame[frame["column_name"].notna() & frame["metric_name"].isin(COLUMN_METRICS)]
    levels = _levels(summary, "column_anomalies")
    for table, by_table in frame.sort_values("bucket_start").groupby("model_name", sort=True):
        rows = []
        for column, by_column in by_table.groupby("column_name", sort=True):
            cells = {}
            for metric, series in by_column.groupby("metric_name"):
                level = levels.get((table, column, metric), "ok")
                latest = series.iloc[-1]
                cells[metric] = {"spark": plots.sparkline(_values(series["metric_value"]), level),
                                 "value": latest.metric_value, "z": latest.z_score,
                                 "trend": latest.trend, "level": level}
            rows.append({"column": column, "cells": cells,
                         "level": worst(cell["level"] for cell in cells.values())})
        section.groups.append({"title": table, "rows": rows, "metrics": COLUMN_METRICS,
                               "level": worst(r["level"] for r in rows)})
    section.level = _section_level(summary, "column_anomalies")
    return section


def _schema(summary: MonitoringSummary, section: _Section) -> _Section:
    levels = _levels(summary, "schema_changes")
    for row in summary.snapshot.latest_schema_changes.itertuples():
        section.rows.append({"table": row.model_name, "column": row.column_name,
                             "change": row.change_type, "previous": row.previous_type,
                             "current": row.current_type,
                             "level": levels.get((row.model_name, row.column_name), "ok")})
    section.level = _section_level(summary, "schema_changes")
    return section


def _drift(summary: MonitoringSummary, section: _Section) -> _Section:
    levels = _levels(summary, "distribution_drift")
    thresholds = _psi_thresholds(summary, "distribution_drift")
    for check, rows in summary.snapshot.latest_drift.groupby("check_name", sort=True):
        rows = rows.sort_values("psi", ascending=False)
        entries = [_distribution_row(row, levels.get(
            (row.model_name, f"{check}: {row.column_name}"), "ok"), row.column_name)
            for row in rows.itertuples()]
        first = rows.iloc[0]
        section.groups.append(_distribution_group(
            f"{check}: {first.model_name}, {_window(first)} against "
            f"{first.reference_window} of {first.reference_name}", entries, thresholds, "PSI"))
    section.level = _section_level(summary, "distribution_drift")
    return section


def _skew(summary: MonitoringSummary, section: _Section) -> _Section:
    levels = _levels(summary, "training_serving_skew")
    thresholds = _psi_thresholds(summary, "training_serving_skew")
    frame = summary.snapshot.latest_skew
    if frame.empty:
        section.note = ("No served traffic in the serving window: nothing to compare yet "
                        "(the server logs requests to data/serving_log/; `featureops replay` "
                        "replays a workload).")
    for exposure, rows in frame.groupby("exposure", sort=True):
        window = rows[rows["grain"] == "window"].sort_values("psi", ascending=False)
        flagged = []
        entries = []
        for row in window.itertuples():
            label = f"{row.feature_view}:{row.feature}"
            entries.append(_distribution_row(row, levels.get((exposure, label), "ok"), label))
            if entries[-1]["level"] != "ok":
                flagged.append(plots.distribution_overlay(
                    _bin_labels(row), list(row.training_shares), list(row.serving_shares),
                    label))
        by_day = {}
        days = rows[rows["grain"] == "day"].sort_values("bucket_start")
        for (view, feature), series in days.groupby(["feature_view", "feature"]):
            label = f"{view}:{feature}"
            by_day[label] = (_values(series["bucket_start"]), _values(series["psi"]),
                             levels.get((exposure, label), "ok"))
        first = window.iloc[0]
        group = _distribution_group(
            f"{exposure}, trained on {first.training_set}; served {_window(first)}", entries,
            thresholds, "PSI over the serving window")
        group["by_day"] = plots.psi_by_day(by_day, *thresholds) if by_day else ""
        group["overlays"] = flagged
        section.groups.append(group)
    section.level = _section_level(summary, "training_serving_skew")
    return section


def _sections(summary: MonitoringSummary) -> list[_Section]:
    """Every section; one of a part that was not built says what to configure instead."""
    sections = []
    for title, anchor, check, build in (
            ("Freshness against SLA", "freshness", "freshness_sla", _freshness),
            ("Volume per day", "volume", "volume_anomaly", _volume),
            ("Column metrics", "columns", "column_anomalies", _column_metrics),
            ("Schema changes since the previous build", "schema", "schema_changes", _schema),
            ("Distribution drift", "drift", "distribution_drift", _drift),
            ("Training-serving skew", "skew", "training_serving_skew", _skew)):
        part = CHECK_PARTS[check]
        if part in summary.snapshot.parts:
            sections.append(build(summary, _Section(title, anchor)))
        else:
            sections.append(_Section(title, anchor, level="unchecked",
                                     note=_NOT_CONFIGURED[part], configured=False))
    return sections


def _distribution_group(title: str, entries: list[dict[str, Any]],
                        thresholds: tuple[float, float], xlabel: str) -> dict[str, Any]:
    """A table of drift or skew rows with its PSI chart and level."""
    return {"title": title, "rows": entries, "level": worst(e["level"] for e in entries),
            "chart": plots.threshold_bars([e["label"] for e in entries],
                                          [e["psi"] for e in entries],
                                          [e["level"] for e in entries], warn=thresholds[0],
                                          critical=thresholds[1], xlabel=xlabel)}


def _psi_thresholds(summary: MonitoringSummary, check: str) -> tuple[float, float]:
    """The PSI thresholds the check's test is configured with (for the charts' lines)."""
    return (_test_argument(summary, check, "psi_warning", 0.1),
            _test_argument(summary, check, "psi_critical", 0.25))


def _test_argument(summary: MonitoringSummary, check: str, name: str, default: float) -> float:
    """A numeric argument of the first test of a kind in the results (its first rule that
    sets it), else its default."""
    for test in summary.results.monitoring_tests:
        if test.test is not None and test.test.test_name == check:
            value = rule_argument(test.test, name)
            return float(value) if isinstance(value, (int, float)) else default
    return default


def _distribution_row(row: Any, level: str, label: str) -> dict[str, Any]:
    # Drift rows name their sides reference/current, skew rows training/serving.
    skew = hasattr(row, "training_count")
    reference_count = row.training_count if skew else row.reference_count
    current_count = row.serving_count if skew else row.current_count
    return {"label": label, "kind": row.distribution_kind, "psi": float(row.psi),
            "jsd": row.jensen_shannon, "ks": row.ks_statistic, "shift": row.mean_shift_sd,
            "reference_count": reference_count, "current_count": current_count,
            "trend": row.trend, "level": level}


def _bin_labels(row: Any) -> list[str]:
    categories = [None if _missing(c) else c for c in row.bin_categories]
    if any(category is not None for category in categories):
        return [str(category) for category in categories]
    labels = []
    for lower, upper in zip(row.bin_lower_edges, row.bin_upper_edges, strict=True):
        low = "-inf" if _missing(lower) else format_number(lower)
        high = "inf" if _missing(upper) else format_number(upper)
        labels.append(f"({low}, {high}]")
    return labels


def _missing(value: Any) -> bool:
    """None, or the NaN pandas puts in place of a null inside a list."""
    return value is None or (isinstance(value, float) and value != value)


def _tests(tests: list[TestResult]) -> list[dict[str, Any]]:
    rows = [{"name": t.name, "table": t.table or "-", "status": t.status,
             "level": STATUS_LEVELS.get(t.status, "unchecked"),
             "kind": "monitoring" if t.is_monitoring else "data test",
             "failures": t.failures, "time": t.execution_time,
             "message": t.message or ""} for t in tests]
    return sorted(rows, key=lambda r: (_STATUS_ORDER.get(r["status"], 4), r["kind"] != "monitoring",
                                       r["name"]))


def _window(row: Any) -> str:
    return f"{row.window_start if hasattr(row, 'window_start') else row.bucket_start} to " \
           f"{row.window_end if hasattr(row, 'window_end') else row.bucket_end}"


def _values(series: pd.Series) -> list[Any]:
    return [None if pd.isna(v) else (v.to_pydatetime() if isinstance(v, pd.Timestamp) else v)
            for v in series]


def _text(value: Any) -> str | None:
    """A text column's value, None for a null (which pandas reads as NaN)."""
    return None if _missing(value) else str(value)


def _duration(seconds: float | None) -> str:
    if seconds is None or pd.isna(seconds):
        return "-"
    whole = int(round(abs(seconds)))
    sign = "-" if seconds < 0 else ""
    if whole == 0:
        return "0s"
    for unit, size in (("d", 86_400), ("h", 3_600), ("m", 60)):
        if whole >= size:
            return f"{sign}{whole / size:.1f}{unit}".replace(".0" + unit, unit)
    return f"{sign}{whole}s"
