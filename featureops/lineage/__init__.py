"""Lineage of a dbt project: the node graph, impact analysis, training lineage of ML
models, column lineage from compiled SQL, and renderings (text, JSON, Mermaid, DOT, HTML,
OpenLineage). See docs/lineage.md.

Names are imported on first use, so importing featureops does not load sqlglot.
"""

from __future__ import annotations

from featureops._lazy import lazy_exports

_EXPORTS = {
    "ColumnLineage": "featureops.lineage.columns",
    "ColumnLineageResolver": "featureops.lineage.columns",
    "ColumnRef": "featureops.lineage.columns",
    "ImpactReport": "featureops.lineage.impact",
    "LineageGraph": "featureops.lineage.graph",
    "NodeInfo": "featureops.lineage.graph",
    "Selection": "featureops.lineage.graph",
    "TrainingLineage": "featureops.lineage.training",
    "training_lineage": "featureops.lineage.training",
}
__all__ = sorted(_EXPORTS)

__getattr__ = lazy_exports(__name__, _EXPORTS)
