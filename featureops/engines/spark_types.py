"""Spark SQL type names (``DESCRIBE QUERY``, a table's columns) as Arrow types, and Arrow
columns as Spark SQL literals: what the Thrift engine needs, since rows reach it as Python
values (timestamps and decimals as text, arrays as JSON)."""

from __future__ import annotations

import json
import math
import re
from datetime import date, datetime, timezone
from typing import Any

import pyarrow as pa

from featureops.engines.base import WarehouseError

_SCALARS = {
    "boolean": pa.bool_(), "tinyint": pa.int8(), "byte": pa.int8(), "smallint": pa.int16(),
    "short": pa.int16(), "int": pa.int32(), "integer": pa.int32(), "bigint": pa.int64(),
    "long": pa.int64(), "float": pa.float32(), "real": pa.float32(), "double": pa.float64(),
    "string": pa.string(), "binary": pa.binary(), "date": pa.date32(),
    "timestamp": pa.timestamp("us", tz="UTC"), "timestamp_ltz": pa.timestamp("us", tz="UTC"),
    "timestamp_ntz": pa.timestamp("us"), "void": pa.null(),
}
_DECIMAL = re.compile(r"decimal\((\d+),\s*(\d+)\)")
_ARRAY = re.compile(r"array<(.+)>")


def arrow_type(spark_type: str) -> pa.DataType:
    """The Arrow type of a Spark type name; types featureops does not know read as text."""
    name = spark_type.strip().lower()
    if name in _SCALARS:
        return _SCALARS[name]
    if name.startswith(("varchar", "char")):
        return pa.string()
    if match := _DECIMAL.fullmatch(name):
        return pa.decimal128(int(match.group(1)), int(match.group(2)))
    if match := _ARRAY.fullmatch(name):
        return pa.list_(arrow_type(match.group(1)))
    return pa.string()


def rows_to_batch(rows: list[tuple[Any, ...]], schema: pa.Schema) -> pa.RecordBatch:
    """Rows as a Thrift server returns them, typed by ``schema``."""
    columns = list(zip(*rows, strict=True)) if rows else [() for _ in schema]
    arrays = []
    for field, values in zip(schema, columns, strict=True):
        try:
            arrays.append(_array(list(values), field.type))
        except (pa.ArrowException, TypeError, ValueError) as error:
            raise WarehouseError(f"column '{field.name}' cannot be read as {field.type}: "
                                 f"{error}") from None
    return pa.RecordBatch.from_arrays(arrays, schema=schema)


def _array(values: list[Any], kind: pa.DataType) -> pa.Array:
    if pa.types.is_list(kind):
        return pa.array([json.loads(v) if isinstance(v, str) else v for v in values], kind)
    as_text = pa.types.is_timestamp(kind) or pa.types.is_date(kind) or pa.types.is_decimal(kind)
    if as_text and all(v is None or isinstance(v, str) for v in values):
        text = pa.array(values, pa.string())
        if pa.types.is_timestamp(kind):  # the server writes UTC wall-clock text
            return text.cast(pa.timestamp(kind.unit)).cast(kind)
        return text.cast(kind)
    return pa.array(values, kind)


def literal(value: Any) -> str:
    """A Python value (from an Arrow column) as a Spark SQL literal."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isfinite(value):
            return repr(value)
        special = "NaN" if math.isnan(value) else "Infinity" if value > 0 else "-Infinity"
        return f"double('{special}')"
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(timezone.utc).replace(tzinfo=None)
        return f"timestamp'{value.isoformat(sep=' ')}'"
    if isinstance(value, date):
        return f"date'{value.isoformat()}'"
    if isinstance(value, str):
        return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
    raise WarehouseError(f"cannot upload a {type(value).__name__} value to Spark")


_UPLOAD_TYPES = {
    pa.int8(): "tinyint", pa.int16(): "smallint", pa.int32(): "int", pa.int64(): "bigint",
    pa.float32(): "float", pa.float64(): "double", pa.bool_(): "boolean",
    pa.string(): "string", pa.large_string(): "string", pa.date32(): "date",
}


def upload_type(field: pa.Field) -> str:
    """The Spark type an uploaded Arrow column (a spine's) is cast to."""
    if pa.types.is_timestamp(field.type):
        return "timestamp"
    try:
        return _UPLOAD_TYPES[field.type]
    except KeyError:
        raise WarehouseError(
            f"column '{field.name}' has type {field.type}, which featureops does not upload "
            "to Spark (use integers, floats, booleans, text, dates or timestamps)") from None
