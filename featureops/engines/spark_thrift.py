"""A Spark warehouse behind a Thrift server (the Spark Thrift Server, a cluster's
HiveServer2 endpoint), read through PyHive: the ``thrift`` method of a dbt-spark target.

The connection sets the session to UTC and ANSI off (as dbt-spark's build runs) on top of
the target's ``server_side_parameters``. A result's schema comes from ``DESCRIBE QUERY``
(exact types, no rows read), rows are fetched ``batch_size`` at a time and typed by it.
Uploads (a spine) become a temporary view over literal rows, so they are for spines of
modest size (:data:`MAX_UPLOAD_ROWS`); a larger spine belongs in a table (a dbt model,
passed to ``--spine`` by name).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import pyarrow as pa

from featureops._optional import require
from featureops.engines.base import Engine, WarehouseError, first_line, quote_spark, sql_string
from featureops.engines.spark_engine import SESSION_SETTINGS
from featureops.engines.spark_types import arrow_type, literal, rows_to_batch, upload_type

MAX_UPLOAD_ROWS = 100_000
_UPLOAD_CHUNK = 2_000
_FETCH_ROWS = 10_000


class SparkThriftEngine(Engine):
    adapter_type = "spark"
    text_type = "string"

    def __init__(self, credentials: Mapping[str, Any], *, source: str = "") -> None:
        hive = require("pyhive.hive", extra="spark-thrift")
        self.source = source
        self.address = f"{credentials.get('host')}:{credentials.get('port', 10000)}"
        configuration = {**{str(k): str(v) for k, v in
                            (credentials.get("server_side_parameters") or {}).items()},
                         **SESSION_SETTINGS}
        try:
            self.conn = hive.connect(
                host=str(credentials.get("host")), port=int(credentials.get("port", 10000)),
                username=credentials.get("user"), auth=credentials.get("auth"),
                kerberos_service_name=credentials.get("kerberos_service_name"),
                password=credentials.get("password"), database=credentials.get("schema"),
                configuration=configuration)
        except Exception as error:  # thrift, socket and SASL errors share no base class
            raise WarehouseError(f"cannot connect to the {self.describe()}: "
                                 f"{first_line(error)}") from None

    def describe(self) -> str:
        where = f"Spark Thrift server {self.address}"
        return where + (f" ({self.source})" if self.source else "")

    def quote(self, name: str) -> str:
        return quote_spark(name)

    def _cursor(self, sql: str) -> Any:
        cursor = self.conn.cursor()
        try:
            cursor.execute(sql)
        except Exception as error:
            cursor.close()
            raise WarehouseError(f"{self.describe()}: {_message(error)}") from None
        return cursor

    def _rows(self, sql: str) -> list[tuple[Any, ...]]:
        cursor = self._cursor(sql)
        try:
            return list(cursor.fetchall())
        finally:
            cursor.close()

    def schema(self, sql: str) -> pa.Schema:
        return pa.schema([pa.field(name, arrow_type(kind))
                          for name, kind in self._described(sql)])

    def _described(self, sql: str) -> list[tuple[str, str]]:
        """(name, Spark type) of a query's columns, from the plan (no rows read)."""
        return [(str(name), str(kind)) for name, kind, *_ in
                self._rows(f"describe query {sql}")]

    def batches(self, sql: str, batch_size: int) -> Iterator[pa.RecordBatch]:
        schema = self.schema(sql)
        cursor = self._cursor(sql)
        try:
            while rows := cursor.fetchmany(batch_size):
                yield rows_to_batch(rows, schema)
        except WarehouseError:
            raise
        except Exception as error:
            raise WarehouseError(f"{self.describe()}: {first_line(error)}") from None
        finally:
            cursor.close()

    def to_arrow(self, sql: str) -> pa.Table:
        schema = self.schema(sql)
        return pa.Table.from_batches(list(self.batches(sql, _FETCH_ROWS)), schema=schema)

    def register(self, name: str, table: pa.Table) -> None:
        """A temporary view over the rows as literals (cast to the columns' types)."""
        if table.num_rows > MAX_UPLOAD_ROWS:
            raise WarehouseError(
                f"{self.describe()}: {name} has {table.num_rows} rows; featureops uploads at "
                f"most {MAX_UPLOAD_ROWS} through a Thrift server: load it as a table (a dbt "
                "model or seed) and pass its name instead")
        casts = ", ".join(f"cast(col{i + 1} as {upload_type(field)}) as {quote_spark(field.name)}"
                          for i, field in enumerate(table.schema))
        parts = [self._values(chunk) for chunk in table.to_batches(_UPLOAD_CHUNK)]
        rows = " union all ".join(f"select * from values {values}" for values in parts if values)
        if not rows:
            empty = ", ".join(f"cast(null as {upload_type(f)}) as {quote_spark(f.name)}"
                              for f in table.schema)
            body = f"select {empty} where 1 = 0"
        else:
            body = f"select {casts} from ({rows})"
        self._execute(f"create or replace temporary view {quote_spark(name)} as {body}")

    @staticmethod
    def _values(batch: pa.RecordBatch) -> str:
        columns = [column.to_pylist() for column in batch.columns]
        return ", ".join("(" + ", ".join(literal(value) for value in row) + ")"
                         for row in zip(*columns, strict=True))

    def columns(self, schema: str, table: str) -> list[tuple[str, str]]:
        if not self._rows(f"show tables in {quote_spark(schema)} like {sql_string(table)}"):
            return []
        return [(name, kind) for name, kind in self._described(
            f"select * from {quote_spark(schema)}.{quote_spark(table)}")]

    def _execute(self, sql: str) -> None:
        self._cursor(sql).close()

    def close(self) -> None:
        self.conn.close()


def _message(error: BaseException) -> str:
    """The server's own message (PyHive's error holds the whole Thrift response, stack
    included), first line, without the Thrift server's prefix."""
    status = getattr(error.args[0] if error.args else None, "status", None)
    text = getattr(status, "errorMessage", None) or first_line(error)
    return first_line(Exception(text.removeprefix("Error running query: ")))
