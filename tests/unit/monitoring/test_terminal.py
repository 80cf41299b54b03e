"""The terminal summary of `featureops monitor`."""

from __future__ import annotations

import io

from rich.console import Console

from featureops.monitoring.health import table_health
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
