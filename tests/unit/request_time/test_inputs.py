"""Request fields are coerced strictly to their declared types, with one-line errors that
name the field and the position."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pyarrow as pa
import pytest

from featureops.request_time.errors import RequestFieldError
from featureops.request_time.inputs import arrow_type, coerce_column, request_table


@pytest.mark.parametrize(("kind", "values", "expected"), [
    ("bigint", [1, -2**63, None], [1, -2**63, None]),
    ("double", [1, 2.5], [1.0, 2.5]),
    ("text", ["FR", ""], ["FR", ""]),
    ("boolean", [True, False], [True, False]),
    ("timestamp", ["2026-10-31T00:00:00Z", "2026-10-31T01:30:00+01:30",
                   datetime(2026, 10, 31, 12, tzinfo=timezone(timedelta(hours=-3))),
                   "2026-10-31 23:59:59.999999"],
     [datetime(2026, 10, 31), datetime(2026, 10, 31), datetime(2026, 10, 31, 15),
      datetime(2026, 10, 31, 23, 59, 59, 999999)]),
])
def test_values_are_coerced_to_their_declared_type(kind, values, expected) -> None:
    assert coerce_column("f", kind, values, required=False) == expected


@pytest.mark.parametrize(("kind", "values", "message"), [
    ("bigint", [1, True], "request field 'f'[1] must be an integer (bigint), got True"),
    ("bigint", [1.5], "must be an integer (bigint), got 1.5"),
    ("bigint", [2**63], "must be a 64-bit integer (bigint)"),
    ("integer", [2**31], "must be a 32-bit integer (integer)"),
    ("double", ["12.5"], "request field 'f'[0] must be a number (double), got '12.5'"),
    ("double", [float("nan")], "must be a finite number"),
    ("text", [42], "must be a string (text), got 42"),
    ("boolean", ["true"], "must be true or false (boolean)"),
    ("timestamp", ["yesterday"], "must be an ISO-8601 timestamp (timestamp), got 'yesterday'"),
    ("timestamp", [1764547200], "must be an ISO-8601 timestamp"),
    ("bigint", "12", "request field 'f' must be a list of values"),
])
def test_mistyped_values_are_one_line_errors(kind, values, message) -> None:
    with pytest.raises(RequestFieldError) as error:
        coerce_column("f", kind, values, required=False)
    assert message in str(error.value) and "\n" not in str(error.value)


def test_required_fields_refuse_null() -> None:
    with pytest.raises(RequestFieldError, match=r"request field 'k'\[1\] must not be null"):
        coerce_column("k", "bigint", [1, None], required=True)


def test_the_table_has_declared_types_then_chained_columns() -> None:
    table = request_table({"k": "bigint", "at": "timestamp", "x": "integer"},
                          {"k": [1], "at": [datetime(2026, 1, 1)], "x": [None]},
                          {"home": (pa.string(), [None])})
    assert table.schema == pa.schema([("k", pa.int64()), ("at", pa.timestamp("us")),
                                      ("x", pa.int32()), ("home", pa.string())])
    assert arrow_type("double precision") == pa.float64()
    assert arrow_type("character varying") == pa.string()
    assert arrow_type("float[]") is None
