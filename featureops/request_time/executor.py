"""Running a request-time view's compiled SQL over request rows, in process.

The session is an in-memory DuckDB (``autoinstall_known_extensions`` off, UTC, one
thread: a request is a few rows, and thread hand-offs cost more than they save). Each
database the SQL names is attached in memory under the same name, lookups are copied into
the same schema and table, and the input relation is a view over a registered Arrow table,
so the compiled SQL runs unchanged, text and all. One call: register the request's table,
run the SQL, read the result (the SQL text is built once, never re-read from the manifest).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any, Protocol

import pyarrow as pa

from featureops.engines.base import quote_identifier
from featureops.exceptions import FeatureopsError
from featureops.manifest import Manifest, Node
from featureops.request_time.errors import RequestTimeError
from featureops.request_time.rules import input_node, lookup_nodes, request_time_problems
from featureops.spec import FeatureViewSpec

_ROWS = "__featureops_request_rows"


class LookupSource(Protocol):
    def load(self, relation_names: Sequence[str]) -> dict[str, pa.Table]: ...

    def changed(self) -> bool: ...


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
        self._lookups = lookups
        self._lookup_names = [n.relation_name for n in lookup_nodes(node, manifest)
                              if n.relation_name]
        self._lock = threading.Lock()
        self.conn = duckdb.connect(config={"autoinstall_known_extensions": False,
                                           "threads": 1})
        self.conn.execute("set TimeZone = 'UTC'")
        for relation in (source, *lookup_nodes(node, manifest)):
            self._create_schema(relation)
        self.conn.register(_ROWS, input_schema.empty_table())
        self.conn.execute(f"create view {source.relation_name} as select * from {_ROWS}")
        self._copy_lookups()

    def _create_schema(self, relation: Node) -> None:
        attached = {row[0] for row in self.conn.execute(
            "select database_name from duckdb_databases()").fetchall()}
        if relation.database and relation.database not in attached:
            self.conn.execute(f"attach ':memory:' as {quote_identifier(relation.database)}")
        if relation.schema:
            prefix = f"{quote_identifier(relation.database)}." if relation.database else ""
            self.conn.execute(
                f"create schema if not exists {prefix}{quote_identifier(relation.schema)}")

    def _copy_lookups(self) -> None:
        tables = self._lookups.load(self._lookup_names)
        for name, table in tables.items():
            self.conn.register("__featureops_lookup", table)
            self.conn.execute(f"create or replace table {name} as "
                              "select * from __featureops_lookup")
            self.conn.unregister("__featureops_lookup")

    def _refresh_lookups(self) -> None:
        """Copy the rebuilt lookups; while the warehouse cannot be read (dbt holds its
        write lock mid-build), keep serving the previous copy and try at the next check."""
        try:
            self._copy_lookups()
        except FeatureopsError:
            return

    def run(self, rows: pa.Table) -> dict[str, list[Any]]:
        """The view's rows for ``rows`` (the input relation's columns), column by column
        as Python values (fetchall: cheaper than an Arrow result for a few rows)."""
        with self._lock:
            if self._lookups.changed():
                self._refresh_lookups()
            self.conn.register(_ROWS, rows)
            try:
                cursor = self.conn.execute(self.sql)
                found = cursor.fetchall()
            except Exception as error:  # duckdb.Error: a type clash with the warehouse
                raise RequestTimeError(f"request-time view '{self.name}': "
                                       f"{str(error).splitlines()[0]}") from None
            names = [d[0] for d in cursor.description]
        columns = list(zip(*found, strict=True)) if found else [()] * len(names)
        return {name: list(values) for name, values in zip(names, columns, strict=True)}

    def close(self) -> None:
        self.conn.close()
