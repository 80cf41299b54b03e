"""Terminal renderings (rich) of node lineage, column lineage, impact and training lineage."""

from __future__ import annotations

from typing import Any

from rich.console import Group
from rich.markup import escape
from rich.table import Table
from rich.text import Text
from rich.tree import Tree

from featureops.lineage.impact import ImpactReport
from featureops.lineage.render_model import RenderGraph
from featureops.lineage.training import TrainingLineage


def _headline(name: str, type_label: str, owner: str = "") -> Text:
    text = Text.assemble((name, "bold"), f"  ({type_label}")
    if owner:
        text.append(f", owner {owner}")
    text.append(")")
    return text


def node_lineage_text(graph: RenderGraph) -> Group:
    """Upstream and downstream nodes by distance (negative = upstream)."""
    root = next((n for n in graph.nodes if n.id == graph.root), None)
    parts: list[Any] = []
    if root is not None:
        parts.append(_headline(root.label, root.type_label, root.details.get("owner", "")))
        if root.details.get("description"):
            parts.append(Text(root.details["description"], style="dim"))
    table = Table(title=f"{len(graph.nodes)} nodes, {len(graph.edges)} edges", expand=False)
    for header in ("distance", "type", "name", "owner", "unique_id"):
        table.add_column(header, overflow="fold")
    for node in sorted(graph.nodes, key=lambda n: (n.distance, n.type, n.label)):
        if node.id == graph.root:
            continue
        table.add_row(_distance(node.distance), node.type_label, escape(node.label),
                      escape(node.details.get("owner", "")), escape(node.id))
    parts.append(table)
    return Group(*parts)


def _distance(distance: int) -> str:
    if distance < 0:
        return f"up {-distance}"
    return f"down {distance}" if distance > 0 else "-"


def column_lineage_text(graph: RenderGraph) -> Group:
    table = Table(title=f"{graph.title} ({graph.extra.get('direction')})")
    for header in ("from", "to", "how", "expression"):
        table.add_column(header, overflow="fold")
    labels = {n.id: n.label for n in graph.nodes}
    for edge in graph.edges:
        table.add_row(escape(labels[edge.source]), escape(labels[edge.target]),
                      edge.details.get("transformation", ""),
                      escape(edge.details.get("expression", "")))
    parts: list[Any] = [table]
    unresolved = graph.extra.get("unresolved") or []
    if unresolved:
        listing = Table(title="Not resolved (never guessed)", title_style="bold yellow")
        listing.add_column("column", overflow="fold")
        listing.add_column("why", overflow="fold")
        for item in unresolved:
            listing.add_row(escape(f"{item['node']}.{item['column']}"), escape(item["reason"]))
        parts.append(listing)
    elif not graph.edges:
        parts.append(Text("no upstream columns: this is a source, seed or constant column"
                          if graph.extra.get("direction") == "upstream" else
                          "no column of any downstream model is computed from it"))
    return Group(*parts)


def impact_text(report: ImpactReport) -> Group:
    root = report.root
    parts: list[Any] = [_headline(root.name, root.kind or root.type, root.owner),
                        Text(f"{report.total} downstream node(s), {len(report.exposures)} "
                             f"exposure(s)")]
    if report.exposures:
        table = Table(title="Exposures (tell these first)")
        for header in ("exposure", "type", "stage", "maturity", "owner", "email", "via"):
            table.add_column(header, overflow="fold")
        for item in report.exposures:
            info = item.info
            table.add_row(escape(info.name), info.exposure_type, info.stage or "-",
                          info.maturity or "-", escape(info.owner or "-"),
                          escape(info.owner_email or "-"), escape(" -> ".join(item.path)))
        parts.append(table)
    if report.owners:
        owners = Table(title="Owners to notify")
        for header in ("owner", "email", "exposures", "owned nodes downstream"):
            owners.add_column(header, overflow="fold")
        for notice in report.owners:
            owners.add_row(escape(notice.owner), escape(notice.email or "-"),
                           escape(", ".join(notice.exposures) or "-"),
                           escape(_shorten(notice.nodes)))
        parts.append(owners)
    for node_type, infos in report.by_type.items():
        parts.append(Text.assemble((f"{node_type} ({len(infos)}): ", "bold"),
                                   _shorten(tuple(i.name for i in infos), 40)))
    return Group(*parts)


def _shorten(names: tuple[str, ...], limit: int = 8) -> str:
    shown = ", ".join(names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "") or "-"


def training_text(report: TrainingLineage) -> Tree:
    exposure = report.exposure
    tree = Tree(_headline(exposure.name, f"{exposure.exposure_type or 'exposure'} exposure",
                          exposure.owner))
    if report.training_sets:
        branch = tree.add("[bold]training sets[/bold]")
        for ts in report.training_sets:
            node = branch.add(escape(ts.info.name))
            _leaves(node, "feature views", ts.feature_views)
            _leaves(node, "other inputs", ts.other_inputs)
            _leaves(node, "raw sources", ts.raw_sources)
    else:
        tree.add("[dim]no training set (model with meta.featureops.kind: training_set) "
                 "upstream[/dim]")
    branch = tree.add("[bold]feature views[/bold]")
    for view in report.feature_views:
        how = []
        if view.read_directly:
            how.append("served online")
        if view.training_sets:
            how.append("training via " + ", ".join(view.training_sets))
        node = branch.add(f"{escape(view.info.name)} [dim]({'; '.join(how) or 'upstream'}; "
                          f"owner {escape(view.info.owner or '-')})[/dim]")
        _leaves(node, "features read", view.features_read)
        _leaves(node, "raw sources", view.raw_sources)
    raw = tree.add("[bold]raw sources and seeds[/bold]")
    for info in report.raw_sources:
        raw.add(f"{escape(info.name)} [dim]({info.type})[/dim]")
    return tree


def _leaves(node: Tree, label: str, names: tuple[str, ...]) -> None:
    if names:
        node.add(f"{label}: {escape(', '.join(names))}")
