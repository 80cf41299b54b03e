"""The lineage graph of a dbt project: an edge parent -> child for every ``depends_on`` of
every source, seed, model, snapshot, analysis, test, unit test, exposure, semantic model,
metric and saved query of a manifest, available as a networkx DiGraph.

Pure: no I/O beyond the manifest object it is given. Node attributes are only ``type`` and
``name``; everything a report shows (owner, description, feature-view status...) comes from
:meth:`LineageGraph.info`, computed on demand, so building the graph of a 60,000-node
manifest costs one pass over its ``parent_map``.

Manifests dbt did not write cleanly are read, not refused: a parent that is not in the
manifest becomes a node of type ``missing`` and a cycle is kept as is; both are reported in
:attr:`LineageGraph.warnings` (one line each) so the CLI can say so.
"""

from __future__ import annotations

import difflib
import re
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any, Literal

from featureops.lineage.errors import AmbiguousNodeError, UnknownNodeError, UnknownVersionError
from featureops.manifest import Exposure, Manifest, Node

if TYPE_CHECKING:
    import networkx as nx

#: Resource types in the graph, in the order reports list them.
NODE_TYPES: tuple[str, ...] = (
    "exposure", "metric", "saved_query", "semantic_model", "model", "snapshot", "seed",
    "source", "analysis", "test", "unit_test", "missing",
)
TEST_TYPES = frozenset({"test", "unit_test"})
Direction = Literal["both", "upstream", "downstream"]
_EXCLUDED = frozenset({"operation", "sql_operation", "rpc", "group", "macro", "doc"})
#: The last part of ``name.v2``: dbt's selector syntax for a model version.
_VERSION_SUFFIX = re.compile(r"v\d+")


@dataclass(frozen=True)
class NodeInfo:
    """What reports show about one node (all strings, empty when unknown)."""

    unique_id: str
    name: str
    type: str
    package: str = ""
    description: str = ""
    owner: str = ""
    owner_email: str = ""
    path: str = ""
    materialized: str = ""
    kind: str = ""
    status: str = ""
    access: str = ""
    exposure_type: str = ""
    maturity: str = ""
    stage: str = ""
    tags: tuple[str, ...] = ()
    columns: tuple[str, ...] = ()
    relation: str = ""

    def to_dict(self) -> dict[str, Any]:
        data = {k: v for k, v in self.__dict__.items() if v not in ("", (), None)}
        data["unique_id"], data["name"], data["type"] = self.unique_id, self.name, self.type
        for key in ("tags", "columns"):
            if key in data:
                data[key] = list(data[key])
        return data


@dataclass(frozen=True)
class Selection:
    """A connected part of the graph chosen for a report or a rendering."""

    nodes: tuple[str, ...]
    edges: tuple[tuple[str, str], ...]
    root: str | None = None
    direction: Direction = "both"
    depth: int | None = None
    distances: Mapping[str, int] = field(default_factory=dict)


