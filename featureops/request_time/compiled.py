"""A request-time view's compiled SQL turned into a Python evaluator, once: parsed and
qualified with sqlglot (DuckDB dialect) against the input relation's and lookups' columns,
each SELECT compiled to a stage over row tuples, each expression to a closure
(expressions.py). A request then costs tens of microseconds, against a DuckDB query's
1.5-2 ms of fixed cost (ADR 0061).

The subset: SELECTs (in CTEs, subqueries or the main query) over the input relation, with
LEFT or INNER joins to lookups (seeds, or CTEs selecting a seed's columns) on equalities
of lookup columns (a dict lookup per row), WHERE filters and projections. Anything else
raises ``Unsupported`` naming the construct; the executor then keeps DuckDB.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError
from sqlglot.optimizer.qualify import qualify

from featureops.lineage.sql import RelationKey, relation_key
from featureops.request_time import semantics as sem
from featureops.request_time.expressions import ExpressionCompiler, Fn, Row, Typed, Unsupported

Columns = list[tuple[str, str]]  # (lower-case name, type)
State = tuple[dict[Any, list[Row]], ...]  # one index per join, keyed by its key value(s)

_SELECT_ARGS = {"with_", "expressions", "from_", "joins", "where"}
_DUCKDB_TYPES = {sem.BIGINT: "BIGINT", sem.INTEGER: "INTEGER", sem.DOUBLE: "DOUBLE",
                 sem.TEXT: "VARCHAR", sem.BOOLEAN: "BOOLEAN", sem.TIMESTAMP: "TIMESTAMP"}
_KEY_CLASSES = {sem.BIGINT: "int", sem.INTEGER: "int", sem.DOUBLE: "double",
                sem.TEXT: "text", sem.BOOLEAN: "boolean", sem.TIMESTAMP: "timestamp"}


@dataclass(frozen=True)
class Lookup:
    """A lookup relation: some columns of a seed (picked by position in its table)."""

    relation: str  # the seed's relation_name (the key of the loaded tables)
    columns: Columns
    picks: tuple[int, ...]


@dataclass(frozen=True)
class Stage:
    """A relation computed per request: rows of ``columns`` from the input rows."""

    columns: Columns
    run: Callable[[list[Row], State], list[Row]]


@dataclass(frozen=True)
class _Join:
    lookup: Lookup
    keys: tuple[int, ...]  # positions in the lookup's columns


class CompiledView:
    """The evaluator of one view's SQL; ``bind`` gives it the lookups' rows."""

    def __init__(self, sql: str, input_key: RelationKey, input_columns: Columns,
                 lookups: Mapping[RelationKey, tuple[str, Columns]]) -> None:
        self.input_names = [name for name, _ in input_columns]  # as the request names them
        self._input_key = input_key
        self._input_columns = _lowered(input_columns)  # DuckDB folds identifiers' case
        self._lookups = {key: (relation, _lowered(columns))
                         for key, (relation, columns) in lookups.items()}
        self._joins: list[_Join] = []
        self._state: State = ()
        query = _qualified(sql, {input_key: self._input_columns,
                                 **{k: c for k, (_, c) in self._lookups.items()}})
        #: the SQL's string literals (the guard draws request values from them)
        self.literals = [lit.this for lit in query.find_all(exp.Literal) if lit.is_string]
        self._normalise = [sem.python_value(kind) if kind in (sem.DOUBLE, sem.TIMESTAMP)
                           else None for _, kind in input_columns]
        relation = self._relation(query, {})
        if not isinstance(relation, Stage):
            raise Unsupported("the query reads no request rows")
        self.output: Columns = relation.columns
        self._run = relation.run

    # --- running ------------------------------------------------------------------

    def bind(self, tables: Mapping[str, pa.Table]) -> None:
        """Index the lookups' rows for the joins (a new state, swapped in at once)."""
        indexes = []
        for join in self._joins:
            rows = _lookup_rows(join.lookup, tables[join.lookup.relation])
            index: dict[Any, list[Row]] = {}
            for row in rows:
                key = tuple(row[i] for i in join.keys)
                if None in key:
                    continue  # a NULL key never equals anything
                index.setdefault(key[0] if len(key) == 1 else key, []).append(row)
            indexes.append(index)
        self._state = tuple(indexes)

    def run(self, columns: Mapping[str, Sequence[Any]]) -> list[Row]:
        """The view's rows for request ``columns`` (the input relation's, by name)."""
        lists = []
        for name, normalise in zip(self.input_names, self._normalise, strict=True):
            values = columns[name]
            if normalise is not None:
                values = [None if v is None else normalise(v) for v in values]
            lists.append(values)
        return self._run(list(zip(*lists, strict=True)), self._state)

    # --- compiling ----------------------------------------------------------------

    def _relation(self, node: exp.Expression, ctes: dict[str, Stage | Lookup]
                  ) -> Stage | Lookup:
        if isinstance(node, exp.Subquery):
            return self._relation(node.this, ctes)
        if not isinstance(node, exp.Select):
            raise Unsupported(f"{type(node).__name__.lower()} (only SELECT)")
        extra = [k for k in exp.Select.arg_types
                 if k not in _SELECT_ARGS and node.args.get(k) not in (None, [], False)]
        if extra:
            raise Unsupported(f"{extra[0].rstrip('_')} in a SELECT")
        scoped = dict(ctes)
        with_ = node.args.get("with_")
        if with_ is not None:
            if with_.args.get("recursive"):
                raise Unsupported("recursive CTE")
            for cte in with_.expressions:
                scoped[cte.alias_or_name.lower()] = self._relation(cte.this, scoped)
        from_ = node.args.get("from_")
        if from_ is None:
            raise Unsupported("SELECT without FROM")
        alias, source = self._source(from_.this, scoped)
        if isinstance(source, Lookup):
            return self._lookup_selection(node, alias, source)
        return self._stage(node, alias, source, scoped)

    def _source(self, node: exp.Expression, ctes: dict[str, Stage | Lookup]
                ) -> tuple[str, Stage | Lookup]:
        alias = node.alias_or_name.lower()
        if isinstance(node, exp.Subquery):
            return alias, self._relation(node.this, ctes)
        if not isinstance(node, exp.Table) or node.args.get("joins"):
            raise Unsupported(f"FROM {node.sql(dialect='duckdb')[:50]}")
        key = relation_key(node)
        if len(key) == 1 and key[0] in ctes:
            return alias, ctes[key[0]]
        if key == self._input_key:
            columns = self._input_columns
            return alias, Stage(columns, lambda rows, state: rows)
        if key in self._lookups:
            relation, columns = self._lookups[key]
            return alias, Lookup(relation, columns, tuple(range(len(columns))))
        raise Unsupported(f"reads {'.'.join(key)}")

    def _lookup_selection(self, node: exp.Select, alias: str, source: Lookup) -> Lookup:
        """A CTE over a lookup: only a choice of its columns (it is joined, never scanned)."""
        if node.args.get("joins") or node.args.get("where"):
            raise Unsupported("a join or filter over a lookup (only its columns may be chosen)")
        names = [c for c, _ in source.columns]
        columns, picks = [], []
        for projection in node.expressions:
            column = projection.this if isinstance(projection, exp.Alias) else projection
            if not isinstance(column, exp.Column) or column.table.lower() != alias:
                raise Unsupported(f"a computed column over a lookup: "
                                  f"{projection.sql(dialect='duckdb')[:50]}")
            position = names.index(column.name.lower())
            columns.append((projection.alias_or_name.lower(), source.columns[position][1]))
            picks.append(source.picks[position])
        return Lookup(source.relation, columns, tuple(picks))

    def _stage(self, node: exp.Select, alias: str, source: Stage,
               ctes: dict[str, Stage | Lookup]) -> Stage:
        scope: dict[tuple[str, str], tuple[int, str]] = {
            (alias, name): (i, kind) for i, (name, kind) in enumerate(source.columns)}
        width = len(source.columns)
        joins: list[tuple[int, list[Fn], bool, int]] = []  # slot, key fns, left, width
        for join in node.args.get("joins") or []:
            joined_alias, joined = self._source(join.this, ctes)
            if not isinstance(joined, Lookup):
                raise Unsupported("a join to something other than a lookup (seed)")
            if join.side not in ("", "LEFT") or join.kind not in ("", "INNER") or \
                    join.args.get("using") or join.args.get("method"):
                raise Unsupported(f"{join.side or join.kind or 'cross'} join")
            key_fns, key_positions = self._join_keys(join.args.get("on"), joined_alias,
                                                     joined, scope)
            self._joins.append(_Join(joined, tuple(key_positions)))
            joins.append((len(self._joins) - 1, key_fns, join.side == "LEFT",
                          len(joined.columns)))
            for i, (name, kind) in enumerate(joined.columns):
                scope[(joined_alias, name)] = (width + i, kind)
            width += len(joined.columns)
        compiler = ExpressionCompiler(scope)
        where = None
        if node.args.get("where") is not None:
            condition = compiler.compile(node.args["where"].this)
            if condition.type not in (sem.BOOLEAN, sem.NULL, sem.ANY):
                raise Unsupported(f"WHERE of type {condition.type}")
            where = condition.fn
        projections = [compiler.compile(p) for p in node.expressions]
        columns = [(p.alias_or_name.lower(), t.type)
                   for p, t in zip(node.expressions, projections, strict=True)]
        return Stage(columns, _stage_runner(source, joins, where, projections, node, alias))

    def _join_keys(self, on: exp.Expression | None, alias: str, lookup: Lookup,
                   scope: Mapping[tuple[str, str], tuple[int, str]]
                   ) -> tuple[list[Fn], list[int]]:
        """The join's ON as equalities of lookup columns to expressions of earlier rows."""
        if on is None:
            raise Unsupported("a join without ON")
        equalities = list(on.flatten()) if isinstance(on, exp.And) else [on]
        names = [c for c, _ in lookup.columns]
        compiler = ExpressionCompiler(scope)
        fns, positions = [], []
        for equality in equalities:
            equality = equality.unnest()
            if not isinstance(equality, exp.EQ):
                raise Unsupported(f"join condition {equality.sql(dialect='duckdb')[:50]} "
                                  "(only equalities)")
            sides = [equality.this, equality.expression]
            mine = [isinstance(s, exp.Column) and s.table.lower() == alias for s in sides]
            if mine.count(True) != 1:
                raise Unsupported(f"join condition {equality.sql(dialect='duckdb')[:50]}")
            column, other = (sides[0], sides[1]) if mine[0] else (sides[1], sides[0])
            if any(c.table.lower() == alias for c in other.find_all(exp.Column)):
                raise Unsupported("a join condition comparing two lookup columns")
            position = names.index(column.name.lower())
            typed: Typed = compiler.compile(other)
            kinds = {_KEY_CLASSES.get(typed.type, typed.type),
                     _KEY_CLASSES.get(lookup.columns[position][1], lookup.columns[position][1])}
            if sem.ANY not in kinds and (len(kinds) != 1 or kinds & {sem.NULL, sem.OPAQUE}):
                raise Unsupported(f"join key of types {typed.type} and "
                                  f"{lookup.columns[position][1]}")
            fns.append(typed.fn)
            positions.append(position)
        return fns, positions


