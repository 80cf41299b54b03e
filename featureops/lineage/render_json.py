"""JSON rendering of a lineage graph (nodes with their details, edges, warnings)."""

from __future__ import annotations

import json

from featureops.lineage.render_model import RenderGraph


def render_json(graph: RenderGraph) -> str:
    return json.dumps(graph.to_dict(), indent=2, default=str)
