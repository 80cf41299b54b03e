"""Column-level lineage across a dbt project, from the compiled SQL in the manifest.

For ``model.column`` it follows the column up to the sources and seeds it is computed from
(and/or down to every model column computed from it), one model's SQL at a time
(:mod:`featureops.lineage.sql`). A model's columns, needed to expand ``select *`` in its
children, come from, in order: ``catalog.json`` (what the warehouse has), the model's own
SQL traced the same way, a seed's CSV header, then the columns documented in YAML.

Whatever cannot be traced (no compiled SQL, a Python model, SQL sqlglot cannot read, a
``select *`` over unknown columns) is listed in :attr:`ColumnLineage.unresolved` with the
reason; it is never filled in by name matching.
"""

from __future__ import annotations

import csv
import json
from collections import deque
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from featureops.lineage.errors import LineageError, UnknownColumnError
from featureops.lineage.graph import LineageGraph
from featureops.lineage.sql import (
    Derivation,
    QueryColumns,
    RelationKey,
    analyse_query,
    dialect_for,
    parse_relation,
)
from featureops.manifest import Node

_ANALYSED_TYPES = frozenset({"model", "snapshot"})


@dataclass(frozen=True, order=True)
class ColumnRef:
    """One column of one node; names are compared case-insensitively (kept lower case)."""

    node: str
    column: str

    def __str__(self) -> str:
        return f"{self.node}.{self.column}"


@dataclass(frozen=True)
class ColumnEdge:
    source: ColumnRef
    target: ColumnRef
    transformation: str
    expression: str = ""
    through_star: bool = False


@dataclass
class ColumnLineage:
    """The columns reached from ``root``, the edges between them (upstream -> downstream)
    and every column whose origin could not be traced, with the reason."""

    root: ColumnRef
    direction: str
    columns: dict[ColumnRef, int] = field(default_factory=dict)  # -> signed distance
    edges: list[ColumnEdge] = field(default_factory=list)
    unresolved: dict[ColumnRef, str] = field(default_factory=dict)


def load_catalog_columns(path: Path) -> tuple[dict[str, tuple[str, ...]], str | None]:
    """Columns per unique_id from a ``catalog.json`` (``dbt docs generate``), and a warning
    when the file is present but unreadable (lineage then works without it)."""
    try:
        data = json.loads(path.read_bytes())
        entries = {**data.get("nodes", {}), **data.get("sources", {})}
        return {uid: tuple(c.lower() for c in entry.get("columns", {}))
                for uid, entry in entries.items() if isinstance(entry, dict)}, None
    except FileNotFoundError:
        return {}, None
    except (OSError, ValueError, AttributeError, TypeError) as error:
        return {}, (f"{path}: catalog.json is unreadable ({type(error).__name__}); column "
                    f"lineage uses the SQL and YAML columns only")


