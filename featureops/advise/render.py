"""Advice as JSON (stable, sorted keys), Markdown, or rich tables."""

from __future__ import annotations

import json
from typing import Any

from featureops.advise.recommendation import Recommendation
from featureops.advise.report import Advice

TOPICS = {"architecture": "Processing architecture", "online_store": "Online store",
          "warehouse_engine": "Warehouse engine"}


def to_json(advice: Advice) -> str:
    """The documented JSON document (docs/advise.md): same inputs, same bytes."""
    return json.dumps(advice.to_dict(), indent=2, sort_keys=True, allow_nan=False)


def to_markdown(advice: Advice) -> str:
    lines = ["# featureops advise", "", "## Inputs", "", "| input | available | detail |",
             "| --- | --- | --- |"]
    for name, state in sorted(advice.inputs.items()):
        lines.append(f"| {name} | {'yes' if state['available'] else 'no'} | "
                     f"{_cell(state['detail'])} |")
    for topic, title in TOPICS.items():
        chosen = [r for r in advice.recommendations if r.topic == topic]
        lines += ["", f"## {title}", "", "| subject | recommendation | rule | why | "
                  "what would change it | unknown |", "| --- | --- | --- | --- | --- | --- |"]
        lines += [f"| {r.subject} | **{r.choice}** | `{r.rule}` | {_cell(r.reason)} | "
                  f"{_cell(r.would_change)} | {_cell(_unknown(r))} |" for r in chosen]
    return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _unknown(recommendation: Recommendation) -> str:
    return "; ".join(f"{name}: {why}" for name, why in sorted(recommendation.unknown.items()))


def print_tables(advice: Advice, out: Any) -> None:
    """Rich tables on ``out`` (a rich Console)."""
    from rich.table import Table

    inputs = Table(title="Inputs")
    for header in ("input", "available", "detail"):
        inputs.add_column(header, overflow="fold")
    for name, state in sorted(advice.inputs.items()):
        inputs.add_row(name, "[green]yes[/]" if state["available"] else "[yellow]no[/]",
                       state["detail"])
    out.print(inputs)
    for topic, title in TOPICS.items():
        table = Table(title=title, show_lines=True)
        for header in ("subject", "recommendation", "why (rule)", "what would change it",
                       "unknown"):
            table.add_column(header, overflow="fold")
        for r in advice.recommendations:
            if r.topic == topic:
                table.add_row(r.subject, f"[bold]{r.choice}[/]", f"{r.reason} [dim]({r.rule})[/]",
                              r.would_change, _unknown(r))
        out.print(table)