class LineageGraph:
    """The graph plus lookups by name; build it with :meth:`from_manifest`.

    Traversals run on plain adjacency lists (several times faster to build than a networkx
    graph on a 60,000-node manifest); :attr:`graph` is the same graph as a networkx
    DiGraph, built on first use, for graph algorithms and for callers.
    """

    def __init__(self, manifest: Manifest, attributes: dict[str, dict[str, str]],
                 parents: dict[str, list[str]], children: dict[str, list[str]],
                 warnings: list[str]) -> None:
        self.manifest = manifest
        self.warnings = warnings
        self._attributes = attributes  # unique_id -> {"type": ..., "name": ...}
        self._parents = parents
        self._children = children
        #: A topological order of every node, or None when the graph has a cycle.
        self.order = _topological_order(parents, children)
        self._info: dict[str, NodeInfo] = {}

    @classmethod
    def from_manifest(cls, manifest: Manifest) -> LineageGraph:
        live = manifest.parent_map
        attributes = {uid: {"type": _type_of(uid), "name": _display_name(uid, manifest.get(uid))}
                      for uid in live if _type_of(uid) not in _EXCLUDED}
        parents: dict[str, list[str]] = {}
        children: dict[str, list[str]] = {uid: [] for uid in attributes}
        unknown: dict[str, list[str]] = {}
        for uid in attributes:
            kept = parents[uid] = []
            for parent in dict.fromkeys(live[uid]):
                if parent in attributes:
                    kept.append(parent)
                    children[parent].append(uid)
                elif parent not in live:  # a live parent left out is an operation: skip it
                    unknown.setdefault(parent, []).append(uid)
        warnings: list[str] = []
        for parent, orphans in unknown.items():
            attributes[parent] = {"type": "missing", "name": parent}
            parents[parent], children[parent] = [], orphans
            for orphan in orphans:
                parents[orphan].append(parent)
            warnings.append(_unknown_parent_warning(manifest, parent, orphans))
        lineage = cls(manifest, attributes, parents, children, warnings)
        if lineage.order is None:
            import networkx as nx  # only on this rare path: imported lazily, like below

            cycle = [edge[0] for edge in nx.find_cycle(lineage.graph)]
            warnings.append(
                f"{manifest.path}: the dependency graph has a cycle ({' -> '.join(cycle)} -> "
                f"{cycle[0]}); dbt refuses such a project, so the manifest is hand-edited or "
                f"stale: regenerate it with `dbt parse`. Lineage is shown as recorded."
            )
        return lineage

    @cached_property
    def graph(self) -> nx.DiGraph:
        """The lineage as a networkx DiGraph (node attributes ``type`` and ``name``)."""
        import networkx as nx  # not at module level: `featureops --help` stays fast

        graph = nx.DiGraph()
        graph.add_nodes_from(self._attributes.items())
        graph.add_edges_from((p, c) for c, ps in self._parents.items() for p in ps)
        return graph

    @property
    def nodes(self) -> Iterable[str]:
        return self._attributes.keys()

    def parents(self, unique_id: str) -> list[str]:
        return self._parents[unique_id]

    def children(self, unique_id: str) -> list[str]:
        return self._children[unique_id]

    # -- lookups ----------------------------------------------------------------------------

    def __contains__(self, unique_id: object) -> bool:
        return unique_id in self._attributes

    def type_of(self, unique_id: str) -> str:
        return self._attributes[unique_id]["type"]

    def name_of(self, unique_id: str) -> str:
        return self._attributes[unique_id]["name"]

    @cached_property
    def _names(self) -> dict[str, list[str]]:
        """Every way a user may name a node (name, source.table, package.name, and
        name.v<N> / package.name.v<N> for every version of a model, the latest included)
        -> ids."""
        index: dict[str, list[str]] = {}
        for uid, data in self._attributes.items():
            if data["type"] == "missing":
                continue
            package = uid.split(".")[1] if uid.count(".") >= 2 else ""
            keys = [data["name"], f"{package}.{data['name']}"]
            model = self.manifest.models.get(uid) if data["type"] == "model" else None
            if model is not None and model.is_versioned:
                keys += [f"{model.name}.v{model.version}",
                         f"{package}.{model.name}.v{model.version}"]
            for key in dict.fromkeys(keys):
                index.setdefault(key, []).append(uid)
        return index

    @cached_property
    def _versioned(self) -> dict[str, list[Node]]:
        """Bare names (name, package.name) of versioned models -> all their versions."""
        index: dict[str, list[Node]] = {}
        for model in self.manifest.models.values():
            if model.is_versioned and model.unique_id in self._attributes:
                for key in (model.name, f"{model.package_name}.{model.name}"):
                    index.setdefault(key, []).append(model)
        return index

    def resolve(self, text: str) -> str:
        """The unique_id a user means by ``text``: a unique_id, a name (a model's latest
        version), ``name.v<N>`` (version N of a model, dbt's selector syntax),
        ``source_name.table`` or ``package.name``. Non-test nodes and the root project's
        nodes win over tests and package nodes of the same name."""
        text = text.strip()
        if text in self._attributes and self.type_of(text) != "missing":
            return text
        candidates = self._names.get(text, [])
        if not candidates:
            self._refuse_unknown_version(text)
            close = difflib.get_close_matches(text, list(self._names), n=3)
            hint = f"did you mean {', '.join(close)}? " if close else ""
            raise UnknownNodeError(
                f"{self.manifest.path}: no node named `{text}`; {hint}give a name, "
                f"source_name.table or unique_id from the manifest (run `dbt parse` if the "
                f"node is new)"
            )
        return self._pick(text, candidates)

    def _refuse_unknown_version(self, text: str) -> None:
        """``name.v<N>`` of a versioned model always means a version (as in dbt's
        selectors), never a column named ``v<N>``: a version the model lacks is an error
        that says how to reach such a column (``name.v<latest>.v<N>``)."""
        head, _, suffix = text.rpartition(".")
        versions = self._versioned.get(head) if _VERSION_SUFFIX.fullmatch(suffix) else None
        if not versions:
            return
        latest = next((m for m in versions if m.is_latest_version), versions[-1])
        known = ", ".join(sorted((f"v{m.version}" for m in versions), key=_natural))
        raise UnknownVersionError(
            f"{self.manifest.path}: model `{head}` has no version {suffix} (versions: "
            f"{known}); `{head}.{suffix}` names a version, so for a column `{suffix}` name "
            f"the version first: `{head}.v{latest.version}.{suffix}`"
        )

    def _pick(self, text: str, candidates: list[str]) -> str:
        if len(candidates) == 1:
            return candidates[0]
        for prefer in (lambda u: self.type_of(u) not in TEST_TYPES,
                       lambda u: u.split(".")[1] == self.manifest.project_name,
                       self._is_latest_version):
            preferred = [u for u in candidates if prefer(u)]
            if len(preferred) == 1:
                return preferred[0]
            candidates = preferred or candidates
        raise AmbiguousNodeError(
            f"{self.manifest.path}: `{text}` names {len(candidates)} nodes "
            f"({', '.join(sorted(candidates))}); pass one of these unique_ids instead"
        )

    def _is_latest_version(self, uid: str) -> bool:
        node = self.manifest.models.get(uid)
        return node is None or node.is_latest_version

    # -- traversal --------------------------------------------------------------------------

    def upstream(self, unique_id: str, depth: int | None = None,
                 include_tests: bool = True) -> dict[str, int]:
        """Ancestors of a node with their distance (1 = direct parent)."""
        return self._bfs(unique_id, self._parents, depth, include_tests)

    def downstream(self, unique_id: str, depth: int | None = None,
                   include_tests: bool = True) -> dict[str, int]:
        """Descendants of a node with their distance (1 = direct child)."""
        return self._bfs(unique_id, self._children, depth, include_tests)

    def _bfs(self, start: str, adjacency: Mapping[str, list[str]], depth: int | None,
             include_tests: bool, via: dict[str, str] | None = None) -> dict[str, int]:
        """Distances from ``start``; ``via`` (when given) receives, for each node reached,
        the node it was first reached from, i.e. a shortest-path tree."""
        nodes = self._attributes
        seen = {start: 0}
        queue = deque([start])
        while queue:
            current = queue.popleft()
            distance = seen[current] + 1
            if depth is not None and distance > depth:
                continue
            for neighbour in adjacency[current]:
                if neighbour in seen:
                    continue
                if not include_tests and nodes[neighbour]["type"] in TEST_TYPES:
                    continue
                seen[neighbour] = distance
                if via is not None:
                    via[neighbour] = current
                queue.append(neighbour)
        del seen[start]
        return seen

    def downstream_tree(self, unique_id: str) -> tuple[dict[str, int], dict[str, str]]:
        """Descendants with their distance, and the shortest-path tree that reaches them."""
        via: dict[str, str] = {}
        return self._bfs(unique_id, self._children, None, True, via), via

    def select(self, unique_id: str | None = None, *, direction: Direction = "both",
               depth: int | None = None, include_tests: bool = False) -> Selection:
        """The node with its ancestors and/or descendants (every node when ``unique_id`` is
        None), and the edges between the selected nodes."""
        if unique_id is None:
            chosen: dict[str, int] = {
                uid: 0 for uid, data in self._attributes.items()
                if include_tests or data["type"] not in TEST_TYPES
            }
        else:
            chosen = {unique_id: 0}
            if direction in ("both", "upstream"):
                chosen.update({u: -d for u, d in
                               self.upstream(unique_id, depth, include_tests).items()})
            if direction in ("both", "downstream"):
                chosen.update(self.downstream(unique_id, depth, include_tests))
        ordered = self.ordered(chosen)
        edges = tuple((a, b) for a in ordered for b in self._children[a] if b in chosen)
        return Selection(tuple(ordered), edges, unique_id, direction, depth, chosen)

    def ordered(self, unique_ids: Iterable[str]) -> list[str]:
        """Nodes in a stable reading order: by type (exposures last), then name."""
        rank = {t: i for i, t in enumerate(reversed(NODE_TYPES))}
        return sorted(unique_ids, key=lambda u: (rank.get(self.type_of(u), 0),
                                                 self.name_of(u), u))

    # -- who consumes what ------------------------------------------------------------------

    @cached_property
    def _exposure_bits(self) -> tuple[dict[str, int], list[str]]:
        """For every node, a bitset of the exposures downstream of it: one pass in reverse
        topological order (cycles are collapsed into one node first)."""
        exposures = [u for u, d in self._attributes.items() if d["type"] == "exposure"]
        bit = {uid: 1 << i for i, uid in enumerate(exposures)}
        if self.order is not None:
            bits: dict[str, int] = {}
            for node in reversed(self.order):
                value = bit.get(node, 0)
                for child in self._children[node]:
                    value |= bits[child]
                bits[node] = value
            return bits, exposures
        import networkx as nx

        condensed = nx.condensation(self.graph)
        component_bits: dict[int, int] = {}
        for component in reversed(list(nx.topological_sort(condensed))):
            value = 0
            for node in condensed.nodes[component]["members"]:
                value |= bit.get(node, 0)
            for child in condensed._succ[component]:
                value |= component_bits[child]
            component_bits[component] = value
        mapping = condensed.graph["mapping"]
        return {node: component_bits[c] for node, c in mapping.items()}, exposures

    def downstream_exposures(self, unique_id: str) -> list[str]:
        """Exposures that read the node directly or through any chain of models."""
        bits, exposures = self._exposure_bits
        value = bits.get(unique_id, 0)
        if unique_id in self._attributes and self.type_of(unique_id) == "exposure":
            value &= ~(1 << exposures.index(unique_id))
        return [exposures[i] for i in range(value.bit_length()) if value >> i & 1]

    # -- descriptions -----------------------------------------------------------------------

    def info(self, unique_id: str) -> NodeInfo:
        cached = self._info.get(unique_id)
        if cached is None:
            attributes = self._attributes[unique_id]
            if attributes["type"] in TEST_TYPES:  # tests have no owner or description to show
                cached = NodeInfo(unique_id, attributes["name"], attributes["type"],
                                  unique_id.split(".")[1])
            else:
                cached = _describe(self, unique_id)
            self._info[unique_id] = cached
        return cached


