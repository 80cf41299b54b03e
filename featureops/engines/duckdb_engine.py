"""The DuckDB file dbt built, attached read-only to an in-memory session.

The file is attached under the database name the manifest's relation names use (and made
the current database, so two-part names work too); session tables such as an uploaded
spine live in memory. The session runs in UTC, never downloads extensions
(``autoinstall_known_extensions`` off), applies the profile's ``settings`` and
``extensions``, and looks for relative file paths (external Parquet sources, views over
files) in the project folder, not the current directory.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pyarrow as pa

from featureops.engines.base import (
    Engine,
    WarehouseError,
    first_line,
    quote_identifier,
    sql_string,
)
from featureops.files import replacing

_SETTING = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class DuckDBEngine(Engine):
    adapter_type = "duckdb"

    def __init__(self, path: Path | None, database: str | None = None, *,
                 settings: Mapping[str, Any] | None = None,
                 extensions: Iterable[Any] = (), search_path: Path | None = None,
                 memory_limit: str | None = None, preserve_order: bool = True,
                 source: str = "") -> None:
        """``path`` None: an in-memory session only (tests, scratch work). ``source``
        says where the path came from, for messages."""
        import duckdb

        self.path = path
        self.source = source
        self._error = duckdb.Error
        self._spill = tempfile.TemporaryDirectory(prefix="featureops-duckdb-")
        config: dict[str, Any] = {"autoinstall_known_extensions": False,
                                  "temp_directory": self._spill.name}
        if memory_limit:
            config["memory_limit"] = memory_limit
        if not preserve_order:
            config["preserve_insertion_order"] = False
        try:
            self.conn = duckdb.connect(config=config)
        except duckdb.Error as error:
            self._spill.cleanup()
            raise WarehouseError(f"cannot start DuckDB: {first_line(error)}") from None
        try:
            self.conn.execute("set TimeZone = 'UTC'")
            if search_path is not None:
                self.conn.execute(f"set file_search_path = {sql_string(str(search_path))}")
            self._configure(settings or {}, extensions)
            if path is not None:
                self._attach(path, database or path.stem)
        except BaseException:
            self.close()
            raise

    def describe(self) -> str:
        where = f"DuckDB warehouse {self.path}" if self.path else "in-memory DuckDB"
        return f"{where} ({self.source})" if self.source else where

    def _configure(self, settings: Mapping[str, Any], extensions: Iterable[Any]) -> None:
        for extension in extensions:
            name = extension.get("name") if isinstance(extension, Mapping) else extension
            try:
                self.conn.execute(f"load {sql_string(str(name))}")
            except self._error as error:
                raise WarehouseError(
                    f"{self.describe()}: cannot load DuckDB extension '{name}' named in the "
                    f"profile: {first_line(error)} (featureops never downloads extensions; "
                    "`dbt debug` or `dbt build` installs them)") from None
        for name, value in settings.items():
            if name == "autoinstall_known_extensions":
                continue  # stays off: no downloads at run time
            if not _SETTING.fullmatch(str(name)):
                raise WarehouseError(f"{self.describe()}: '{name}' in the profile's settings "
                                     "is not a DuckDB setting name")
            literal = (str(value).lower() if isinstance(value, bool) else
                       str(value) if isinstance(value, (int, float)) else sql_string(str(value)))
            try:
                self.conn.execute(f"set {name} = {literal}")
            except self._error as error:
                raise WarehouseError(f"{self.describe()}: cannot apply the profile's DuckDB "
                                     f"setting {name}: {first_line(error)}") from None

    def _attach(self, path: Path, alias: str) -> None:
        if not path.is_file():
            raise WarehouseError(
                f"DuckDB warehouse {path} does not exist"
                f"{f' ({self.source})' if self.source else ''}: run `dbt build` first, or "
                "pass --warehouse with the file dbt built")
        try:
            self.conn.execute(f"attach {sql_string(str(path))} as {quote_identifier(alias)} "
                              "(read_only)")
            self.conn.execute(f"use {quote_identifier(alias)}")
        except self._error as error:
            raise WarehouseError(f"cannot open the {self.describe()}: {first_line(error)} (is "
                                 "dbt still writing to it?)") from None

    def to_arrow(self, sql: str) -> pa.Table:
        return self._run(lambda: self.conn.sql(sql).to_arrow_table())

    def batches(self, sql: str, batch_size: int) -> Iterator[pa.RecordBatch]:
        # A cursor of its own: the batches may be drained from another thread.
        reader = self._run(lambda: self.conn.cursor().sql(sql).to_arrow_reader(batch_size))
        while True:
            try:
                batch = reader.read_next_batch()
            except StopIteration:
                return
            except (pa.ArrowException, self._error) as error:
                raise WarehouseError(f"{self.describe()}: {first_line(error)}") from None
            if batch.num_rows:
                yield batch

    def schema(self, sql: str) -> pa.Schema:
        return self.to_arrow(f"select * from ({sql}) as query limit 0").schema

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

    def materialize(self, name: str, sql: str) -> None:
        """A query's result as a temporary table of this session (replacing one of the
        same name); each such statement frees its operators' memory when it ends."""
        self._run(lambda: self.conn.execute(
            f"create or replace temporary table {quote_identifier(name)} as {sql}"))

    def drop_temporary(self, name: str) -> None:
        self._run(lambda: self.conn.execute(
            f"drop table if exists temp.main.{quote_identifier(name)}"))

    def columns(self, schema: str, table: str) -> list[tuple[str, str]]:
        rows = self._run(lambda: self.conn.execute(
            "select column_name, data_type from information_schema.columns "
            "where table_catalog = current_database() and table_schema = ? "
            "and table_name = ? order by ordinal_position", [schema, table]).fetchall())
        return [(str(name), str(data_type)) for name, data_type in rows]

    def read_table(self, path: Path) -> pa.Table:
        """A Parquet or CSV file, read by DuckDB (several times faster than pyarrow here)."""
        reader = "read_csv_auto" if path.suffix.lower() == ".csv" else "read_parquet"
        try:
            return self.conn.sql(f"select * from {reader}({sql_string(str(path.resolve()))})"
                                 ).to_arrow_table()
        except self._error as error:
            raise WarehouseError(f"cannot read {path}: {first_line(error)}") from None

    def to_parquet(self, sql: str, out: Path, metadata: Mapping[str, str] | None = None
                   ) -> None:
        """Written by DuckDB itself (no Python copy), atomically."""
        pairs = ", ".join(f"{sql_string(key)}: {sql_string(value)}"
                          for key, value in (metadata or {}).items())
        options = f", kv_metadata {{{pairs}}}" if pairs else ""
        with replacing(out.resolve()) as partial:
            self._run(lambda: self.conn.execute(
                f"copy ({sql}) to {sql_string(str(partial))} (format parquet, "
                f"compression zstd{options})"))

    def _run(self, action: Any) -> Any:
        try:
            return action()
        except self._error as error:
            raise WarehouseError(f"{self.describe()}: {first_line(error)}") from None

    def close(self) -> None:
        conn = getattr(self, "conn", None)
        if conn is not None:
            conn.close()
        self._spill.cleanup()
