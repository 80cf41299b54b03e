"""A self-contained interactive HTML page: one file, no network, the JavaScript and CSS
shipped in this package (``assets/``) and inlined; the graph laid out here
(:mod:`featureops.lineage.layout`) and embedded as JSON."""

from __future__ import annotations

import html
import json
import re
from importlib import resources

from featureops.lineage.layout import NODE_HEIGHT, NODE_WIDTH, layered_positions
from featureops.lineage.render_model import RenderGraph

_PLACEHOLDER = re.compile(r"__(TITLE|CSS|JS|DATA)__")


def _asset(name: str) -> str:
    return resources.files("featureops.lineage").joinpath("assets", name).read_text("utf-8")


def _script_json(data: object) -> str:
    """JSON safe inside <script>: no `</script>`, no HTML comment openers."""
    text = json.dumps(data, default=str, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def render_html(graph: RenderGraph) -> str:
    positions = layered_positions([n.id for n in graph.nodes],
                                  [(e.source, e.target) for e in graph.edges])
    payload = graph.to_dict()
    by_id = {node.id: node for node in graph.nodes}
    for item in payload["nodes"]:
        node = by_id[item["id"]]
        item["x"], item["y"] = positions[node.id]
        item["color"] = node.color
        item["type_label"] = node.type_label
    payload["node_width"], payload["node_height"] = NODE_WIDTH, NODE_HEIGHT
    payload["width"] = max((x for x, _ in positions.values()), default=0) + NODE_WIDTH
    payload["height"] = max((y for _, y in positions.values()), default=0) + NODE_HEIGHT
    values = {"TITLE": html.escape(graph.title), "CSS": _asset("lineage.css"),
              "JS": _asset("lineage.js"), "DATA": _script_json(payload)}
    # One pass: inserted text (user-written names included) is never scanned again.
    return _PLACEHOLDER.sub(lambda match: values[match.group(1)], _asset("lineage.html"))
