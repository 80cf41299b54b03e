"""Audit report formats: a rich table for terminals, JSON, JUnit XML for CI, Markdown for
pull requests and wikis."""

from __future__ import annotations

import json
from collections import defaultdict
from xml.etree import ElementTree

from rich.console import Group
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from featureops.audit.runner import AuditReport
from featureops.plain_text import TABLE_MAX_ROWS, one_line, plain_row

FORMATS = ("table", "json", "junit", "markdown")
_STYLES = {"error": "bold red", "warning": "yellow", "info": "cyan"}


def too_long_for_table(report: AuditReport) -> bool:
    return len(report.findings) + len(report.suppressed) > TABLE_MAX_ROWS


def render_lines(report: AuditReport) -> str:
    """The table's content as one plain line per finding, then the notes and the verdict."""
    lines = [f"Audit of {report.project} ({len(report.findings)} findings; columns: "
             f"severity, rule, resource, problem, fix)"]
    lines += [plain_row((f.severity, f.rule, f.name, f.message, f.fix))
              for f in report.findings]
    if report.suppressed:
        lines.append("Suppressed (rule, resource, reason)")
        lines += [plain_row(("suppressed", f.rule, f.name, f.suppressed or ""))
                  for f in report.suppressed]
    lines += [f"note: {note}" for note in report.notes]
    lines.append(_summary(report))
    return "\n".join(lines) + "\n"


def _summary(report: AuditReport) -> str:
    counts = report.counts
    applied = sum(1 for r in report.runs if r.checked)
    verdict = "FAILED" if report.failed else "passed"
    return (f"audit {verdict}: {counts['error']} error(s), {counts['warning']} warning(s), "
            f"{counts['info']} info, {len(report.suppressed)} suppressed; {applied} of "
            f"{len(report.runs)} rules applied to {report.project} "
            f"(as of {report.today.isoformat()})")


def render_table(report: AuditReport) -> Group:
    parts: list = []
    if report.findings:
        table = Table(title=f"Audit of {report.project}", show_lines=False)
        for header in ("severity", "rule", "resource", "problem", "fix"):
            table.add_column(header, overflow="fold")
        for f in report.findings:
            table.add_row(Text(f.severity, style=_STYLES[f.severity]), f.rule,
                          escape(f.name), escape(f.message), escape(f.fix))
        parts.append(table)
    if report.suppressed:
        table = Table(title="Suppressed (with their reasons)")
        for header in ("rule", "resource", "reason"):
            table.add_column(header, overflow="fold")
        for f in report.suppressed:
            table.add_row(f.rule, escape(f.name), escape(f.suppressed or ""))
        parts.append(table)
    parts.extend(Text(f"note: {note}", style="dim") for note in report.notes)
    parts.append(Text(_summary(report), style="bold red" if report.failed else "bold green"))
    return Group(*parts)


def render_json(report: AuditReport) -> str:
    return json.dumps(report.to_dict(), indent=2, default=str) + "\n"


def render_markdown(report: AuditReport) -> str:
    lines = [f"# Audit of `{report.project}`", "", _summary(report), "",
             "Each rule is explained, with an example and the fix, in docs/rules/<rule>.md.",
             ""]
    lines += ["| severity | count |", "| --- | --- |"]
    lines += [f"| {s} | {n} |" for s, n in report.counts.items()]
    lines.append("")
    if report.findings:
        lines += ["## Findings", "", "| severity | rule | resource | problem | fix |",
                  "| --- | --- | --- | --- | --- |"]
        lines += [f"| {f.severity} | `{f.rule}` | `{_cell(f.name)}` "
                  f"| {_cell(f.message)} | {_cell(f.fix)} |" for f in report.findings]
        lines.append("")
    if report.suppressed:
        lines += ["## Suppressed", "", "| rule | resource | reason |", "| --- | --- | --- |"]
        lines += [f"| `{f.rule}` | `{_cell(f.name)}` | {_cell(f.suppressed or '')} |"
                  for f in report.suppressed]
        lines.append("")
    lines += ["## Rules", "", "| rule | severity | applies to | checked |",
              "| --- | --- | --- | --- |"]
    lines += [f"| `{r.rule.id}` | {r.severity} | {r.rule.target} | {r.checked} |"
              for r in report.runs]
    lines += [""] + [f"> note: {_cell(note)}" for note in report.notes]
    return "\n".join(lines).rstrip() + "\n"


def _cell(text: str) -> str:
    return one_line(text).replace("|", "\\|")


def render_junit(report: AuditReport) -> str:
    """One test suite per rule; one failing test case per error finding, one passing case
    (with the message in system-out) per warning or info finding, and one passing case for
    a rule without findings."""
    by_rule = defaultdict(list)
    for finding in report.findings:
        by_rule[finding.rule].append(finding)
    errors = report.counts["error"]
    root = ElementTree.Element("testsuites", name=f"featureops audit {report.project}",
                               tests="0", failures=str(errors))
    total = 0
    for run in report.runs:
        findings = by_rule.get(run.rule.id, [])
        failures = sum(1 for f in findings if f.severity == "error")
        suite = ElementTree.SubElement(root, "testsuite", name=run.rule.id,
                                       tests=str(max(len(findings), 1)),
                                       failures=str(failures), errors="0", skipped="0")
        for finding in findings:
            case = ElementTree.SubElement(suite, "testcase", classname=run.rule.id,
                                          name=finding.name, file=finding.path)
            text = f"{finding.message}\nfix: {finding.fix}"
            if finding.severity == "error":
                failure = ElementTree.SubElement(case, "failure", type="error",
                                                 message=finding.message)
                failure.text = text
            else:
                ElementTree.SubElement(case, "system-out").text = f"{finding.severity}: {text}"
        if not findings:
            ElementTree.SubElement(suite, "testcase", classname=run.rule.id,
                                   name=f"{run.checked} resource(s) checked")
        total += max(len(findings), 1)
    root.set("tests", str(total))
    ElementTree.indent(root)
    return ElementTree.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


def render(report: AuditReport, fmt: str) -> object:
    renderers = {"table": render_table, "json": render_json, "junit": render_junit,
                 "markdown": render_markdown}
    return renderers[fmt](report)
