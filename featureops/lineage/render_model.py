"""What every renderer draws: a small graph of labelled, typed nodes and edges.

Node lineage (a :class:`~featureops.lineage.graph.Selection`) and column lineage (a
:class:`~featureops.lineage.columns.ColumnLineage`) are both turned into a
:class:`RenderGraph`, so JSON, Mermaid, DOT and HTML each exist once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from featureops.lineage.columns import ColumnLineage, ColumnRef
from featureops.lineage.graph import LineageGraph, NodeInfo, Selection

#: Fill colour per node type, shared by the DOT, Mermaid and HTML renderings.
TYPE_COLORS: dict[str, str] = {
    "source": "#8fd694", "seed": "#b5e48c", "model": "#90c2ff", "snapshot": "#a0e7e5",
    "analysis": "#dcdcdc", "test": "#f2f2f2", "unit_test": "#f2f2f2",
    "exposure": "#ffb482", "semantic_model": "#d0b3ff", "metric": "#f7a6d5",
    "saved_query": "#f7d6a6", "missing": "#ff7b7b",
}
#: Feature views and training sets are models, drawn apart.
KIND_COLORS = {"feature_view": "#ffe066", "training_set": "#f4a261"}


@dataclass(frozen=True)
class RenderNode:
    id: str
    label: str
    type: str
    kind: str = ""
    distance: int = 0
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def color(self) -> str:
        return KIND_COLORS.get(self.kind) or TYPE_COLORS.get(self.type, "#eeeeee")

    @property
    def type_label(self) -> str:
        return self.kind.replace("_", " ") if self.kind else self.type.replace("_", " ")


@dataclass(frozen=True)
class RenderEdge:
    source: str
    target: str
    label: str = ""
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RenderGraph:
    title: str
    nodes: tuple[RenderNode, ...]
    edges: tuple[RenderEdge, ...]
    root: str | None = None
    warnings: tuple[str, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "root": self.root,
            **self.extra,
            "nodes": [{"id": n.id, "label": n.label, "type": n.type,
                       **({"kind": n.kind} if n.kind else {}), "distance": n.distance,
                       **n.details} for n in self.nodes],
            "edges": [{"source": e.source, "target": e.target, **e.details}
                      for e in self.edges],
            "warnings": list(self.warnings),
        }


def node_graph(lineage: LineageGraph, selection: Selection, title: str) -> RenderGraph:
    """A node-lineage selection, each node described by :meth:`LineageGraph.info`."""
    nodes = []
    for uid in selection.nodes:
        info = lineage.info(uid)
        nodes.append(RenderNode(uid, info.name, info.type, info.kind,
                                selection.distances.get(uid, 0), _details(info)))
    edges = tuple(RenderEdge(a, b) for a, b in selection.edges)
    extra = {"manifest": lineage.manifest.path, "project": lineage.manifest.project_name,
             "direction": selection.direction, "depth": selection.depth}
    return RenderGraph(title, tuple(nodes), edges, selection.root, tuple(lineage.warnings),
                       extra)


def _details(info: NodeInfo) -> dict[str, Any]:
    data = info.to_dict()
    for key in ("name", "type", "kind", "columns"):
        data.pop(key, None)
    if info.columns:
        data["column_count"] = len(info.columns)
    return data


def column_graph(lineage: LineageGraph, result: ColumnLineage, title: str) -> RenderGraph:
    """A column-lineage result: one node per column, one edge per derivation."""
    def node_id(ref: ColumnRef) -> str:
        return f"{ref.node}.{ref.column}"

    nodes = []
    for ref, distance in sorted(result.columns.items(), key=lambda item: (item[1], item[0])):
        info = lineage.info(ref.node)
        details: dict[str, Any] = {"node": ref.node, "column": ref.column,
                                   "node_name": info.name}
        if info.owner:
            details["owner"] = info.owner
        if ref in result.unresolved:
            details["unresolved"] = result.unresolved[ref]
        nodes.append(RenderNode(node_id(ref), f"{info.name}.{ref.column}", info.type,
                                info.kind, distance, details))
    edges = tuple(
        RenderEdge(node_id(e.source), node_id(e.target), e.transformation,
                   {"transformation": e.transformation, "expression": e.expression,
                    **({"through_star": True} if e.through_star else {})})
        for e in result.edges)
    extra = {"manifest": lineage.manifest.path, "project": lineage.manifest.project_name,
             "direction": result.direction, "column": node_id(result.root),
             "unresolved": [{"node": ref.node, "column": ref.column, "reason": reason}
                            for ref, reason in sorted(result.unresolved.items())]}
    return RenderGraph(title, tuple(nodes), edges, node_id(result.root),
                       tuple(lineage.warnings), extra)
