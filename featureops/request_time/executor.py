"""Running a request-time view's compiled SQL over request rows, in process.

Two engines. The compiled evaluator (compiled.py: the SQL parsed once, a closure per
column, lookups as dicts) answers in tens of microseconds; it serves a view only when its
SQL is within the evaluator's subset and, over the guard's rows (guard.py), every value
equals DuckDB's. Otherwise, and for a request whose values it cannot vouch for
(``semantics.Fallback``: an overflow, a NaN), the view's SQL runs unchanged in DuckDB.

The DuckDB session is in memory (``autoinstall_known_extensions`` off, UTC, one thread: a
request is a few rows, and thread hand-offs cost more than they save). Each database the
SQL names is attached in memory under the same name, lookups are copied into the same
schema and table, and the input relation is a view over a registered Arrow table, so the
compiled SQL runs unchanged, text and all.

Lookups are checked for a rebuild (a stat, at most every second) on the thread that runs
``run``/``run_columns``; ``run_columns(inline=True)`` never checks and never runs DuckDB
(it raises ``NotInline`` instead), so the serving loop can call it (ADR 0061).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

import pyarrow as pa

from featureops.engines.base import quote_identifier
from featureops.exceptions import FeatureopsError
from featureops.lineage.sql import parse_relation
from featureops.manifest import Manifest, Node
from featureops.request_time import semantics as sem
from featureops.request_time.compiled import CompiledView
from featureops.request_time.errors import NotInline, RequestTimeError
from featureops.request_time.expressions import Unsupported
from featureops.request_time.guard import compare, synthetic_rows
from featureops.request_time.rules import input_node, lookup_nodes, request_time_problems
from featureops.spec import FeatureViewSpec

logger = logging.getLogger(__name__)

_ROWS = "__featureops_request_rows"


#: What a bug or an unforeseen value would raise in the evaluator (never an answer).
_SLIPS = (TypeError, ValueError, ArithmeticError)
#: Rows of the input relation dbt built that the guard reads (beside its synthetic rows).
SAMPLE_ROWS = 1000


class LookupSource(Protocol):
    def load(self, relation_names: Sequence[str]) -> dict[str, pa.Table]: ...

    def changed(self) -> bool: ...

    def due(self) -> bool: ...

    def sample(self, relation_name: str, columns: Sequence[str],
               limit: int) -> pa.Table | None: ...


class RequestTimeExecutor:
    """One request-time view, ready to run; thread-safe (calls are serialised)."""

    def __init__(self, node: Node, spec: FeatureViewSpec, manifest: Manifest,
                 lookups: LookupSource, input_schema: pa.Schema) -> None:
        import duckdb

        errors = [m for severity, _, m in request_time_problems(node, spec, manifest)
                  if severity == "error"]
        if errors or node.compiled_code is None:
            reason = errors[0] if errors else "the manifest has no compiled SQL (dbt compile)"
            raise RequestTimeError(f"request-time view '{node.name}' cannot run: {reason}")
        source = input_node(node, spec, manifest)
        assert source is not None and source.relation_name
        self.name = node.name
        self.sql = node.compiled_code
        self.input_schema = input_schema
        self._input_relation = source.relation_name
        self._lookups = lookups
        self._lookup_names = [n.relation_name for n in lookup_nodes(node, manifest)
                              if n.relation_name]
        self._lock = threading.Lock()
        self._compiled: CompiledView | None = None
        #: "compiled" or "duckdb"; why DuckDB, and what the guard checked
        self.engine, self.reason = "duckdb", ""
        self.checked_rows, self.inexact = 0, 0
        self.conn = duckdb.connect(config={"autoinstall_known_extensions": False,
                                           "threads": 1})
        self.conn.execute("set TimeZone = 'UTC'")
        for relation in (source, *lookup_nodes(node, manifest)):
            self._create_schema(relation)
        self.conn.register(_ROWS, input_schema.empty_table())
        self.conn.execute(f"create view {source.relation_name} as select * from {_ROWS}")
        tables = self._copy_lookups()
        try:
            self.names = [d[0] for d in self.conn.execute(self.sql).description]
        except Exception as error:  # duckdb.Error: the SQL does not bind
            raise RequestTimeError(f"request-time view '{self.name}': "
                                   f"{str(error).splitlines()[0]}") from None
        self._prepare(tables)

    def _create_schema(self, relation: Node) -> None:
        attached = {row[0] for row in self.conn.execute(
            "select database_name from duckdb_databases()").fetchall()}
        if relation.database and relation.database not in attached:
            self.conn.execute(f"attach ':memory:' as {quote_identifier(relation.database)}")
        if relation.schema:
            prefix = f"{quote_identifier(relation.database)}." if relation.database else ""
            self.conn.execute(
                f"create schema if not exists {prefix}{quote_identifier(relation.schema)}")

    def _copy_lookups(self) -> dict[str, pa.Table]:
        tables = self._lookups.load(self._lookup_names)
        for name, table in tables.items():
            self.conn.register("__featureops_lookup", table)
            self.conn.execute(f"create or replace table {name} as "
                              "select * from __featureops_lookup")
            self.conn.unregister("__featureops_lookup")
        return tables

    def _refresh_lookups(self) -> None:
        """Copy the rebuilt lookups and prepare the evaluator again; while the warehouse
        cannot be read (dbt holds its write lock mid-build), keep serving the previous copy
        and try at the next check."""
        try:
            tables = self._copy_lookups()
        except FeatureopsError:
            return
        self._prepare(tables)

    # --- the compiled evaluator -----------------------------------------------------

    def _prepare(self, tables: Mapping[str, pa.Table]) -> None:
        """Compile, bind and check the evaluator; on any refusal keep DuckDB, saying why."""
        try:
            compiled = self._compile(tables)
            self._check(compiled, tables)
        except Unsupported as why:
            self._compiled, self.engine, self.reason = None, "duckdb", str(why)
            logger.info("request-time view '%s' runs on DuckDB (%s)", self.name, why)
            return
        self._compiled, self.engine, self.reason = compiled, "compiled", ""
        logger.info("request-time view '%s' runs on the compiled evaluator (guard: %d rows "
                    "equal to DuckDB's, %d floats within 1e-12 but not bit for bit)",
                    self.name, self.checked_rows, self.inexact)

    def _compile(self, tables: Mapping[str, pa.Table]) -> CompiledView:
        input_key = parse_relation(self._input_relation, "duckdb")
        if input_key is None:
            raise Unsupported(f"cannot read the relation name {self._input_relation}")
        lookups = {}
        for name, table in tables.items():
            key = parse_relation(name, "duckdb")
            if key is None:
                raise Unsupported(f"cannot read the relation name {name}")
            lookups[key] = (name, _columns_of(table.schema))
        compiled = CompiledView(self.sql, input_key, _columns_of(self.input_schema), lookups)
        if [n for n, _ in compiled.output] != [n.lower() for n in self.names]:
            raise Unsupported("its output columns differ from DuckDB's")
        compiled.bind(tables)
        return compiled

    def _check(self, compiled: CompiledView, tables: Mapping[str, pa.Table]) -> None:
        """The guard: both engines over the guard's rows, every value equal."""
        columns = synthetic_rows(_columns_of(self.input_schema), tables, compiled.literals)
        sample = self._lookups.sample(self._input_relation, self.input_schema.names,
                                      SAMPLE_ROWS)
        if sample is not None:
            try:
                built = sample.select(self.input_schema.names).cast(self.input_schema)
            except (pa.ArrowException, KeyError, ValueError):
                built = None
            if built is not None:
                for name in self.input_schema.names:
                    columns[name] = built.column(name).to_pylist() + columns[name]
        count = len(columns[self.input_schema.names[0]])
        kept, found = [], []
        for i in range(count):
            try:
                found.extend(compiled.run({n: [v[i]] for n, v in columns.items()}))
            except sem.Fallback:
                continue  # DuckDB answers this request at serving time too
            except _SLIPS as error:
                raise Unsupported(f"the evaluator fails on a guard row: "
                                  f"{type(error).__name__}: {error}") from None
            kept.append(i)
        table = self._table({n: [v[i] for i in kept] for n, v in columns.items()})
        try:
            expected = self._duckdb(table)
        except RequestTimeError as error:
            raise Unsupported(f"DuckDB fails on the guard's rows where the evaluator does "
                              f"not: {error}") from None
        rows = list(zip(*expected.values(), strict=True)) if expected else []
        why, inexact = compare(rows, found)
        if why is not None:
            raise Unsupported(f"differs from DuckDB on the guard's rows: {why}")
        self.checked_rows, self.inexact = len(kept), inexact

    # --- running ----------------------------------------------------------------------

    def _table(self, columns: Mapping[str, Sequence[Any]]) -> pa.Table:
        """The request rows as the Arrow table the DuckDB session reads."""
        return pa.table({field.name: pa.array(columns[field.name], type=None
                                              if pa.types.is_null(field.type) else field.type)
                         for field in self.input_schema})

    def _answer(self, rows: list[tuple[Any, ...]]) -> dict[str, list[Any]]:
        return {name: [row[i] for row in rows] for i, name in enumerate(self.names)}

    def _duckdb(self, rows: pa.Table) -> dict[str, list[Any]]:
        self.conn.register(_ROWS, rows)
        try:
            cursor = self.conn.execute(self.sql)
            found = cursor.fetchall()
        except Exception as error:  # duckdb.Error: a type clash with the warehouse
            raise RequestTimeError(f"request-time view '{self.name}': "
                                   f"{str(error).splitlines()[0]}") from None
        columns = list(zip(*found, strict=True)) if found else [()] * len(self.names)
        return {name: list(values) for name, values in zip(self.names, columns, strict=True)}

    def run(self, rows: pa.Table) -> dict[str, list[Any]]:
        """The view's rows for ``rows`` (the input relation's columns), column by column
        as Python values."""
        return self.run_columns({name: rows.column(name).to_pylist()
                                 for name in rows.column_names})

    def run_columns(self, columns: Mapping[str, Sequence[Any]],
                    inline: bool = False) -> dict[str, list[Any]]:
        """``run`` over the request's Python columns (no Arrow table on the compiled path).
        ``inline``: only the compiled evaluator, no lookup check (else ``NotInline``)."""
        compiled = self._compiled
        if inline:
            if compiled is None or self._lookups.due():
                raise NotInline
            try:
                return self._answer(compiled.run(columns))
            except (sem.Fallback, *_SLIPS):
                raise NotInline from None
        with self._lock:
            if self._lookups.changed():
                self._refresh_lookups()
            compiled = self._compiled
            if compiled is not None:
                try:
                    return self._answer(compiled.run(columns))
                except sem.Fallback:
                    pass
                except _SLIPS as error:  # a value the guard never met: DuckDB defines it
                    logger.warning("request-time view '%s': the compiled evaluator failed "
                                   "(%s: %s); DuckDB answered", self.name,
                                   type(error).__name__, error)
            return self._duckdb(self._table(columns))

    def close(self) -> None:
        self.conn.close()


def _columns_of(schema: pa.Schema) -> list[tuple[str, str]]:
    """(name, evaluator type) of each field; an untyped chained feature (null
    in the schema) is passed through only."""
    return [(field.name, sem.OPAQUE if pa.types.is_null(field.type)
             else sem.arrow_sql_type(field.type)) for field in schema]
