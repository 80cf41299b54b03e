"""The engines a training set is computed in: the DuckDB file `dbt build` wrote (the default)
and Postgres (the second engine, used by the cross-engine tests).

Both run in UTC: a spine with time-zone-aware timestamps is compared with the views' UTC
timestamps as instants, never through a machine's local zone.
"""

from __future__ import annotations

import contextlib
import io
import os
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol

import pyarrow as pa

from featureops.offline.errors import TrainingSetError
from featureops.offline.macros import quote_identifier
from featureops.offline.spine import read_arrow_file
from featureops.profiles import duckdb_warehouse_path
from featureops.project import Project


class Warehouse(Protocol):
    adapter_type: str

    def read_table(self, path: Path) -> pa.Table: ...

    def register(self, name: str, table: pa.Table) -> None: ...

    def to_arrow(self, sql: str) -> pa.Table: ...

    def close(self) -> None: ...


def open_warehouse(project: Project, warehouse: str | os.PathLike[str] | Warehouse | None,
                   database: str | None,
                   memory_limit: str | None = None) -> tuple[Warehouse, bool]:
    """An open engine for ``warehouse`` (a DuckDB file path, None for the default file, or
    an engine the caller opened), and whether the caller must close it."""
    if warehouse is None or isinstance(warehouse, (str, os.PathLike)):
        return DuckDBWarehouse(duckdb_path(project, warehouse), database,
                               memory_limit=memory_limit), True
    return warehouse, False


def duckdb_path(project: Project, explicit: str | os.PathLike[str] | None = None) -> Path:
    """Where dbt wrote the DuckDB warehouse (featureops.profiles), checked to exist."""
    path = duckdb_warehouse_path(project, explicit)
    if not path.is_file():
        raise TrainingSetError(
            f"no DuckDB warehouse at {path}: run `dbt build` first, or pass --warehouse "
            "(or set FEATUREOPS_DUCKDB_PATH) to the file dbt built"
        )
    return path


class DuckDBWarehouse:
    """A read-only attachment of the warehouse file under the database name the manifest's
    relation names use, plus an in-memory scratch area for the spine."""

    adapter_type = "duckdb"

    def __init__(self, path: Path | None, database: str | None = None, *,
                 memory_limit: str | None = None) -> None:
        import duckdb

        config: dict[str, Any] = {"autoinstall_known_extensions": False}
        if memory_limit:
            config["memory_limit"] = memory_limit
        self.path = path
        self.conn = duckdb.connect(config=config)
        self.conn.execute("set TimeZone = 'UTC'")
        if path is not None:
            self._attach(path, database or path.stem)

    def _attach(self, path: Path, alias: str) -> None:
        import duckdb

        try:
            self.conn.execute(
                f"attach {_sql_string(str(path))} as {quote_identifier(alias)} (read_only)"
            )
        except duckdb.Error as error:
            self.conn.close()
            raise TrainingSetError(
                f"cannot open the DuckDB warehouse {path}: {_first_line(error)} (is dbt still "
                "writing to it?)"
            ) from None

    def read_table(self, path: Path) -> pa.Table:
        """A Parquet or CSV file, read by DuckDB (several times faster than pyarrow here)."""
        reader = "read_csv_auto" if path.suffix.lower() == ".csv" else "read_parquet"
        try:
            return self.conn.sql(f"select * from {reader}({_sql_string(str(path))})"
                                 ).to_arrow_table()
        except duckdb_error() as error:
            raise TrainingSetError(f"cannot read spine file {path}: {_first_line(error)}"
                                   ) from None

    def register(self, name: str, table: pa.Table) -> None:
        """Copy the table into a temporary DuckDB table: joins scan it in parallel, which
        they do not do over a Python Arrow object (about 15% faster at 1M rows)."""
        view = f"{name}__arrow"
        self.conn.register(view, table)
        try:
            self._run(lambda: self.conn.execute(
                f"create or replace temporary table {quote_identifier(name)} as "
                f"select * from {quote_identifier(view)}"))
        finally:
            self.conn.unregister(view)

    def to_arrow(self, sql: str) -> pa.Table:
        return self._run(lambda: self.conn.sql(sql).to_arrow_table())

    def to_parquet(self, sql: str, out: Path) -> None:
        """Write the result straight from DuckDB (no Python copy), atomically: a temporary
        file in the same folder, renamed over the target once complete."""
        out.parent.mkdir(parents=True, exist_ok=True)
        partial = out.with_name(f".{out.name}.{uuid.uuid4().hex[:8]}.partial")
        try:
            self._run(lambda: self.conn.execute(
                f"copy ({sql}) to {_sql_string(str(partial))} "
                "(format parquet, compression zstd)"
            ))
            os.replace(partial, out)
        finally:
            with contextlib.suppress(FileNotFoundError):
                partial.unlink()

    def _run(self, action: Any) -> Any:
        import duckdb

        try:
            return action()
        except duckdb.Error as error:
            raise TrainingSetError(f"{self.path}: {_first_line(error)}") from None

    def close(self) -> None:
        self.conn.close()