def _topological_order(parents: Mapping[str, list[str]], children: Mapping[str, list[str]]
                        ) -> list[str] | None:
    """Kahn's algorithm; None when a cycle leaves nodes unordered."""
    indegree = {node: len(node_parents) for node, node_parents in parents.items()}
    ready = deque(node for node, degree in indegree.items() if degree == 0)
    order = []
    while ready:
        node = ready.popleft()
        order.append(node)
        for child in children[node]:
            indegree[child] -= 1
            if indegree[child] == 0:
                ready.append(child)
    return order if len(order) == len(indegree) else None


def _natural(text: str) -> tuple[int, str]:
    """Sort key putting v2 before v10."""
    digits = text.lstrip("v")
    return (int(digits), text) if digits.isdigit() else (0, text)


def _type_of(unique_id: str) -> str:
    return unique_id.partition(".")[0]


def _display_name(unique_id: str, resource: Any) -> str:
    if resource is None:
        return unique_id
    name = getattr(resource, "name", unique_id)
    source_name = getattr(resource, "source_name", None)
    if source_name:
        return f"{source_name}.{name}"
    version = getattr(resource, "version", None)
    if version is not None and not getattr(resource, "is_latest_version", True):
        return f"{name}.v{version}"
    return name


def _unknown_parent_warning(manifest: Manifest, parent: str, children: list[str]) -> str:
    why = ("is disabled" if parent in manifest.disabled_ids
           else "is not in the manifest")
    shown = ", ".join(children[:3]) + (f" and {len(children) - 3} more" if len(children) > 3
                                       else "")
    return (f"{manifest.path}: {shown} depend(s) on {parent}, which {why}; it is shown as a "
            f"`missing` node (regenerate the manifest with `dbt parse` if it is stale)")


