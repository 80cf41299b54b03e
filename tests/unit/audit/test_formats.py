"""Audit report formats."""

from __future__ import annotations

import json
from xml.etree import ElementTree

from rich.console import Console

from featureops.audit.formats import (
    render_json,
    render_junit,
    render_lines,
    render_markdown,
    render_table,
)
from tests.unit.audit.conftest import audit
from tests.unit.audit.test_runner import broken


def test_json_round_trips() -> None:
    data = json.loads(render_json(audit(broken())))
    assert data["counts"] == {"error": 1, "warning": 1, "info": 0}


def test_junit_has_one_suite_per_rule_and_failures_for_errors() -> None:
    report = audit(broken())
    root = ElementTree.fromstring(render_junit(report).split("?>", 1)[1])
    suites = {s.get("name"): s for s in root.iter("testsuite")}
    assert set(suites) == {r.rule.id for r in report.runs}
    owner = suites["feature_view_missing_owner"]
    assert owner.get("failures") == "1"
    (case,) = owner.iter("testcase")
    assert case.get("name") == "feat_user__spend"
    assert case.find("failure").get("message").startswith("has no owner")
    ttl = suites["feature_view_missing_ttl"]
    assert ttl.get("failures") == "0" and "warning:" in ttl.find("testcase/system-out").text
    assert root.get("failures") == "1"
    assert int(root.get("tests")) == sum(int(s.get("tests")) for s in suites.values())


def test_markdown_escapes_pipes_and_lists_rules() -> None:
    config = {"suppress": [{"rule": "feature_view_missing_ttl", "resource": "*",
                            "reason": "ttl | owner\ndiscussed in RISK-12"}]}
    text = render_markdown(audit(broken(), config))
    assert text.startswith("# Audit of `shop`")
    assert "| `feature_view_missing_ttl` | `feat_user__spend` | ttl \\| owner discussed in " \
        "RISK-12 |" in text
    assert "| error | `feature_view_missing_owner` | `feat_user__spend` |" in text
    assert "## Rules" in text and "| `model_without_tests` | warning | model |" in text


def test_table_ends_with_the_verdict() -> None:
    console = Console(record=True, width=200)
    console.print(render_table(audit(broken())))
    text = console.export_text()
    assert "feature_view_missing_owner" in text
    assert text.strip().splitlines()[-1].startswith("audit FAILED: 1 error(s), 1 warning(s)")


def test_lines_hold_every_finding_and_end_with_the_verdict() -> None:
    report = audit(broken())
    lines = render_lines(report).splitlines()
    rows = [line.split("\t") for line in lines[1:-1] if "\t" in line]
    assert [(r[0], r[1], r[2]) for r in rows] == [(f.severity, f.rule, f.name)
                                                  for f in report.findings]
    assert lines[-1] == render_table(report).renderables[-1].plain