class PostgresWarehouse:
    """A Postgres session in UTC; the spine goes into a temporary table by COPY."""

    adapter_type = "postgres"

    def __init__(self, dsn: Mapping[str, Any]) -> None:
        import psycopg2

        self.conn = psycopg2.connect(**dsn)
        self.conn.autocommit = True
        with self.conn.cursor() as cursor:
            cursor.execute("set time zone 'UTC'")

    def read_table(self, path: Path) -> pa.Table:
        return read_arrow_file(path)

    def register(self, name: str, table: pa.Table) -> None:
        import pyarrow.csv as pacsv

        columns = ", ".join(f"{quote_identifier(f.name)} {_postgres_type(f)}"
                            for f in table.schema)
        buffer = io.BytesIO()
        pacsv.write_csv(table, buffer, pacsv.WriteOptions(include_header=False))
        buffer.seek(0)
        with self.conn.cursor() as cursor:
            cursor.execute(f"drop table if exists {quote_identifier(name)}")
            cursor.execute(f"create temporary table {quote_identifier(name)} ({columns})")
            cursor.copy_expert(f"copy {quote_identifier(name)} from stdin with (format csv)",
                               io.TextIOWrapper(buffer, encoding="utf-8"))
            # Statistics, so the planner neither misjudges the join nor JIT-compiles it.
            cursor.execute(f"analyze {quote_identifier(name)}")

    def to_arrow(self, sql: str) -> pa.Table:
        import psycopg2

        try:
            with self.conn.cursor() as cursor:
                cursor.execute(sql)
                names = [d.name for d in cursor.description]
                rows = cursor.fetchall()
        except psycopg2.Error as error:
            raise TrainingSetError(f"postgres: {_first_line(error)}") from None
        return pa.table({name: [row[i] for row in rows] for i, name in enumerate(names)})

    def close(self) -> None:
        self.conn.close()


_POSTGRES_TYPES = {
    pa.int8(): "smallint", pa.int16(): "smallint", pa.int32(): "integer", pa.int64(): "bigint",
    pa.float32(): "real", pa.float64(): "double precision", pa.bool_(): "boolean",
    pa.string(): "text", pa.large_string(): "text", pa.date32(): "date",
}


def _postgres_type(field: pa.Field) -> str:
    if pa.types.is_timestamp(field.type):
        return "timestamptz" if field.type.tz else "timestamp"
    try:
        return _POSTGRES_TYPES[field.type]
    except KeyError:
        raise TrainingSetError(
            f"spine column '{field.name}' has type {field.type}, which featureops does not "
            "load into Postgres (use integers, floats, booleans, text, dates or timestamps)"
        ) from None


def duckdb_error() -> type[Exception]:
    import duckdb

    return duckdb.Error


def _sql_string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
