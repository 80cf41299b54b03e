"""Impact analysis: everything downstream of a node, and who must be told before it changes.

ML exposures come first (the models a change can break), then every other exposure, then
the other nodes grouped by type. Owners are collected from the exposures and from the
downstream models they own (feature views, training sets, group owners).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from featureops.lineage.graph import NODE_TYPES, LineageGraph, NodeInfo

_STAGE_RANK = {"production": 0, "staging": 1, "development": 2}
_MATURITY_RANK = {"high": 0, "medium": 1, "low": 2}


@dataclass(frozen=True)
class ExposureImpact:
    info: NodeInfo
    distance: int
    path: tuple[str, ...]  # names from the changed node to the exposure

    def to_dict(self) -> dict[str, Any]:
        return {**self.info.to_dict(), "distance": self.distance, "path": list(self.path)}


@dataclass(frozen=True)
class OwnerNotice:
    owner: str
    email: str
    exposures: tuple[str, ...]
    nodes: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"owner": self.owner, "email": self.email, "exposures": list(self.exposures),
                "nodes": list(self.nodes)}


@dataclass(frozen=True)
class ImpactReport:
    root: NodeInfo
    exposures: tuple[ExposureImpact, ...]
    by_type: dict[str, tuple[NodeInfo, ...]]
    owners: tuple[OwnerNotice, ...]

    @property
    def total(self) -> int:
        return len(self.exposures) + sum(len(v) for v in self.by_type.values())

    def to_dict(self) -> dict[str, Any]:
        return {
            "node": self.root.to_dict(),
            "downstream_count": self.total,
            "exposures": [e.to_dict() for e in self.exposures],
            "owners": [o.to_dict() for o in self.owners],
            "by_type": {kind: [{"unique_id": i.unique_id, "name": i.name,
                                **({"owner": i.owner} if i.owner else {}),
                                **({"kind": i.kind} if i.kind else {})} for i in infos]
                        for kind, infos in self.by_type.items()},
        }


def impact(lineage: LineageGraph, unique_id: str) -> ImpactReport:
    """Every node downstream of ``unique_id``, exposures first, with owners to notify."""
    distances, via = lineage.downstream_tree(unique_id)
    exposures: list[ExposureImpact] = []
    by_type: dict[str, list[NodeInfo]] = {}
    for uid in lineage.ordered(distances):
        node_type = lineage.type_of(uid)
        if node_type == "exposure":
            path = _path(lineage, via, unique_id, uid)
            exposures.append(ExposureImpact(lineage.info(uid), distances[uid], path))
        else:
            by_type.setdefault(node_type, []).append(lineage.info(uid))
    exposures.sort(key=_exposure_rank)
    ordered_types = {t: tuple(by_type[t]) for t in NODE_TYPES if t in by_type}
    return ImpactReport(lineage.info(unique_id), tuple(exposures), ordered_types,
                        _owners(exposures, by_type.get("model", [])))


def _exposure_rank(item: ExposureImpact) -> tuple[int, int, int, str]:
    info = item.info
    return (0 if info.exposure_type == "ml" else 1, _STAGE_RANK.get(info.stage, 3),
            _MATURITY_RANK.get(info.maturity, 3), info.name)


def _path(lineage: LineageGraph, via: dict[str, str], start: str, end: str) -> tuple[str, ...]:
    names = [lineage.name_of(end)]
    current = end
    while current != start and current in via:
        current = via[current]
        names.append(lineage.name_of(current))
    return tuple(reversed(names))


def _owners(exposures: list[ExposureImpact], models: list[NodeInfo]) -> tuple[OwnerNotice, ...]:
    """One notice per owner (exposure owners first), listing what they own downstream."""
    notices: dict[str, dict[str, Any]] = {}

    def entry(owner: str, email: str) -> dict[str, Any]:
        item = notices.setdefault(owner, {"email": email, "exposures": [], "nodes": []})
        item["email"] = item["email"] or email
        return item

    for exposure in exposures:
        owner = exposure.info.owner or exposure.info.owner_email
        if owner:
            entry(owner, exposure.info.owner_email)["exposures"].append(exposure.info.name)
    for model in models:
        if model.owner:
            entry(model.owner, model.owner_email)["nodes"].append(model.name)
    return tuple(OwnerNotice(owner, v["email"], tuple(v["exposures"]), tuple(v["nodes"]))
                 for owner, v in notices.items())
