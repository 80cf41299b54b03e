"""What `featureops lineage` prints: the request (a node, a column, an ML model or the
whole project) turned into a renderable result, and the result into one output format."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from featureops.lineage.columns import (
    ColumnLineageResolver,
    ColumnRef,
    load_catalog_columns,
    split_column_reference,
)
from featureops.lineage.errors import LineageError, UnknownNodeError, UnknownVersionError
from featureops.lineage.graph import Direction, LineageGraph
from featureops.lineage.openlineage import Naming, run_events, to_json_lines
from featureops.lineage.render_dot import render_dot
from featureops.lineage.render_html import render_html
from featureops.lineage.render_json import render_json
from featureops.lineage.render_mermaid import render_mermaid
from featureops.lineage.render_model import RenderGraph, column_graph, node_graph
from featureops.lineage.render_text import column_lineage_text, node_lineage_text, training_text
from featureops.lineage.training import TrainingLineage, training_lineage

FORMATS = ("text", "json", "mermaid", "dot", "html", "openlineage")
_GRAPH_RENDERERS = {"json": render_json, "mermaid": render_mermaid, "dot": render_dot,
                    "html": render_html}


@dataclass(frozen=True)
class LineageRequest:
    target: str | None = None  # node, model.column, or None for the whole project
    exposure: str | None = None
    direction: Direction = "both"
    depth: int | None = None
    include_tests: bool = False
    catalog_path: Path | None = None
    project_dir: Path | None = None
    dialect: str | None = None
    naming: Naming | None = None


@dataclass
class LineageResult:
    graph: RenderGraph
    nodes: tuple[str, ...]  # node ids the result covers (for OpenLineage)
    is_column: bool = False
    training: TrainingLineage | None = None


class LineageReporter:
    """Builds results for requests on one graph (column analysis is shared and lazy)."""

    def __init__(self, lineage: LineageGraph, request: LineageRequest) -> None:
        self.lineage = lineage
        self.request = request
        self._resolver: ColumnLineageResolver | None = None
        self.warnings = list(lineage.warnings)

    @property
    def resolver(self) -> ColumnLineageResolver:
        if self._resolver is None:
            catalog_path = self.request.catalog_path or (
                Path(self.lineage.manifest.path).parent / "catalog.json")
            catalog, warning = load_catalog_columns(catalog_path)
            if warning:
                self.warnings.append(warning)
            self._resolver = ColumnLineageResolver(
                self.lineage, catalog=catalog, project_dir=self.request.project_dir,
                dialect=self.request.dialect)
        return self._resolver

    def build(self) -> LineageResult:
        request, lineage = self.request, self.lineage
        if request.exposure:
            exposure = lineage.resolve(request.exposure)
            training = training_lineage(lineage, exposure)
            selection = lineage.select(exposure, direction="upstream", depth=request.depth,
                                       include_tests=request.include_tests)
            title = f"Training lineage of {lineage.name_of(exposure)}"
            return LineageResult(node_graph(lineage, selection, title), selection.nodes,
                                 training=training)
        if request.target is None:
            selection = lineage.select(None, include_tests=request.include_tests)
            title = f"Lineage of {lineage.manifest.project_name or 'the project'}"
            return LineageResult(node_graph(lineage, selection, title), selection.nodes)
        try:
            node = lineage.resolve(request.target)
        except UnknownVersionError:
            raise  # `name.v9`: a missing version, never a column named v9
        except UnknownNodeError:
            column = split_column_reference(lineage, request.target)
            if column is None:
                raise
            return self._column_result(column)
        selection = lineage.select(node, direction=request.direction, depth=request.depth,
                                   include_tests=request.include_tests)
        title = f"Lineage of {lineage.name_of(node)}"
        return LineageResult(node_graph(lineage, selection, title), selection.nodes)

    def _column_result(self, ref: ColumnRef) -> LineageResult:
        resolver, request = self.resolver, self.request
        ref = resolver.check_column(ref)
        results = []
        if request.direction in ("both", "upstream"):
            results.append(resolver.upstream(ref, request.depth))
        if request.direction in ("both", "downstream"):
            results.append(resolver.downstream(ref, request.depth))
        merged = results[0]
        for extra in results[1:]:
            for column, distance in extra.columns.items():
                merged.columns.setdefault(column, distance)
            merged.edges.extend(extra.edges)
            merged.unresolved.update(extra.unresolved)
        merged.direction = request.direction
        title = f"Column lineage of {self.lineage.name_of(ref.node)}.{ref.column}"
        graph = column_graph(self.lineage, merged, title)
        nodes = tuple(dict.fromkeys(c.node for c in merged.columns))
        return LineageResult(graph, nodes, is_column=True)

    def render(self, result: LineageResult, fmt: str) -> Any:
        """A string for file formats, a rich renderable for ``text`` (plain lines when long)."""
        if fmt not in FORMATS:
            raise LineageError(f"unknown format `{fmt}`; use one of {', '.join(FORMATS)}")
        if fmt == "openlineage":
            events = run_events(self.lineage, self.lineage.ordered(result.nodes),
                                self.resolver, self.request.naming)
            return to_json_lines(events)
        if result.training is not None and fmt in ("text", "json"):
            if fmt == "json":
                return json.dumps(result.training.to_dict(), indent=2, default=str)
            return training_text(result.training)
        if fmt == "text":
            return (column_lineage_text if result.is_column else node_lineage_text)(
                result.graph)
        graph = result.graph
        if self.warnings != list(graph.warnings):
            graph = RenderGraph(graph.title, graph.nodes, graph.edges, graph.root,
                                tuple(self.warnings), graph.extra)
        return _GRAPH_RENDERERS[fmt](graph)
