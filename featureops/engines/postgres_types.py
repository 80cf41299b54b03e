"""Arrow types for Postgres result columns (by type OID), and Postgres column types for
uploaded Arrow tables.

A result's schema comes from the column types Postgres reports, not from the values, so
an empty result and every batch of a streamed one have the same schema. ``numeric`` with a
declared precision becomes a decimal, an unconstrained ``numeric`` (``avg()``, ``sum()``
of decimals) a double; types featureops does not know are read as text.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import pyarrow as pa

from featureops.engines.base import WarehouseError

NUMERIC_OID = 1700
NUMERIC_ARRAY_OID = 1231
_MAX_DECIMAL_PRECISION = 38

_SCALARS: dict[int, pa.DataType] = {
    16: pa.bool_(), 17: pa.binary(), 18: pa.string(), 19: pa.string(), 20: pa.int64(),
    21: pa.int16(), 23: pa.int32(), 25: pa.string(), 26: pa.int64(), 114: pa.string(),
    700: pa.float32(), 701: pa.float64(), 1042: pa.string(), 1043: pa.string(),
    1082: pa.date32(), 1083: pa.time64("us"), 1114: pa.timestamp("us"),
    1184: pa.timestamp("us", tz="UTC"), 1186: pa.duration("us"), 2950: pa.string(),
    3802: pa.string(),
}
_ARRAYS: dict[int, pa.DataType] = {
    1000: pa.bool_(), 1005: pa.int16(), 1007: pa.int32(), 1016: pa.int64(),
    1009: pa.string(), 1015: pa.string(), 1021: pa.float32(), 1022: pa.float64(),
    1182: pa.date32(), 1115: pa.timestamp("us"), 1185: pa.timestamp("us", tz="UTC"),
    NUMERIC_ARRAY_OID: pa.float64(),
}


def arrow_type(column: Any) -> pa.DataType:
    """The Arrow type of a psycopg2 result column (``cursor.description`` entry)."""
    oid = column.type_code
    if oid == NUMERIC_OID:
        precision, scale = column.precision, column.scale
        if precision and 0 < precision <= _MAX_DECIMAL_PRECISION and scale is not None:
            return pa.decimal128(precision, scale)
        return pa.float64()
    if oid in _ARRAYS:
        return pa.list_(_ARRAYS[oid])
    return _SCALARS.get(oid, pa.string())


def result_schema(description: Sequence[Any]) -> pa.Schema:
    return pa.schema([pa.field(column.name, arrow_type(column)) for column in description])


def rows_to_batch(rows: Sequence[tuple[Any, ...]], schema: pa.Schema) -> pa.RecordBatch:
    """Rows from psycopg2 as a record batch of ``schema``."""
    columns = list(zip(*rows, strict=True)) if rows else [() for _ in schema]
    arrays = []
    for field, values in zip(schema, columns, strict=True):
        try:
            arrays.append(pa.array(_prepare(values, field.type), type=field.type))
        except (pa.ArrowException, TypeError, ValueError, OverflowError) as error:
            raise WarehouseError(f"column '{field.name}' cannot be read as {field.type}: "
                                 f"{error}") from None
    return pa.RecordBatch.from_arrays(arrays, schema=schema)


def _prepare(values: Sequence[Any], kind: pa.DataType) -> Sequence[Any]:
    if pa.types.is_floating(kind):
        return [float(v) if isinstance(v, Decimal) else v for v in values]
    if pa.types.is_list(kind) and pa.types.is_floating(kind.value_type):
        return [None if v is None else [None if x is None else float(x) for x in v]
                for v in values]
    if pa.types.is_binary(kind):
        return [None if v is None else bytes(v) for v in values]
    if pa.types.is_string(kind):
        return [v if v is None or isinstance(v, str) else str(v) for v in values]
    return values


_UPLOAD_TYPES = {
    pa.int8(): "smallint", pa.int16(): "smallint", pa.int32(): "integer", pa.int64(): "bigint",
    pa.float32(): "real", pa.float64(): "double precision", pa.bool_(): "boolean",
    pa.string(): "text", pa.large_string(): "text", pa.date32(): "date",
}


def upload_type(field: pa.Field) -> str:
    """The Postgres column type an uploaded Arrow column (a spine's) is stored as."""
    if pa.types.is_timestamp(field.type):
        return "timestamptz" if field.type.tz else "timestamp"
    try:
        return _UPLOAD_TYPES[field.type]
    except KeyError:
        raise WarehouseError(
            f"column '{field.name}' has type {field.type}, which featureops does not load "
            "into Postgres (use integers, floats, booleans, text, dates or timestamps)"
        ) from None
