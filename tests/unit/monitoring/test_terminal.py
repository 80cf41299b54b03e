"""The terminal summary of `featureops monitor`."""

from __future__ import annotations

import io

from rich.console import Console

from featureops.monitoring.health import table_health
from featureops.monitoring.results import INSUFFICIENT
from featureops.monitoring.summary import MonitoringSummary, format_number
from featureops.monitoring.terminal import finding_line, print_summary
from tests.unit.monitoring.conftest import make_finding


def test_format_number_is_short_and_exact_enough() -> None:
    assert format_number(None) == "-"
    assert format_number(0) == "0"
    assert format_number(0.1) == "0.1"
    assert format_number(86400.0) == "86,400"
    assert format_number(1_146_000.0) == "1.15e+06"
    assert format_number(0.00012) == "0.00012"
    assert format_number(float("nan")) == "-"  # a null read by pandas


def test_a_finding_is_one_line_with_its_numbers() -> None:
    finding = make_finding("training_serving_skew", "fraud_model", "critical", "v:f", "psi")
    line = finding_line(finding)
    assert "CRITICAL" in line and "fraud_model  v:f" in line and "psi 1" in line
    assert "warn 3 / error 4" in line and "\n" not in line


def test_markup_in_values_is_shown_literally() -> None:
    finding = make_finding("schema_changes", "feat_a", "warning", "x")
    finding = finding.__class__(**{**finding.__dict__, "detail": "[red]x[/red]"})
    out = io.StringIO()
    Console(file=out, width=200, color_system=None).print(finding_line(finding))
    assert "[red]x[/red]" in out.getvalue()


def test_the_summary_prints_health_and_findings(results, snapshot) -> None:
    out = io.StringIO()
    summary = MonitoringSummary(results, snapshot, table_health(results, snapshot))
    print_summary(summary, Console(file=out, width=200, color_system=None))
    text = out.getvalue()
    assert "featureops monitoring: CRITICAL" in text and "Health per table" in text
    assert text.index("feat_c") < text.index("Findings")
    assert "feat_a:f1" in text and summary.has_critical


def _printed(summary: MonitoringSummary) -> str:
    out = io.StringIO()
    print_summary(summary, Console(file=out, width=200, color_system=None))
    return out.getvalue()


def test_checks_without_enough_data_say_so_and_are_not_ok(results, snapshot) -> None:
    results.findings = []
    results.tests = [t for t in results.tests if t.is_monitoring]
    results.insufficient = [
        make_finding("volume_anomaly", "feat_a", INSUFFICIENT, metric="row_count",
                     detail="insufficient data: 2 of 7 buckets of history needed"),
        *(make_finding("column_anomalies", "feat_a", INSUFFICIENT, column, "null_rate",
                       detail="insufficient data: 0 of 7 buckets of history needed")
          for column in ("x", "y", "z")),
    ]
    summary = MonitoringSummary(results, snapshot, table_health(results, snapshot))
    text = _printed(summary)
    assert "featureops monitoring: insufficient data" in text and not summary.has_critical
    volume = next(line for line in text.splitlines() if "volume_anomaly" in line)
    assert volume.startswith("insufficient data") and "feat_a  row_count" in volume
    assert "2 of 7 buckets of history needed" in volume
    columns = next(line for line in text.splitlines() if "column_anomalies" in line)
    assert "feat_a  3 series" in columns
    row = next(line for line in text.splitlines() if line.startswith("│ feat_a"))
    assert "insufficient data" in row
    assert summary.to_dict()["tables"][0]["checks"]["volume"] == INSUFFICIENT


def test_parts_not_configured_are_named_and_their_columns_left_out(results, snapshot) -> None:
    snapshot.parts = frozenset({"quality", "skew"})
    snapshot.skew = snapshot.skew.iloc[0:0]  # skew built, but no traffic served
    summary = MonitoringSummary(results, snapshot, table_health(results, snapshot))
    text = _printed(summary)
    assert "drift: not configured" in text
    assert "skew: insufficient data (no served traffic in the serving window)" in text
    header = next(line for line in text.splitlines() if "table" in line and "health" in line)
    assert "skew" in header and "drift" not in header
    checks = summary.to_dict()["tables"][0]["checks"]
    assert checks["drift"] == "not_configured" and checks["skew"] != "not_configured"