class ColumnLineageResolver:
    """Analyses models on demand (each once) and walks column references."""

    def __init__(self, lineage: LineageGraph, *, catalog: dict[str, tuple[str, ...]] | None
                 = None, project_dir: Path | None = None, dialect: str | None = None) -> None:
        self.lineage = lineage
        self.manifest = lineage.manifest
        self.dialect = dialect or dialect_for(self.manifest.adapter_type)
        self.catalog = catalog or {}
        self.project_dir = project_dir
        self._analysis: dict[str, QueryColumns] = {}
        self._columns: dict[str, tuple[tuple[str, ...] | None, bool]] = {}

    # -- relation names -> nodes --

    @cached_property
    def _relations(self) -> dict[RelationKey, str]:
        index: dict[RelationKey, str] = {}
        suffixes: dict[RelationKey, set[str]] = {}
        for uid in self.lineage.nodes:
            resource = self.manifest.get(uid)
            relation = getattr(resource, "relation_name", None)
            key = parse_relation(relation, self.dialect) if relation else None
            if key is None:
                continue
            index[key] = uid
            for size in range(1, len(key)):
                suffixes.setdefault(key[-size:], set()).add(uid)
        for key, uids in suffixes.items():  # `schema.table` is enough when unique
            if len(uids) == 1:
                index.setdefault(key, next(iter(uids)))
        return index

    def resolve_relation(self, key: RelationKey) -> str | None:
        return self._relations.get(key)

    # -- columns of a node --

    def columns_of(self, unique_id: str) -> tuple[str, ...] | None:
        """The node's columns, or None when nothing says what they are."""
        return self._column_info(unique_id)[0]

    def _column_info(self, unique_id: str) -> tuple[tuple[str, ...] | None, bool]:
        """(columns, trusted): trusted columns are complete (catalog.json, traced SQL, a
        seed's CSV header, an enforced contract); YAML-documented ones may not be."""
        if unique_id not in self._columns:
            outputs = None
            if self.lineage.type_of(unique_id) in _ANALYSED_TYPES:
                outputs = self.analyse(unique_id).outputs
            self._columns[unique_id] = (outputs, True) if outputs is not None else \
                self._stated_columns(unique_id)
        return self._columns[unique_id]

    def _stated_columns(self, unique_id: str) -> tuple[tuple[str, ...] | None, bool]:
        """Columns from anything but the node's own SQL."""
        if unique_id in self.catalog:
            return self.catalog[unique_id], True
        resource = self.manifest.get(unique_id)
        if self.lineage.type_of(unique_id) == "seed":
            header = self._seed_header(resource)
            if header:
                return header, True
        declared = tuple(c.lower() for c in (getattr(resource, "columns", None) or {}))
        return declared or None, bool(getattr(resource, "contract_enforced", False))

    def _seed_header(self, seed: Any) -> tuple[str, ...] | None:
        if self.project_dir is None or not getattr(seed, "original_file_path", ""):
            return None
        path = self.project_dir / seed.original_file_path
        try:
            with path.open(newline="", encoding="utf-8") as handle:
                header = next(csv.reader(handle), None)
        except (OSError, UnicodeDecodeError, csv.Error):
            return None
        return tuple(c.strip().lower() for c in header) if header else None

    # -- one model's SQL --

    def analyse(self, unique_id: str) -> QueryColumns:
        """The derivations of a model's output columns (memoised); parents first, so their
        columns are known when this model's ``select *`` is expanded."""
        if unique_id in self._analysis:
            return self._analysis[unique_id]
        pending = [u for u in self._ancestors_first(unique_id) if u not in self._analysis]
        for uid in pending:
            self._analysis[uid] = _IN_PROGRESS  # a cycle reads as "columns unknown"
            self._analysis[uid] = self._analyse_one(uid)
        return self._analysis[unique_id]

    def _ancestors_first(self, unique_id: str) -> list[str]:
        order: list[str] = []
        seen: set[str] = set()
        stack: list[tuple[str, bool]] = [(unique_id, False)]
        while stack:
            uid, expanded = stack.pop()
            if expanded:
                order.append(uid)
                continue
            if uid in seen:
                continue
            seen.add(uid)
            stack.append((uid, True))
            for parent in self.lineage.parents(uid):
                if (parent not in seen and parent not in self._analysis
                        and self.lineage.type_of(parent) in _ANALYSED_TYPES):
                    stack.append((parent, False))
        return order

    def _analyse_one(self, unique_id: str) -> QueryColumns:
        node = self.manifest.get(unique_id)
        if not isinstance(node, Node):
            return QueryColumns(None, {}, "not a model")
        if node.language != "sql":
            return QueryColumns(None, {}, f"{node.language} model: its columns cannot be "
                                          f"derived from code")
        if not node.compiled_code:
            return QueryColumns(None, {}, "no compiled SQL in the manifest (written by `dbt "
                                          "parse`); run `dbt compile`, or pass --compile")
        result = analyse_query(node.compiled_code, self.dialect, self.resolve_relation,
                               self._known_columns)
        if result.error and not result.error.startswith("sqlglot cannot parse"):
            # YAML may document only some columns, and sqlglot refuses a reference to an
            # undocumented one: try again trusting only complete column lists.
            retry = analyse_query(node.compiled_code, self.dialect, self.resolve_relation,
                                  lambda uid: self._known_columns(uid, trusted_only=True))
            if not retry.error:
                return retry
        return result

    def _known_columns(self, unique_id: str, trusted_only: bool = False
                       ) -> tuple[str, ...] | None:
        if self._analysis.get(unique_id) is _IN_PROGRESS:  # the model reads its own table
            columns, trusted = self._stated_columns(unique_id)
        else:
            columns, trusted = self._column_info(unique_id)
        return columns if trusted or not trusted_only else None

    # -- walking column references --

    def check_column(self, ref: ColumnRef) -> ColumnRef:
        """The reference with the column spelled as the node spells it; UnknownColumnError
        when the node's columns are known and do not include it."""
        columns = self.columns_of(ref.node)
        column = ref.column.lower()
        if columns is not None and column not in columns:
            shown = ", ".join(columns[:12]) + (", ..." if len(columns) > 12 else "")
            raise UnknownColumnError(
                f"{self.manifest.path}: {self.lineage.name_of(ref.node)} has no column "
                f"`{ref.column}` (its columns: {shown or 'none'})"
            )
        return ColumnRef(ref.node, column)

    def upstream(self, ref: ColumnRef, depth: int | None = None) -> ColumnLineage:
        result = ColumnLineage(ref, "upstream", {ref: 0})
        queue = deque([ref])
        while queue:
            current = queue.popleft()
            distance = -result.columns[current]
            if depth is not None and distance >= depth:
                continue
            if self.lineage.type_of(current.node) not in _ANALYSED_TYPES:
                continue  # sources and seeds are where lineage starts
            for edge in self._edges_into(current, result):
                result.edges.append(edge)
                if edge.source not in result.columns:
                    result.columns[edge.source] = -(distance + 1)
                    queue.append(edge.source)
        return result

    def _edges_into(self, ref: ColumnRef, result: ColumnLineage) -> list[ColumnEdge]:
        analysis = self.analyse(ref.node)
        if analysis.error:
            result.unresolved[ref] = analysis.error
            return []
        derivation = analysis.derivations.get(ref.column)
        if derivation is None:
            result.unresolved[ref] = "not an output column of the compiled SQL"
            return []
        edges = []
        for source in derivation.inputs:
            if source.relation is None:
                result.unresolved[ref] = source.reason
                continue
            if source.relation == ref.node:
                continue  # an incremental model reading its own table ({{ this }})
            edges.append(_edge(source.relation, source.column, ref, derivation,
                               source.through_star))
        return edges

    def downstream(self, ref: ColumnRef, depth: int | None = None) -> ColumnLineage:
        result = ColumnLineage(ref, "downstream", {ref: 0})
        descendants = self.lineage.downstream(ref.node, include_tests=False)
        reached = {ref}
        for uid in self._parents_first(descendants):
            analysis = self.analyse(uid)
            if analysis.error:
                if any(r.node in self.lineage.parents(uid) for r in reached):
                    result.unresolved[ColumnRef(uid, "*")] = analysis.error
                continue
            for derivation in analysis.derivations.values():
                target = ColumnRef(uid, derivation.column)
                for source in derivation.inputs:
                    source_ref = ColumnRef(source.relation or "", source.column)
                    if source_ref in reached and source.relation != uid:
                        result.edges.append(_edge(source_ref.node, source_ref.column, target,
                                                  derivation, source.through_star))
                        distance = result.columns[source_ref] + 1
                        if distance < result.columns.get(target, distance + 1):
                            result.columns[target] = distance
                            reached.add(target)
        if depth is not None:
            result.columns = {r: d for r, d in result.columns.items() if d <= depth}
            result.edges = [e for e in result.edges if e.target in result.columns]
        return result


    def _parents_first(self, unique_ids: dict[str, int]) -> list[str]:
        """Analysable nodes among ``unique_ids`` in topological order (by distance if the
        graph has a cycle)."""
        chosen = [u for u in unique_ids if self.lineage.type_of(u) in _ANALYSED_TYPES]
        if self.lineage.order is None:
            return sorted(chosen, key=lambda u: unique_ids[u])
        wanted = set(chosen)
        return [u for u in self.lineage.order if u in wanted]


_IN_PROGRESS = QueryColumns(None, {}, "part of a dependency cycle")


def _edge(node: str, column: str, target: ColumnRef, derivation: Derivation,
          through_star: bool) -> ColumnEdge:
    return ColumnEdge(ColumnRef(node, column), target, derivation.transformation,
                      derivation.expression, through_star)


def split_column_reference(lineage: LineageGraph, text: str) -> ColumnRef | None:
    """``model.column`` (or ``source_name.table.column``, ``unique_id.column``) as a column
    reference when the part before the last dot names a node; None otherwise."""
    head, dot, column = text.rpartition(".")
    if not dot or not head or not column:
        return None
    try:
        return ColumnRef(lineage.resolve(head), column)
    except LineageError:
        return None
