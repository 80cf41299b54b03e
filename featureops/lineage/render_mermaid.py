"""Mermaid ``flowchart`` rendering, for Markdown files and pull requests (GitHub, GitLab and
most wikis draw it)."""

from __future__ import annotations

import re

from featureops.lineage.render_model import RenderGraph

_UNSAFE = re.compile(r'["<>#&`{}\[\]|]')


def _text(value: str) -> str:
    """Mermaid label text: characters with a meaning in its grammar become entity codes."""
    return _UNSAFE.sub(lambda m: f"#{ord(m.group())};", value)


def render_mermaid(graph: RenderGraph) -> str:
    ids = {node.id: f"n{i}" for i, node in enumerate(graph.nodes)}
    lines = ["flowchart LR"]
    styles: dict[str, str] = {}
    for node in graph.nodes:
        style = f"t_{node.kind or node.type}"
        styles[style] = node.color
        lines.append(f'    {ids[node.id]}["{_text(node.label)}<br/>'
                     f'<i>{_text(node.type_label)}</i>"]:::{style}')
    for edge in graph.edges:
        label = f"|{_text(edge.label)}|" if edge.label else ""
        lines.append(f"    {ids[edge.source]} -->{label} {ids[edge.target]}")
    for style, color in styles.items():
        lines.append(f"    classDef {style} fill:{color},stroke:#555,color:#111")
    if graph.root in ids:
        lines.append(f"    style {ids[graph.root]} stroke:#d00,stroke-width:3px")
    return "\n".join(lines) + "\n"
