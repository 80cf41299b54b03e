"""Which label columns each feature of a training set reads, by column lineage.

A feature that reads a table holding labels is not a leak by that alone: a window that only
counts a rider's requests reads a table whose label column it never touches. So the check
``labels_known_before_prediction`` is judged per column:

- the *label columns* of each of the training set's ``label_sources`` are the columns of
  it that the training set's ``labels`` are computed from (traced upstream), together with
  every column those are computed from in turn;
- a feature column reads label data when its own upstream lineage reaches one of them.

Nothing is passed on a guess: a label source the labels cannot be traced into counts as
label data whole (every column of it), and a feature whose lineage stops at SQL that
cannot be traced, downstream of label data, is reported as not traceable. Column lineage
follows what a column is computed from (window partitions and orders included), not the
join and filter conditions that choose rows: a count of the rows of a label table reads
no label column.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from featureops.catalog import TrainingSet
from featureops.lineage.columns import ColumnLineageResolver, ColumnRef, load_catalog_columns
from featureops.lineage.graph import LineageGraph
from featureops.manifest import Manifest

#: view name -> feature column -> what it reads: ``model.column`` of label data, or
#: ``model.column (not traceable: reason)``.
LabelReads = dict[str, dict[str, list[str]]]


def project_resolver(manifest: Manifest, project_dir: Path | None) -> ColumnLineageResolver:
    """Column lineage over a project's manifest, with catalog.json beside it when present."""
    catalog, _ = load_catalog_columns(Path(manifest.path).parent / "catalog.json")
    return ColumnLineageResolver(LineageGraph.from_manifest(manifest), catalog=catalog,
                                 project_dir=project_dir)


def label_reads(resolver: ColumnLineageResolver, training_set: TrainingSet,
                views: Sequence[Mapping[str, Any]]) -> LabelReads:
    """For each view of the training set (the descriptors ``_training_set_views`` renders:
    name, unique_id, features[].column), the features it uses that read label data."""
    if not training_set.spec.label_sources:
        return {}
    label_data = _LabelData(resolver, training_set)
    reads: LabelReads = {}
    for view in views:
        for feature in view["features"]:
            found = label_data.read_by(ColumnRef(view["unique_id"], feature["column"].lower()))
            if found:
                reads.setdefault(view["name"], {})[feature["column"]] = found
    return reads


class _LabelData:
    """The label columns of one training set, and what a feature column reads of them."""

    def __init__(self, resolver: ColumnLineageResolver, training_set: TrainingSet) -> None:
        self.resolver = resolver
        self.lineage = resolver.lineage
        sources = self._source_ids(training_set.spec.label_sources)
        traced: set[ColumnRef] = set()
        for label in training_set.spec.labels:
            upstream = resolver.upstream(ColumnRef(training_set.model.unique_id, label.lower()))
            traced.update(ref for ref in upstream.columns if ref.node in sources)
        #: Label sources none of whose columns the labels were traced to: all of it counts.
        self.whole = {uid for uid in sources if not any(ref.node == uid for ref in traced)}
        self.columns: set[ColumnRef] = set()
        for ref in traced:
            self.columns.update(resolver.upstream(ref).columns)
        self.nodes = {ref.node for ref in self.columns} | self.whole

    def _source_ids(self, names: Iterable[str]) -> set[str]:
        wanted = set(names)
        return {uid for uid in self.lineage.nodes if self.lineage.type_of(uid) == "model"
                and self.lineage.name_of(uid) in wanted}

    def read_by(self, feature: ColumnRef) -> list[str]:
        """The label columns where the feature's lineage enters label data (not the ones
        further up they are computed from), and what could not be traced below it."""
        upstream = self.resolver.upstream(feature)
        found = {self._name(edge.source) for edge in upstream.edges
                 if self._is_label(edge.source) and not self._is_label(edge.target)}
        if self._is_label(feature):
            found.add(self._name(feature))
        for ref, reason in upstream.unresolved.items():
            # what ref is computed from is unknown: it matters when label data is upstream
            if not self.nodes.isdisjoint(self.lineage.upstream(ref.node, include_tests=False)):
                found.add(f"{self._name(ref)} (not traceable: {reason})")
        return sorted(found)

    def _is_label(self, ref: ColumnRef) -> bool:
        return ref in self.columns or ref.node in self.whole

    def _name(self, ref: ColumnRef) -> str:
        return f"{self.lineage.name_of(ref.node)}.{ref.column}"
