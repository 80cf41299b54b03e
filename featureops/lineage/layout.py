"""A layered left-to-right layout for the HTML page (Sugiyama-style, kept simple).

Layer = longest path from a root of the drawn graph, so every edge points right; order
within a layer = a few barycenter sweeps, which untangles most crossings of dbt DAGs.
Computed in Python so the page's JavaScript only draws, and so the layout is tested here.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import networkx as nx

NODE_WIDTH = 210
NODE_HEIGHT = 34
COLUMN_GAP = 90
ROW_GAP = 14
_SWEEPS = 4


def layered_positions(nodes: Sequence[str], edges: Iterable[tuple[str, str]]
                      ) -> dict[str, tuple[float, float]]:
    """Top-left corner of each node's box."""
    graph = nx.DiGraph()
    graph.add_nodes_from(nodes)
    graph.add_edges_from(edges)
    layers = _layers(graph)
    columns: dict[int, list[str]] = {}
    for node in nodes:  # input order is the initial order within a layer
        columns.setdefault(layers[node], []).append(node)
    ordered = _reduce_crossings(graph, [columns[i] for i in sorted(columns)])
    tallest = max((len(column) for column in ordered), default=0)
    positions = {}
    for index, column in enumerate(ordered):
        offset = (tallest - len(column)) * (NODE_HEIGHT + ROW_GAP) / 2
        for row, node in enumerate(column):
            positions[node] = (index * (NODE_WIDTH + COLUMN_GAP),
                               offset + row * (NODE_HEIGHT + ROW_GAP))
    return positions


def _layers(graph: nx.DiGraph) -> dict[str, int]:
    """Longest-path layering; a cycle's members share the layer of their component."""
    dag = graph if nx.is_directed_acyclic_graph(graph) else None
    if dag is None:
        condensed = nx.condensation(graph)
        component_layer = _longest_path_layers(condensed)
        return {node: component_layer[c] for node, c in condensed.graph["mapping"].items()}
    return _longest_path_layers(dag)


def _longest_path_layers(dag: nx.DiGraph) -> dict:
    layer: dict = {}
    for node in nx.topological_sort(dag):
        layer[node] = max((layer[parent] + 1 for parent in dag._pred[node]), default=0)
    return layer


def _reduce_crossings(graph: nx.DiGraph, columns: list[list[str]]) -> list[list[str]]:
    for sweep in range(_SWEEPS):
        forward = sweep % 2 == 0
        indices = range(1, len(columns)) if forward else range(len(columns) - 2, -1, -1)
        for i in indices:
            reference = columns[i - 1] if forward else columns[i + 1]
            rank = {node: r for r, node in enumerate(reference)}
            neighbours = graph._pred if forward else graph._succ
            current = {node: r for r, node in enumerate(columns[i])}
            columns[i] = sorted(columns[i], key=lambda n, c=current: _barycenter(
                n, neighbours, rank, c[n]))
    return columns


def _barycenter(node: str, neighbours: dict, rank: dict[str, int], current: int) -> float:
    ranks = [rank[n] for n in neighbours[node] if n in rank]
    return sum(ranks) / len(ranks) if ranks else float(current)
