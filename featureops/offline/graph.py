"""The slice of dbt's jinja ``graph`` that featureops macros read, built from a manifest.

dbt hands macros ``graph.nodes`` and ``graph.exposures`` (its flat graph) at execution time;
rendering the same macros from Python needs the same shape. Only the keys the macros use
are filled in, from the typed manifest objects (never from private raw JSON).
"""

from __future__ import annotations

from typing import Any

from featureops.manifest import Exposure, Manifest, Node


def graph_from_manifest(manifest: Manifest) -> dict[str, dict[str, dict[str, Any]]]:
    return {
        "nodes": {uid: node_dict(node) for uid, node in manifest.models.items()},
        "exposures": {uid: _exposure_dict(e) for uid, e in manifest.exposures.items()},
    }


def node_dict(node: Node) -> dict[str, Any]:
    """A model as dbt's flat graph shows it (merged meta under config.meta and meta)."""
    return {
        "unique_id": node.unique_id,
        "resource_type": node.resource_type,
        "package_name": node.package_name,
        "name": node.name,
        "alias": node.alias,
        "schema": node.schema,
        "database": node.database,
        "version": node.version,
        "latest_version": node.latest_version,
        "relation_name": node.relation_name,
        "config": {"meta": node.meta},
        "meta": node.meta,
        "columns": {
            name: {"name": column.name, "data_type": column.data_type, "meta": column.meta}
            for name, column in node.columns.items()
        },
        "depends_on": {"nodes": list(node.depends_on)},
    }


def _exposure_dict(exposure: Exposure) -> dict[str, Any]:
    return {
        "unique_id": exposure.unique_id,
        "resource_type": "exposure",
        "name": exposure.name,
        "type": exposure.type,
        "config": {"meta": exposure.meta},
        "meta": exposure.meta,
        "depends_on": {"nodes": list(exposure.depends_on)},
    }
