"""Training lineage of an ML model (an exposure): the training sets it is trained on, the
feature views behind them and behind its online features, and the raw sources and seeds
all of it comes from.

Training sets and feature views are recognised by ``meta.featureops.kind``
(``training_set`` / ``feature_view``), never by name or folder.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from featureops.lineage.errors import NotAnExposureError
from featureops.lineage.graph import LineageGraph, NodeInfo, featureops_block

_RAW_TYPES = frozenset({"source", "seed"})


@dataclass(frozen=True)
class TrainingSetLineage:
    info: NodeInfo
    feature_views: tuple[str, ...]
    other_inputs: tuple[str, ...]  # direct parents that are not feature views (label spines)
    raw_sources: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {**self.info.to_dict(), "feature_views": list(self.feature_views),
                "other_inputs": list(self.other_inputs), "raw_sources": list(self.raw_sources)}


@dataclass(frozen=True)
class FeatureViewLineage:
    info: NodeInfo
    read_directly: bool  # the exposure lists it in depends_on (online serving)
    training_sets: tuple[str, ...]
    features_read: tuple[str, ...]  # from the exposure's meta.featureops.features ("*" = all)
    raw_sources: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {**self.info.to_dict(), "read_directly": self.read_directly,
                "training_sets": list(self.training_sets),
                "features_read": list(self.features_read),
                "raw_sources": list(self.raw_sources)}


@dataclass(frozen=True)
class TrainingLineage:
    exposure: NodeInfo
    training_sets: tuple[TrainingSetLineage, ...]
    feature_views: tuple[FeatureViewLineage, ...]
    raw_sources: tuple[NodeInfo, ...]
    other_models: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "exposure": self.exposure.to_dict(),
            "training_sets": [t.to_dict() for t in self.training_sets],
            "feature_views": [v.to_dict() for v in self.feature_views],
            "raw_sources": [s.to_dict() for s in self.raw_sources],
            "other_models": list(self.other_models),
        }


def training_lineage(lineage: LineageGraph, exposure_id: str) -> TrainingLineage:
    if lineage.type_of(exposure_id) != "exposure":
        exposures = sorted(lineage.name_of(u) for u in lineage.nodes
                           if lineage.type_of(u) == "exposure")
        raise NotAnExposureError(
            f"{lineage.manifest.path}: `{lineage.name_of(exposure_id)}` is a "
            f"{lineage.type_of(exposure_id)}, not an exposure; --exposure takes an ML model "
            f"declared as an exposure ({', '.join(exposures) or 'this manifest has none'})"
        )
    ancestors = lineage.upstream(exposure_id, include_tests=False)
    kinds = {uid: _kind(lineage, uid) for uid in ancestors}
    views = [u for u in lineage.ordered(ancestors) if kinds[u] == "feature_view"]
    sets = lineage.ordered({u for u in ancestors if kinds[u] == "training_set"}
                           | set(_declared_training_sets(lineage, exposure_id)))
    upstream_of = {uid: lineage.upstream(uid, include_tests=False) for uid in (*views, *sets)}

    def raw_of(uid: str) -> tuple[str, ...]:
        return tuple(lineage.name_of(u) for u in lineage.ordered(upstream_of[uid])
                     if lineage.type_of(u) in _RAW_TYPES)

    training_sets = tuple(
        TrainingSetLineage(
            lineage.info(ts),
            tuple(lineage.name_of(v) for v in views if v in upstream_of[ts]),
            tuple(lineage.name_of(p) for p in lineage.ordered(lineage.parents(ts))
                  if kinds.get(p) != "feature_view"),
            raw_of(ts))
        for ts in sets)
    reads = _features_read(lineage, exposure_id)
    direct = set(lineage.parents(exposure_id))
    feature_views = tuple(
        FeatureViewLineage(
            lineage.info(v), v in direct,
            tuple(lineage.name_of(ts) for ts in sets if v in upstream_of[ts]),
            tuple(reads.get(lineage.name_of(v), ())), raw_of(v))
        for v in views)
    raw = tuple(lineage.info(u) for u in lineage.ordered(ancestors)
                if lineage.type_of(u) in _RAW_TYPES)
    others = tuple(lineage.name_of(u) for u in lineage.ordered(ancestors)
                   if lineage.type_of(u) == "model" and not kinds[u])
    return TrainingLineage(lineage.info(exposure_id), training_sets, feature_views, raw, others)


def _kind(lineage: LineageGraph, unique_id: str) -> str:
    if lineage.type_of(unique_id) != "model":
        return ""
    kind = featureops_block(lineage.manifest.get(unique_id)).get("kind")
    return kind if kind in ("feature_view", "training_set") else ""


def _declared_training_sets(lineage: LineageGraph, exposure_id: str) -> list[str]:
    """Training sets that name the exposure (``meta.featureops.exposure``), even where the
    exposure does not list them in depends_on."""
    name = lineage.name_of(exposure_id)
    return [uid for uid in lineage.manifest.models
            if _kind(lineage, uid) == "training_set"
            and featureops_block(lineage.manifest.get(uid)).get("exposure") == name]


def _features_read(lineage: LineageGraph, exposure_id: str) -> dict[str, list[str]]:
    """view name -> features the exposure lists (``*`` for a whole view)."""
    listed = featureops_block(lineage.manifest.get(exposure_id)).get("features")
    reads: dict[str, list[str]] = {}
    for reference in listed if isinstance(listed, list) else ():
        if isinstance(reference, str):
            view, _, feature = reference.partition(":")
            reads.setdefault(view.strip(), []).append(feature.strip() or "*")
    return reads
