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
from featureops.plain_text import TABLE_MAX_ROWS, plain_row


def _headline(name: str, type_label: str, owner: str = "") -> Text:
    text = Text.assemble((name, "bold"), f"  ({type_label}")
    if owner:
        text.append(f", owner {owner}")
    text.append(")")
    return text




def plain_lines(title: str, headers: tuple[str, ...], rows: list[tuple[str, ...]]) -> list[str]:
    """A table as a title line naming the columns, then one tab-separated line per row."""
    return [f"{title} (columns: {', '.join(headers)})",
            *(plain_row(row) for row in rows)]


def node_lineage_text(graph: RenderGraph) -> Group | str:
    """Upstream and downstream nodes by distance (negative = upstream); plain lines past
    :data:`TABLE_MAX_ROWS` nodes."""
    root = next((n for n in graph.nodes if n.id == graph.root), None)
    parts: list[Any] = []
    if root is not None:
        parts.append(_headline(root.label, root.type_label, root.details.get("owner", "")))
        if root.details.get("description"):
            parts.append(Text(root.details["description"], style="dim"))
    title = f"{len(graph.nodes)} nodes, {len(graph.edges)} edges"
    headers = ("distance", "type", "name", "owner", "unique_id")
    rows = [(_distance(node.distance), node.type_label, node.label,
             node.details.get("owner", ""), node.id)
            for node in sorted(graph.nodes, key=lambda n: (n.distance, n.type, n.label))
            if node.id != graph.root]
    if len(rows) > TABLE_MAX_ROWS:
        return _as_plain(parts, plain_lines(title, headers, rows))
    table = Table(title=title, expand=False)
    for header in headers:
        table.add_column(header, overflow="fold")
    for row in rows:
        table.add_row(row[0], row[1], *(escape(cell) for cell in row[2:]))
    parts.append(table)
    return Group(*parts)


def _as_plain(parts: list[Any], lines: list[str]) -> str:
    """Rich Text parts as their plain text, then the lines: one string to print as is."""
    return "\n".join([*(part.plain for part in parts), *lines]) + "\n"


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


def impact_text(report: ImpactReport) -> Group | str:
    """Exposures first, then owners, then the other downstream nodes by type; plain lines
    when the exposures and owners are more than :data:`TABLE_MAX_ROWS` rows."""
    root = report.root
    parts: list[Any] = [_headline(root.name, root.kind or root.type, root.owner),
                        Text(f"{report.total} downstream node(s), {len(report.exposures)} "
                             f"exposure(s)")]
    exposures = ("Exposures (tell these first)",
                 ("exposure", "type", "stage", "maturity", "owner", "email", "via"),
                 [(item.info.name, item.info.exposure_type, item.info.stage or "-",
                   item.info.maturity or "-", item.info.owner or "-",
                   item.info.owner_email or "-", " -> ".join(item.path))
                  for item in report.exposures])
    owners = ("Owners to notify", ("owner", "email", "exposures", "owned nodes downstream"),
              [(notice.owner, notice.email or "-", ", ".join(notice.exposures) or "-",
                _shorten(notice.nodes)) for notice in report.owners])
    listings = [listing for listing in (exposures, owners) if listing[2]]
    by_type = [Text.assemble((f"{node_type} ({len(infos)}): ", "bold"),
                             _shorten(tuple(i.name for i in infos), 40))
               for node_type, infos in report.by_type.items()]
    if sum(len(rows) for _, _, rows in listings) > TABLE_MAX_ROWS:
        lines = [line for listing in listings for line in plain_lines(*listing)]
        return _as_plain(parts, lines + [text.plain for text in by_type])
    for title, headers, rows in listings:
        table = Table(title=title)
        for header in headers:
            table.add_column(header, overflow="fold")
        for row in rows:
            table.add_row(*(escape(cell) for cell in row))
        parts.append(table)
    return Group(*parts, *by_type)


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
