"""What rules see: the resources to audit and the facts they need, computed once.

Feature views are read leniently here (:class:`ViewFacts`): the audit must report a view
whose ``status`` is misspelled or whose ``last_reviewed`` is not a date, which the strict
schema in featureops.spec would refuse outright.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from featureops.lineage.graph import LineageGraph, featureops_block, owner_of
from featureops.manifest import DataTest, Exposure, Manifest, Node

if TYPE_CHECKING:
    from featureops.bundles.bundle import Bundle


def as_date(value: Any) -> date | None | str:
    """A YAML date (already a date, or an ISO string); the raw text when it is not one."""
    if value is None or value == "":
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        return str(value)


@dataclass(frozen=True)
class ViewFacts:
    """A model declared as a feature view, read without schema validation."""

    node: Node
    block: Mapping[str, Any]
    owner: str

    @property
    def unique_id(self) -> str:
        return self.node.unique_id

    @property
    def name(self) -> str:
        return self.node.name

    @property
    def status(self) -> Any:
        return self.block.get("status")

    @property
    def entities(self) -> list[str]:
        value = self.block.get("entities")
        if isinstance(value, str):
            return [value]
        return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []

    @property
    def timestamp(self) -> str | None:
        value = self.block.get("timestamp")
        return value if isinstance(value, str) else None

    @property
    def online(self) -> bool:
        return self.block.get("online") is True

    def date(self, key: str) -> date | None | str:
        return as_date(self.block.get(key))


class AuditContext:
    """The manifest, the audited packages and the evaluation date, with shared lookups."""

    def __init__(self, manifest: Manifest, *, today: date,
                 packages: frozenset[str] | None = None,
                 lineage: LineageGraph | None = None,
                 bundles_dir: Path | None = None) -> None:
        self.manifest = manifest
        self.today = today
        self.packages = packages or frozenset({manifest.project_name})
        self._lineage = lineage
        self.bundles_dir = bundles_dir  # model bundles (featureops.bundles); None: none
        self._live_hashes: dict[str, str | None] = {}

    @property
    def lineage(self) -> LineageGraph:
        if self._lineage is None:
            self._lineage = LineageGraph.from_manifest(self.manifest)
        return self._lineage

    def audited(self, resource: Any) -> bool:
        return getattr(resource, "package_name", "") in self.packages

    def resources(self, target: str) -> Iterator[Any]:
        """The audited resources a rule of this target runs on."""
        if target == "feature_view":
            yield from self.feature_views
        elif target == "model":
            yield from (m for m in self.manifest.models.values() if self.audited(m))
        elif target == "seed":
            yield from (s for s in self.manifest.seeds.values() if self.audited(s))
        elif target == "source":
            yield from (s for s in self.manifest.sources.values() if self.audited(s))
        elif target == "exposure":
            yield from (e for e in self.manifest.exposures.values() if self.audited(e))

    @cached_property
    def feature_views(self) -> list[ViewFacts]:
        views = []
        for model in self.manifest.models.values():
            block = featureops_block(model)
            if self.audited(model) and block.get("kind") == "feature_view":
                owner, _ = owner_of(self.manifest, model)
                views.append(ViewFacts(model, block, owner))
        return views

    def is_feature_view(self, node: Node) -> bool:
        return featureops_block(node).get("kind") == "feature_view"

    def consumers(self, unique_id: str) -> list[Exposure]:
        """Exposures downstream of a node, directly or through any chain of models."""
        exposures = self.manifest.exposures
        return [exposures[u] for u in self.lineage.downstream_exposures(unique_id)]

    def tests_on(self, unique_id: str) -> list[DataTest]:
        return self.manifest.tests_for(unique_id)

    @cached_property
    def bundles(self) -> list[Bundle]:
        """The readable model bundles in ``bundles_dir``."""
        if self.bundles_dir is None:
            return []
        from featureops.bundles.index import BundleIndex

        return BundleIndex(self.bundles_dir).all()

    def live_view_hashes(self, views: Iterable[str]) -> dict[str, str | None]:
        """Definition hashes of feature views in this manifest, as bundles record them."""
        from featureops.bundles.check import live_view_hashes

        missing = [view for view in views if view not in self._live_hashes]
        self._live_hashes.update(live_view_hashes(self.manifest, missing))
        return self._live_hashes


def is_production(exposure: Exposure) -> bool:
    """An exposure serving production: ``maturity: high`` or ``meta.featureops.stage:
    production``."""
    return exposure.maturity == "high" or featureops_block(exposure).get("stage") == \
        "production"


def describe_exposures(exposures: list[Exposure], limit: int = 5) -> str:
    """``a (owner x), b (owner y) and 3 more`` for messages."""
    shown = [f"{e.name} (owner {e.owner_name or e.owner_email or 'unknown'})"
             for e in exposures[:limit]]
    more = f" and {len(exposures) - limit} more" if len(exposures) > limit else ""
    return ", ".join(shown) + more
