"""Graphviz DOT rendering (``dot -Tsvg lineage.dot > lineage.svg``)."""

from __future__ import annotations

from featureops.lineage.render_model import RenderGraph


def _quoted(value: str) -> str:
    """A DOT double-quoted string: backslashes and quotes escaped, newlines as \\n."""
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return '"' + escaped.replace("\r", "").replace("\n", "\\n") + '"'


def render_dot(graph: RenderGraph) -> str:
    lines = [
        f"digraph {_quoted(graph.title)} {{",
        "  rankdir=LR;",
        '  node [shape=box, style="rounded,filled", fontname="Helvetica", fontsize=11];',
        '  edge [color="#777777"];',
    ]
    for node in graph.nodes:
        attributes = {
            "label": f"{node.label}\n{node.type_label}",
            "fillcolor": node.color,
            "tooltip": str(node.details.get("description") or node.id),
        }
        if node.id == graph.root:
            attributes["penwidth"] = "3"
            attributes["color"] = "#dd0000"
        rendered = ", ".join(f"{k}={_quoted(v)}" for k, v in attributes.items())
        lines.append(f"  {_quoted(node.id)} [{rendered}];")
    for edge in graph.edges:
        label = f" [label={_quoted(edge.label)}]" if edge.label else ""
        lines.append(f"  {_quoted(edge.source)} -> {_quoted(edge.target)}{label};")
    lines.append("}")
    return "\n".join(lines) + "\n"
