"""What every warehouse engine offers the commands: queries to Arrow (whole or streamed in
batches), a result's schema, session-private tables for uploaded data (spines), a
relation's declared column types and atomic Parquet output."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, ClassVar

import pyarrow as pa

from featureops.exceptions import FeatureopsError
from featureops.files import replacing


class WarehouseError(FeatureopsError):
    """The warehouse cannot be found, opened or read."""


class Engine(ABC):
    """An open session on the warehouse dbt built; close it (or use ``with``)."""

    adapter_type: ClassVar[str]
    #: The engine's name of the unbounded text type, for casts.
    text_type: ClassVar[str] = "varchar"

    @abstractmethod
    def describe(self) -> str:
        """The warehouse in words, for messages ("DuckDB warehouse /x.duckdb (...)")."""

    @abstractmethod
    def to_arrow(self, sql: str) -> pa.Table:
        """The whole result of a query."""

    @abstractmethod
    def batches(self, sql: str, batch_size: int) -> Iterator[pa.RecordBatch]:
        """The result in batches of at most ``batch_size`` rows, streamed from the engine
        (the whole result is never held in Python)."""

    @abstractmethod
    def schema(self, sql: str) -> pa.Schema:
        """The Arrow schema of a query's result, without reading its rows."""

    @abstractmethod
    def register(self, name: str, table: pa.Table) -> None:
        """Upload ``table`` as a temporary table of this session (replacing one of the
        same name); the warehouse itself is not written."""

    @abstractmethod
    def columns(self, schema: str, table: str) -> list[tuple[str, str]]:
        """(name, declared type) of a relation's columns in order; empty if it is missing."""

    @abstractmethod
    def close(self) -> None: ...

    def quote(self, name: str) -> str:
        """An identifier quoted for this engine's SQL (Spark overrides it: backquotes)."""
        return quote_identifier(name)

    def read_table(self, path: Path) -> pa.Table:
        """A Parquet or CSV file as Arrow (engines that read files faster override it)."""
        return read_arrow_file(path)

    def to_parquet(self, sql: str, out: Path, metadata: Mapping[str, str] | None = None
                   ) -> None:
        """Write a query's result as Parquet, atomically (featureops.files), batch by
        batch; ``metadata``: key-value pairs for the file's footer."""
        import pyarrow.parquet as pq

        def with_metadata(schema: pa.Schema) -> pa.Schema:
            return schema.with_metadata({**(schema.metadata or {}), **(metadata or {})})

        with replacing(out) as partial:
            writer = None
            try:
                for batch in self.batches(sql, 65_536):
                    if writer is None:
                        writer = pq.ParquetWriter(partial, with_metadata(batch.schema),
                                                  compression="zstd")
                    writer.write_batch(batch)
                if writer is None:
                    pq.write_table(with_metadata(self.schema(sql)).empty_table(), partial,
                                   compression="zstd")
            finally:
                if writer is not None:
                    writer.close()

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *_: Any) -> None:
        self.close()


def read_arrow_file(path: Path) -> pa.Table:
    """A Parquet or CSV file as an Arrow table (types inferred from CSV text)."""
    try:
        if path.suffix.lower() == ".csv":
            import pyarrow.csv as pacsv

            return pacsv.read_csv(path)
        import pyarrow.parquet as pq

        return pq.read_table(path)
    except (OSError, pa.ArrowInvalid) as error:
        raise WarehouseError(f"cannot read {path}: {first_line(error)}") from None


def sql_string(text: str) -> str:
    """A SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def quote_identifier(name: str) -> str:
    """A double-quoted SQL identifier (DuckDB and Postgres), quotes doubled."""
    return '"' + str(name).replace('"', '""') + '"'


def quote_spark(name: str) -> str:
    """A Spark SQL identifier: backquoted, backquotes doubled (with ANSI off, as dbt-spark
    runs, a double-quoted name is a string literal)."""
    return "`" + str(name).replace("`", "``") + "`"


def first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
