"""Column derivations of one compiled SQL query, with sqlglot in the adapter's dialect.

The query's relations are first matched to manifest nodes (by their ``relation_name``) and
renamed to one-part placeholders, so sqlglot sees a flat schema whatever the adapter's
naming depth (a DuckDB source can be ``'/data/x.parquet'`` next to three-part model names).
Each output column is then traced to the placeholder columns it reads.

Nothing is guessed: a column that reaches a relation outside the manifest, a ``select *``
over several relations of unknown columns, or a reference sqlglot cannot qualify is returned
as unresolved with the reason.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError
from sqlglot.lineage import Node as LineageNode
from sqlglot.lineage import lineage

#: dbt adapter type -> sqlglot dialect (adapters sqlglot knows under another name).
_ADAPTER_DIALECTS = {
    "sqlserver": "tsql", "synapse": "tsql", "fabric": "fabric", "spark": "spark",
    "databricks": "databricks", "glue": "spark", "athena": "athena", "trino": "trino",
    "starburst": "trino", "presto": "presto", "redshift": "redshift", "bigquery": "bigquery",
    "snowflake": "snowflake", "postgres": "postgres", "duckdb": "duckdb", "motherduck": "duckdb",
    "clickhouse": "clickhouse", "oracle": "oracle", "mysql": "mysql", "sqlite": "sqlite",
    "teradata": "teradata", "materialize": "materialize", "risingwave": "risingwave",
    "doris": "doris", "starrocks": "starrocks", "dremio": "dremio", "exasol": "exasol",
    "hive": "hive", "impala": "hive", "singlestore": "singlestore", "druid": "druid",
}
_PLACEHOLDER = "__featureops_rel_{}"
# The last identifier of a dotted name, quoted ("x", `x`, [x]) or not.
_LAST_IDENTIFIER = re.compile(r'(?:"([^"]*)"|`([^`]*)`|\[([^\]]*)\]|([^."`\[\]]+))\s*$')
# The WITH clause's key in sqlglot's expression args (`with` before sqlglot 26).
_WITH = "with_" if "with_" in exp.Select.arg_types else "with"
# What sqlglot raises on SQL it cannot qualify (beyond its own SqlglotError).
_TRACE_ERRORS = (SqlglotError, KeyError, ValueError, AttributeError, TypeError)
_MAX_EXPRESSION = 240

RelationKey = tuple[str, ...]


def dialect_for(adapter_type: str | None) -> str | None:
    """The sqlglot dialect of a dbt adapter, or None (sqlglot's generic SQL)."""
    return _ADAPTER_DIALECTS.get((adapter_type or "").lower())


def relation_key(table: exp.Table) -> RelationKey:
    """Parts of a table reference, case-folded (identifiers differing only by case are
    treated as one, which is how every warehouse but a quoted few resolves them)."""
    return tuple(part.name.lower() for part in table.parts)


def parse_relation(relation_name: str, dialect: str | None) -> RelationKey | None:
    """The key of a manifest ``relation_name`` (``"db"."schema"."t"``, `` `p.d.t` ``,
    ``'/x.parquet'``...), or None when sqlglot cannot read it."""
    try:
        query = sqlglot.parse_one(f"select * from {relation_name}", read=dialect)
    except SqlglotError:
        return None
    table = query.find(exp.Table)
    return relation_key(table) if table is not None and table.name else None


@dataclass(frozen=True)
class Input:
    """One upstream column of a derivation; ``relation`` is the placeholder's node id, or
    None with ``reason`` set when the input could not be traced."""

    relation: str | None
    column: str
    through_star: bool = False
    reason: str = ""


@dataclass(frozen=True)
class Derivation:
    """How one output column is computed."""

    column: str
    inputs: tuple[Input, ...]
    transformation: str  # identity | transformation | aggregation | constant
    expression: str


@dataclass(frozen=True)
class QueryColumns:
    """The analysis of one query: its output columns (None when a ``select *`` over
    unknown columns hides them) and a derivation for each, or an error."""

    outputs: tuple[str, ...] | None
    derivations: Mapping[str, Derivation]
    error: str = ""


def analyse_query(sql: str, dialect: str | None, resolve: Callable[[RelationKey], str | None],
                  columns_of: Callable[[str], tuple[str, ...] | None]) -> QueryColumns:
    """Trace every output column of ``sql``.

    ``resolve`` maps a relation key to a node id (or None for relations outside the
    manifest); ``columns_of`` gives a node's columns (or None when unknown).
    """
    try:
        statements = [s for s in sqlglot.parse(sql, read=dialect) if s is not None]
    except SqlglotError as error:
        return QueryColumns(None, {}, f"sqlglot cannot parse the compiled SQL "
                                      f"({dialect or 'generic'} dialect): {_first_line(error)}")
    queries = [s for s in statements if isinstance(s, exp.Query)]
    if not queries:
        return QueryColumns(None, {}, "the compiled SQL has no SELECT query")
    query = queries[-1]
    placeholders = _rename_relations(query, resolve)
    schema = {}
    for placeholder, relation in placeholders.items():
        known = columns_of(relation.node_id) if relation.node_id else None
        if known:
            schema[placeholder] = {column: "unknown" for column in known}
    try:
        roots = lineage(None, query, schema=schema, dialect=dialect, copy=False)
    except _TRACE_ERRORS as error:
        return QueryColumns(None, {}, f"sqlglot cannot trace the query's columns: "
                                      f"{_first_line(error)}")
    tracer = _Tracer(query, placeholders, schema, dialect)
    derivations: dict[str, Derivation] = {}
    outputs: list[str] | None = []
    for name, root in roots.items():
        if name == "*" or isinstance(root.expression, exp.Star):
            outputs = None
            continue
        column = name.lower()
        if outputs is not None:
            outputs.append(column)
        derivations[column] = tracer.derivation(column, root)
    return QueryColumns(tuple(outputs) if outputs is not None else None, derivations)


@dataclass(frozen=True)
class _Relation:
    node_id: str | None  # None: a relation the manifest does not know
    text: str


def _rename_relations(query: exp.Expression,
                      resolve: Callable[[RelationKey], str | None]) -> dict[str, _Relation]:
    """Replace every physical table by a placeholder (alias kept), in place; return what
    each placeholder stands for."""
    ctes = {cte.alias_or_name.lower() for cte in query.find_all(exp.CTE)}
    by_key: dict[RelationKey, str] = {}
    placeholders: dict[str, _Relation] = {}
    for table in list(query.find_all(exp.Table)):
        if not table.name or (not table.args.get("db") and table.name.lower() in ctes):
            continue
        if not isinstance(table.this, exp.Identifier):
            continue  # table functions (read_parquet(...), unnest...) are not relations
        key = relation_key(table)
        placeholder = by_key.get(key)
        if placeholder is None:
            placeholder = by_key[key] = _PLACEHOLDER.format(len(by_key))
            placeholders[placeholder] = _Relation(resolve(key), ".".join(key))
        alias = table.alias or table.name
        table.replace(exp.Table(this=exp.to_identifier(placeholder),
                                alias=exp.TableAlias(this=exp.to_identifier(alias))))
    return placeholders


@dataclass(frozen=True)
class _Tracer:
    """Turns sqlglot's lineage trees for one (qualified) query into derivations."""

    query: exp.Expression
    placeholders: Mapping[str, _Relation]
    schema: Mapping[str, Mapping[str, str]]
    dialect: str | None
    depth: int = 0

    def derivation(self, column: str, root: LineageNode) -> Derivation:
        inputs: list[Input] = []
        stars: dict[int, list[LineageNode]] = {}
        parents: dict[int, LineageNode] = {}
        generated = False
        for node in root.walk():
            for child in node.downstream:
                parents.setdefault(id(child), node)
            if node.downstream:
                continue
            if isinstance(node.expression, exp.Table):
                if not isinstance(node.expression.this, exp.Identifier):
                    generated = True
                    inputs.extend(self._function_inputs(node, parents.get(id(node))))
                elif node.name.endswith("*"):
                    star = parents.get(id(node), root)
                    stars.setdefault(id(star), [star]).append(node)
                else:
                    inputs.append(self._table_input(node, _column_name(node.name)))
            elif isinstance(node.expression, exp.Placeholder):
                name = _column_name(node.name)
                inputs.append(Input(None, name, reason=(
                    f"`{name}` cannot be tied to one relation (unqualified column in a join "
                    f"of relations whose columns are unknown)")))
        for star, *leaves in stars.values():
            referenced = _column_name(star.name)
            if len(leaves) == 1:
                inputs.append(self._table_input(leaves[0], referenced, through_star=True))
            else:
                names = ", ".join(self._relation_text(leaf) for leaf in leaves)
                inputs.append(Input(None, referenced, reason=(
                    f"`{referenced}` passes through a `select *` over {names}, whose columns "
                    f"are unknown, so it could come from any of them")))
        kind = _transformation(root, inputs)
        if generated and kind == "identity":
            kind = "transformation"
        return Derivation(column, tuple(dict.fromkeys(inputs)), kind,
                          _expression(root, self.dialect))

    def _function_inputs(self, leaf: LineageNode, parent: LineageNode | None) -> list[Input]:
        """Inputs of a column produced by a table function (``generate_series(a, b)``):
        the columns of its arguments, traced in the scope the function is called from."""
        function = leaf.expression.this
        arguments = list(function.find_all(exp.Column))
        if not arguments:
            return []  # a function of constants
        name = _column_name(leaf.name)
        untraced = [Input(None, name, reason=(
            f"comes from the table function `{function.sql(dialect=self.dialect)[:80]}`, "
            f"whose arguments could not be traced"))]
        if self.depth >= 3 or parent is None or not isinstance(parent.source, exp.Select):
            return untraced
        probe = parent.source.copy()
        probe.set("expressions", [exp.alias_(column.copy(), f"__featureops_arg{i}")
                                  for i, column in enumerate(arguments)])
        ctes = self.query.args.get(_WITH)
        if probe.args.get(_WITH) is None and ctes is not None:
            probe.set(_WITH, ctes.copy())
        try:
            roots = lineage(None, probe, schema=dict(self.schema), dialect=self.dialect,
                            copy=False)
        except _TRACE_ERRORS:
            return untraced
        nested = _Tracer(probe, self.placeholders, self.schema, self.dialect, self.depth + 1)
        return [i for arg, root in roots.items() for i in nested.derivation(arg, root).inputs]

    def _table_input(self, leaf: LineageNode, column: str, through_star: bool = False
                     ) -> Input:
        relation = self.placeholders.get(leaf.expression.name.lower())
        node_id = relation.node_id if relation else None
        if node_id is None:
            return Input(None, column.lower(), reason=(
                f"reads `{self._relation_text(leaf)}`, which is not a node of the manifest "
                f"(a hard-coded relation)"))
        return Input(node_id, column.lower(), through_star)

    def _relation_text(self, leaf: LineageNode) -> str:
        relation = self.placeholders.get(leaf.expression.name.lower())
        if relation is None:
            return leaf.expression.name
        return relation.node_id or relation.text


def _transformation(root: LineageNode, inputs: list[Input]) -> str:
    expressions = [_unalias(node.expression) for node in root.walk()
                   if not isinstance(node.expression, exp.Table)]
    if any(e.find(exp.AggFunc, exp.Window) for e in expressions):
        return "aggregation"  # window functions aggregate over a frame of rows
    if not inputs:
        return "constant"
    if all(isinstance(e, (exp.Column, exp.Star)) for e in expressions):
        return "identity"
    return "transformation"


def _expression(root: LineageNode, dialect: str | None) -> str:
    """The first expression on the way down that does more than rename a column."""
    for node in root.walk():
        expression = _unalias(node.expression)
        if not isinstance(expression, (exp.Column, exp.Star, exp.Table)):
            text = " ".join(expression.sql(dialect=dialect).split())
            return text if len(text) <= _MAX_EXPRESSION else text[:_MAX_EXPRESSION - 1] + "…"
    return ""


def _column_name(reference: str) -> str:
    """The column of a lineage node name (``t.c``, ``"t"."c"``, `` `c` ``), unquoted and
    case-folded."""
    match = _LAST_IDENTIFIER.search(reference)
    name = next(group for group in match.groups() if group is not None) if match else reference
    return name.lower()


def _unalias(expression: exp.Expression) -> exp.Expression:
    return expression.this if isinstance(expression, exp.Alias) else expression


def _first_line(error: BaseException) -> str:
    text = str(error).strip() or type(error).__name__
    return " ".join(text.splitlines()[0].split())[:300]