def _stage_runner(source: Stage, joins: list[tuple[int, list[Fn], bool, int]],
                  where: Fn | None, projections: list[Typed], node: exp.Select,
                  alias: str) -> Callable[[list[Row], State], list[Row]]:
    upstream = source.run
    fns = [p.fn for p in projections]
    if not joins and where is None and _selects_all(node, alias, source.columns):
        return upstream  # select * from x: nothing to compute
    plans = [(slot, keys[0] if len(keys) == 1 else None, keys, left, (None,) * width)
             for slot, keys, left, width in joins]

    def run(rows: list[Row], state: State) -> list[Row]:
        out = []
        for row in upstream(rows, state):
            envs = [row]
            for slot, single, keys, left, nulls in plans:
                index, joined = state[slot], []
                for env in envs:
                    if single is not None:
                        key = single(env)
                        matches = None if key is None else index.get(key)
                    else:
                        parts = tuple(k(env) for k in keys)
                        matches = None if None in parts else index.get(parts)
                    if matches:
                        joined.extend(env + match for match in matches)
                    elif left:
                        joined.append(env + nulls)
                envs = joined
            for env in envs:
                if where is None or where(env) is True:
                    out.append(tuple([fn(env) for fn in fns]))
        return out
    return run


def _lowered(columns: Columns) -> Columns:
    return [(name.lower(), kind) for name, kind in columns]


