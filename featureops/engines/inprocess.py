"""An in-memory DuckDB session in which a project's compiled SQL runs unchanged over rows
that did not come from the warehouse (request fields, stream events).

Relations are recreated under their qualified names: each database the SQL names is
attached in memory under the same name, lookups copied from the warehouse become tables,
models computed from the rows become views, and the rows themselves are a registered
Arrow table, replaced per call. The session is one thread (a call is a small batch:
thread hand-offs cost more than they save), UTC, with extension autoloading off.
"""

from __future__ import annotations

from collections.abc import Mapping

import pyarrow as pa

from featureops.engines.base import first_line, quote_identifier
from featureops.exceptions import FeatureopsError

#: The name the rows of a call are registered under.
ROWS = "__featureops_rows"


class InProcessError(FeatureopsError):
    """The compiled SQL does not run in the in-process session (message says which)."""


class InProcessSession:
    """One DuckDB connection holding copies of relations; not thread-safe (one caller)."""

    def __init__(self) -> None:
        import duckdb

        self.conn = duckdb.connect(config={"autoinstall_known_extensions": False,
                                           "threads": 1})
        self.conn.execute("set TimeZone = 'UTC'")

    def ensure_schema(self, database: str | None, schema: str | None) -> None:
        """Attach ``database`` in memory (once) and create ``schema`` in it."""
        attached = {row[0] for row in self.conn.execute(
            "select database_name from duckdb_databases()").fetchall()}
        if database and database not in attached:
            self.conn.execute(f"attach ':memory:' as {quote_identifier(database)}")
        if schema:
            prefix = f"{quote_identifier(database)}." if database else ""
            self.conn.execute(f"create schema if not exists {prefix}{quote_identifier(schema)}")

    def copy_tables(self, tables: Mapping[str, pa.Table]) -> None:
        """Each table under its relation name (``"db"."schema"."name"``), replacing it."""
        for name, table in tables.items():
            self.conn.register("__featureops_copy", table)
            try:
                self.conn.execute(f"create or replace table {name} as "
                                  "select * from __featureops_copy")
            finally:
                self.conn.unregister("__featureops_copy")

    def create_view(self, relation_name: str, sql: str, what: str) -> None:
        """``relation_name`` as a view over ``sql``; ``what`` names the SQL in errors."""
        try:
            self.conn.execute(f"create or replace view {relation_name} as {sql}")
        except Exception as error:  # duckdb.Error: the SQL does not bind here
            raise InProcessError(f"{what}: {first_line(error)}") from None

    def set_rows(self, rows: pa.Table) -> None:
        """The rows the SQL reads as ``ROWS`` from now on."""
        self.conn.register(ROWS, rows)

    def query(self, sql: str, what: str) -> pa.Table:
        try:
            return self.conn.sql(sql).to_arrow_table()
        except Exception as error:  # duckdb.Error: a type clash, a failed cast...
            raise InProcessError(f"{what}: {first_line(error)}") from None

    def close(self) -> None:
        self.conn.close()
