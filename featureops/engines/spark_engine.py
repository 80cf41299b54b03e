"""A Spark warehouse read in process through PySpark: the ``session`` method of a dbt-spark
target, on the same warehouse folder and metastore the dbt build used.

The engine opens (or joins) the process's SparkSession with the target's
``server_side_parameters`` (dbt-spark's session method passes them to the same builder),
then works in a session of its own (``newSession``): its temporary views (an uploaded
spine) and settings (UTC, ANSI off as dbt-spark sets it) never leak into another user of
the context. Results reach Python as Arrow: ``batches`` streams one partition at a time
(``toLocalIterator`` over each partition's Arrow record batches, made by ``mapInArrow``),
so a table larger than the driver's memory is never collected whole.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Iterator, Mapping
from typing import Any

import pyarrow as pa

from featureops._optional import require
from featureops.engines.base import Engine, WarehouseError, first_line, quote_spark

#: Settings of the engine's own session: instants in UTC like every engine; ANSI off as
#: dbt-spark forces it for the build, so SQL means the same to both.
SESSION_SETTINGS = {"spark.sql.session.timeZone": "UTC", "spark.sql.ansi.enabled": "false"}
#: Settings for a context this engine starts (one the build started is joined as it is):
#: no web UI, few shuffle partitions (one machine), Python workers on this interpreter.
CONTEXT_DEFAULTS = {"spark.ui.enabled": "false", "spark.ui.showConsoleProgress": "false",
                    "spark.sql.shuffle.partitions": "8"}
#: PySpark loggers that print a failed query's JVM stack to stderr; the engine reports the
#: error itself, in one line.
_NOISY_LOGGERS = ("SQLQueryContextLogger", "DataFrameQueryContextLogger")
_PAYLOAD = "__fo_arrow"


class SparkSessionEngine(Engine):
    adapter_type = "spark"
    text_type = "string"

    def __init__(self, parameters: Mapping[str, Any] | None = None, *, source: str = "",
                 master: str | None = None) -> None:
        """``parameters``: the target's server_side_parameters (Spark settings, paths of
        the warehouse and metastore among them); ``master``: for a context this engine
        starts when the parameters name none (default: PySpark's, ``local[*]``)."""
        self.source = source
        sql = require("pyspark.sql", extra="spark")
        self._analysis_error = require("pyspark.errors", extra="spark").PySparkException
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
        for name in _NOISY_LOGGERS:
            logging.getLogger(name).disabled = True
        builder = sql.SparkSession.builder.enableHiveSupport()
        settings = {**CONTEXT_DEFAULTS, **{str(k): str(v) for k, v in (parameters or {}).items()}}
        if master and "spark.master" not in settings:
            settings["spark.master"] = master
        for key, value in settings.items():
            builder = builder.config(key, value)
        try:
            shared = builder.getOrCreate()
            self.session = shared.newSession()
            for key, value in SESSION_SETTINGS.items():
                self.session.conf.set(key, value)
        except Exception as error:  # py4j and JVM start-up errors have no common base
            raise WarehouseError(f"cannot start Spark for the {self.describe()}: "
                                 f"{first_line(error)} (is a JDK installed? java -version)"
                                 ) from None
        self._temporary: set[str] = set()

    def describe(self) -> str:
        return "Spark session warehouse" + (f" ({self.source})" if self.source else "")

    def quote(self, name: str) -> str:
        return quote_spark(name)

    def _frame(self, sql: str) -> Any:
        try:
            return self.session.sql(sql)
        except Exception as error:
            raise WarehouseError(f"{self.describe()}: {first_line(error)}") from None

    def to_arrow(self, sql: str) -> pa.Table:
        frame = self._frame(sql)
        try:
            return frame.toArrow()
        except Exception as error:
            raise WarehouseError(f"{self.describe()}: {first_line(error)}") from None

    def batches(self, sql: str, batch_size: int) -> Iterator[pa.RecordBatch]:
        """Each partition's rows as Arrow IPC bytes, fetched one partition at a time in
        partition order (so an ``order by`` holds), cut into ``batch_size`` rows."""
        frame = self._frame(sql)
        schema = self._arrow_schema(frame)
        encoded = frame.mapInArrow(_encode_partition, f"{_PAYLOAD} binary")
        try:
            for row in encoded.toLocalIterator(prefetchPartitions=False):
                with pa.ipc.open_stream(row[0]) as reader:
                    for batch in reader:
                        for start in range(0, batch.num_rows, batch_size):
                            yield _conform(batch.slice(start, batch_size), schema)
        except Exception as error:
            raise WarehouseError(f"{self.describe()}: {first_line(error)}") from None

    def schema(self, sql: str) -> pa.Schema:
        return self._arrow_schema(self._frame(sql))

    def _arrow_schema(self, frame: Any) -> pa.Schema:
        # An empty result's Arrow schema is the one Spark converts every batch to.
        try:
            return frame.limit(0).toArrow().schema
        except Exception as error:
            raise WarehouseError(f"{self.describe()}: {first_line(error)}") from None

    def register(self, name: str, table: pa.Table) -> None:
        """The table as a temporary view of this engine's session (types: _spark_ready).
        Naive timestamps are UTC instants here, as in the other engines."""
        try:
            frame = self.session.createDataFrame(_spark_ready(table))
            frame.createOrReplaceTempView(name)
        except Exception as error:
            raise WarehouseError(f"{self.describe()}: uploading {name}: {first_line(error)}"
                                 ) from None
        self._temporary.add(name)

    def columns(self, schema: str, table: str) -> list[tuple[str, str]]:
        relation = f"{quote_spark(schema)}.{quote_spark(table)}"
        try:
            fields = self.session.table(relation).schema.fields
        except self._analysis_error:
            return []
        return [(field.name, field.dataType.simpleString()) for field in fields]

    def close(self) -> None:
        """Drops this engine's temporary views; the Spark context stays up for the rest of
        the process (starting one costs seconds; dbt's session method shares it too)."""
        for name in self._temporary:
            self.session.catalog.dropTempView(name)
        self._temporary.clear()


def _encode_partition(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    """Runs in Spark's Python worker: a partition's batches as one Arrow IPC stream."""
    import pyarrow as worker_pa

    sink, writer = worker_pa.BufferOutputStream(), None
    for batch in batches:
        if writer is None:
            writer = worker_pa.ipc.new_stream(sink, batch.schema)
        writer.write_batch(batch)
    if writer is not None:
        writer.close()
        yield worker_pa.record_batch([worker_pa.array([sink.getvalue().to_pybytes()],
                                                      worker_pa.binary())], names=[_PAYLOAD])


def _conform(batch: pa.RecordBatch, schema: pa.Schema) -> pa.RecordBatch:
    """A batch under the result's schema (mapInArrow's batches may differ in nullability
    flags or the time zone's spelling only)."""
    if batch.schema.equals(schema):
        return batch
    return pa.RecordBatch.from_arrays([column.cast(field.type) for column, field
                                       in zip(batch.columns, schema, strict=True)],
                                      schema=schema)


_SIGNED = {8: pa.int16(), 16: pa.int32(), 32: pa.int64(), 64: pa.int64()}


def _spark_ready(table: pa.Table) -> pa.Table:
    """Types Spark takes from Arrow: naive timestamps as UTC instants; unsigned integers
    (which Spark has not) as signed ones wide enough (a uint64 above 2^63 is an error)."""
    for index, field in enumerate(table.schema):
        kind = field.type
        if pa.types.is_timestamp(kind) and kind.tz is None:
            wanted = pa.timestamp(kind.unit, tz="UTC")
        elif pa.types.is_unsigned_integer(kind):
            wanted = _SIGNED[kind.bit_width]
        else:
            continue
        try:
            column = table.column(index).cast(wanted)
        except pa.ArrowInvalid:
            raise WarehouseError(f"column '{field.name}' has {kind} values beyond {wanted}, "
                                 "which Spark cannot hold") from None
        table = table.set_column(index, field.name, column)
    return table