def _selects_all(node: exp.Select, alias: str, columns: Columns) -> bool:
    """Whether the projections are the source's columns, in order, unchanged."""
    chosen = [p.this if isinstance(p, exp.Alias) else p for p in node.expressions]
    return len(chosen) == len(columns) and all(
        isinstance(c, exp.Column) and c.table.lower() == alias and c.name.lower() == name
        and p.alias_or_name.lower() == name
        for c, p, (name, _) in zip(chosen, node.expressions, columns, strict=True))


def _lookup_rows(lookup: Lookup, table: pa.Table) -> list[Row]:
    """A lookup's rows (its chosen columns), refusing types and values it was not
    compiled for (the seed was rebuilt differently) and NaN or infinite doubles."""
    columns = []
    for (name, kind), pick in zip(lookup.columns, lookup.picks, strict=True):
        found = sem.arrow_sql_type(table.schema.field(pick).type)
        if found != kind:
            raise Unsupported(f"lookup {lookup.relation} column {name} is now {found}")
        values = table.column(pick).to_pylist()
        if kind == sem.DOUBLE and any(v is not None and v - v != 0.0 for v in values):
            raise Unsupported(f"lookup {lookup.relation} column {name} holds NaN or "
                              "infinite doubles")
        columns.append(values)
    return list(zip(*columns, strict=True)) if columns else [() for _ in range(table.num_rows)]


