"""The request fields of a request-time view: checked, coerced and laid out as the Arrow
table that stands for the view's input relation.

Coercion is strict (a JSON caller's mistake is reported, never guessed around): an integer
field takes integers (not booleans, not 1.5), a double takes numbers, a timestamp takes an
ISO-8601 string or a datetime (offsets are converted to UTC; a naive value is UTC, like the
warehouse's ``timestamp`` columns). Null is allowed except for the view's keys.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timezone
from typing import Any

import pyarrow as pa

from featureops.request_time.errors import RequestFieldError

ARROW_TYPES: dict[str, pa.DataType] = {
    "bigint": pa.int64(), "integer": pa.int32(), "double": pa.float64(),
    "text": pa.string(), "boolean": pa.bool_(), "timestamp": pa.timestamp("us"),
}
# A stored feature's data_type (as written in dbt contracts) -> Arrow, for chained features.
_DATA_TYPE_ALIASES = {
    "int": "integer", "int4": "integer", "int8": "bigint", "long": "bigint",
    "double precision": "double", "float8": "double", "float": "double", "real": "double",
    "varchar": "text", "string": "text", "character varying": "text", "bool": "boolean",
    "timestamp without time zone": "timestamp",
}


def arrow_type(data_type: str | None) -> pa.DataType | None:
    """Arrow type of a dbt data_type, or None when it is not a plain scalar we know."""
    name = (data_type or "").strip().lower()
    return ARROW_TYPES.get(_DATA_TYPE_ALIASES.get(name, name))


def _integer(value: Any, bits: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError("an integer")
    if not -(2 ** (bits - 1)) <= value < 2 ** (bits - 1):
        raise ValueError(f"a {bits}-bit integer")
    return value


def _double(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError("a number")
    number = float(value)
    if not math.isfinite(number):
        raise ValueError("a finite number")
    return number


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError("a string")
    return value


def _boolean(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError("true or false")
    return value


def _timestamp(value: Any) -> datetime:
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            raise ValueError("an ISO-8601 timestamp") from None
    if not isinstance(value, datetime):
        raise ValueError("an ISO-8601 timestamp")
    if value.tzinfo is not None:
        try:
            value = value.astimezone(timezone.utc).replace(tzinfo=None)
        except OverflowError:
            raise ValueError("a timestamp within years 1 to 9999 in UTC") from None
    return value


_COERCE: dict[str, Callable[[Any], Any]] = {
    "bigint": lambda v: _integer(v, 64), "integer": lambda v: _integer(v, 32),
    "double": _double, "text": _text, "boolean": _boolean, "timestamp": _timestamp,
}


def coerce_column(name: str, field_type: str, values: Sequence[Any],
                  required: bool) -> list[Any]:
    """``values`` of request field ``name`` as Python values of its declared type."""
    if isinstance(values, (str, bytes)) or not isinstance(values, Sequence):
        raise RequestFieldError(f"request field '{name}' must be a list of values")
    coerce = _COERCE[field_type]
    out = []
    for index, value in enumerate(values):
        if value is None:
            if required:
                raise RequestFieldError(f"request field '{name}'[{index}] must not be null "
                                        "(it is a key of the request-time view)")
            out.append(None)
            continue
        try:
            out.append(coerce(value))
        except ValueError as expected:
            raise RequestFieldError(f"request field '{name}'[{index}] must be {expected} "
                                    f"({field_type}), got {_show(value)}") from None
    return out


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def request_table(fields: Mapping[str, str], columns: Mapping[str, list[Any]],
                  extra: Mapping[str, tuple[pa.DataType | None, list[Any]]]) -> pa.Table:
    """The Arrow table standing for the input relation: declared fields (already coerced)
    then chained features, in declaration order."""
    arrays = {name: pa.array(columns[name], type=ARROW_TYPES[kind])
              for name, kind in fields.items()}
    for name, (kind, values) in extra.items():
        arrays[name] = pa.array(values, type=kind)
    return pa.table(arrays)