def featureops_block(resource: Any) -> Mapping[str, Any]:
    """A resource's ``meta.featureops`` mapping ({} when absent or not a mapping)."""
    block = (getattr(resource, "meta", None) or {}).get("featureops")
    return block if isinstance(block, Mapping) else {}


def owner_of(manifest: Manifest, resource: Any) -> tuple[str, str]:
    """(owner, email) of a resource: an exposure's owner; for nodes, meta.featureops.owner,
    then the owner of the node's dbt group, then a conventional ``meta.owner``."""
    if resource is None:
        return "", ""
    if isinstance(resource, Exposure):
        return resource.owner_name or "", resource.owner_email or ""
    block_owner = featureops_block(resource).get("owner")
    if isinstance(block_owner, str) and block_owner.strip():
        return block_owner.strip(), ""
    group_name = getattr(resource, "group", None)
    if group_name:
        for group in manifest.groups.values():
            if group.name == group_name:
                return group.owner_name or group.owner_email or "", group.owner_email or ""
    meta_owner = (getattr(resource, "meta", None) or {}).get("owner")
    return (meta_owner.strip(), "") if isinstance(meta_owner, str) else ("", "")


def _describe(lineage: LineageGraph, unique_id: str) -> NodeInfo:
    node_type = lineage.type_of(unique_id)
    resource = lineage.manifest.get(unique_id)
    name = lineage.name_of(unique_id)
    if resource is None:
        return NodeInfo(unique_id, name, node_type,
                        description="not in the manifest (disabled or removed)")
    owner, email = owner_of(lineage.manifest, resource)
    block = featureops_block(resource)
    return NodeInfo(
        unique_id=unique_id,
        name=name,
        type=node_type,
        package=getattr(resource, "package_name", "") or "",
        description=" ".join((getattr(resource, "description", "") or "").split()),
        owner=owner,
        owner_email=email,
        path=getattr(resource, "original_file_path", "") or "",
        materialized=getattr(resource, "materialized", None) or "",
        kind=str(block.get("kind") or ""),
        status=str(block.get("status") or ""),
        access=getattr(resource, "access", None) or "",
        exposure_type=getattr(resource, "type", None) or "" if node_type == "exposure" else "",
        maturity=getattr(resource, "maturity", None) or "",
        stage=str(block.get("stage") or "") if node_type == "exposure" else "",
        tags=tuple(getattr(resource, "tags", ()) or ()),
        columns=tuple(getattr(resource, "columns", {}) or {}),
        relation=getattr(resource, "relation_name", None) or "",
    )