def _qualified(sql: str, schemas: Mapping[RelationKey, Columns]) -> exp.Expression:
    """``sql`` parsed (DuckDB), its stars expanded and columns qualified with the known
    relations' columns."""
    depths = {len(key) for key in schemas}
    if len(depths) != 1:
        raise Unsupported("relation names of different depths")
    schema: dict[str, Any] = {}
    for key, columns in schemas.items():
        level = schema
        for part in key[:-1]:
            level = level.setdefault(part, {})
        level[key[-1]] = {name: _DUCKDB_TYPES.get(kind, "VARCHAR") for name, kind in columns}
    try:
        statements = [s for s in sqlglot.parse(sql, read="duckdb") if s is not None]
        if len(statements) != 1:
            raise Unsupported("more than one statement")
        ctes = {cte.alias_or_name.lower() for cte in statements[0].find_all(exp.CTE)}
        for table in statements[0].find_all(exp.Table):
            key = relation_key(table)
            if key not in schemas and not (len(key) == 1 and key[0] in ctes):
                raise Unsupported(f"reads {'.'.join(key)}")
        return qualify(statements[0], schema=schema, dialect="duckdb",
                       validate_qualify_columns=True, quote_identifiers=False)
    except SqlglotError as error:
        raise Unsupported(f"sqlglot: {str(error).splitlines()[0][:80]}") from None
