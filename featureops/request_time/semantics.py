"""DuckDB's value semantics in Python, for the compiled evaluator (compiled.py): the SQL
types a request-time view computes with, and the operations whose result DuckDB defines
differently from Python (integer overflow, rounding, casts, date parts).

Where this module cannot vouch for DuckDB's answer (an integer overflow DuckDB reports as an
error, an infinite or NaN double, a string outside ASCII for lower/upper/length, a cast
from text DuckDB parses more leniently), it raises ``Fallback``: the executor then runs
that request on DuckDB, whose answer (or error) is the definition.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from datetime import datetime
from decimal import ROUND_HALF_UP, Context, Decimal
from typing import Any

import pyarrow as pa

BIGINT, INTEGER, DOUBLE = "bigint", "integer", "double"
TEXT, BOOLEAN, TIMESTAMP = "text", "boolean", "timestamp"
NULL = "null"  # an untyped NULL literal
DECIMAL = "decimal"  # a literal like 1.5 (DuckDB types it DECIMAL; usable beside doubles)
ANY = "any"  # unknown (featureops validate, before the warehouse is read): accepted
OPAQUE = "opaque"  # a column of a type the evaluator does not model: passed through only

INTEGERS = (INTEGER, BIGINT)
NUMERIC = (INTEGER, BIGINT, DOUBLE, DECIMAL)
_EXACT = Context(prec=800, rounding=ROUND_HALF_UP)  # any double's exact value fits
_RANGES = {INTEGER: (-(2 ** 31), 2 ** 31 - 1), BIGINT: (-(2 ** 63), 2 ** 63 - 1)}


class Fallback(Exception):  # noqa: N818 - a signal, not an error
    """The compiled path cannot vouch for this request's values: DuckDB computes them."""


def arrow_sql_type(data_type: pa.DataType) -> str:
    """The evaluator's type of an Arrow column (a lookup's, a chained feature's)."""
    if pa.types.is_int64(data_type):
        return BIGINT
    if pa.types.is_int32(data_type):
        return INTEGER
    if pa.types.is_float64(data_type):
        return DOUBLE
    if pa.types.is_string(data_type) or pa.types.is_large_string(data_type):
        return TEXT
    if pa.types.is_boolean(data_type):
        return BOOLEAN
    if pa.types.is_timestamp(data_type) and data_type.unit == "us" and data_type.tz is None:
        return TIMESTAMP
    if pa.types.is_null(data_type):
        return NULL
    return OPAQUE


def wider(left: str, right: str) -> str:
    """The common type of two integer types (INTEGER op BIGINT is BIGINT in DuckDB)."""
    return BIGINT if BIGINT in (left, right) else INTEGER


def int_check(kind: str) -> Callable[[int], int]:
    """A result of ``kind`` must fit it: DuckDB reports an overflow error there."""
    low, high = _RANGES[kind]

    def check(value: int) -> int:
        if low <= value <= high:
            return value
        raise Fallback
    return check


def finite(value: float) -> float:
    """DuckDB returns inf and NaN where Python raises or differs: let DuckDB answer."""
    if value - value == 0.0:
        return value
    raise Fallback


def signed_zero(result: float, operand: float) -> float:
    """C's floor/ceil/round keep the operand's sign on a zero result; Python's ints do not."""
    return math.copysign(0.0, operand) if result == 0.0 else result


def round_half_away(value: float) -> float:
    """std::round: halves away from zero, exactly (``value - floor(value)`` is exact)."""
    magnitude = abs(value)
    whole = math.floor(magnitude)
    if magnitude - whole >= 0.5:
        whole += 1
    return signed_zero(math.copysign(float(whole), value), value)


def round_double(value: float, digits: int) -> float:
    """DuckDB's round(DOUBLE, n). For n > 0 DuckDB rounds the double's exact binary value
    (round(3.545, 2) is 3.54: 3.545 is 3.54499...), halves away from zero: Decimal does
    that exactly; equal to DuckDB's for n <= 4, within 1e-15 relative beyond (DuckDB's
    scaling is then inexact). For n <= 0: std::round(x / 10^-n) * 10^-n."""
    if digits > 0:
        exact = Decimal(value).quantize(Decimal(1).scaleb(-digits), context=_EXACT)
        return signed_zero(float(exact), value)
    if digits == 0:
        return round_half_away(value)
    modifier = 10.0 ** -digits
    return finite(round_half_away(value / modifier) * modifier)


def round_integer(value: int, digits: int, check: Callable[[int], int]) -> int:
    """DuckDB's round(integer, n): unchanged for n >= 0, else to 10^-n, halves away from
    zero; a result beyond the type is DuckDB's overflow error."""
    if digits >= 0:
        return value
    power = 10 ** -digits
    magnitude, remainder = divmod(abs(value), power)
    if remainder * 2 >= power:
        magnitude += 1
    return check(-magnitude * power if value < 0 else magnitude * power)


def int_mod(left: int, right: int) -> int:
    """DuckDB's integer %: the remainder takes the dividend's sign (C), not Python's."""
    if right == 0:
        raise Fallback  # DuckDB: division by zero error
    remainder = abs(left) % abs(right)
    return -remainder if left < 0 else remainder


def int_divide(left: int, right: int) -> int:
    """DuckDB's integer //: truncates toward zero (C), where Python's floors."""
    if right == 0:
        raise Fallback
    quotient = abs(left) // abs(right)
    return -quotient if (left < 0) != (right < 0) else quotient


def divide(left: float, right: float) -> float:
    """``/``: always a double in DuckDB (integers converted first); x/0 is inf or NaN."""
    if right == 0:
        raise Fallback
    return finite(left / right)


def ascii_only(value: str) -> str:
    """DuckDB's case mapping and character counts agree with Python's on ASCII only."""
    if value.isascii():
        return value
    raise Fallback


#: date parts of a TIMESTAMP, by DuckDB's name (extract, date_part and the functions).
DATE_PARTS: dict[str, Callable[[datetime], int]] = {
    "year": lambda t: t.year, "month": lambda t: t.month, "day": lambda t: t.day,
    "dayofmonth": lambda t: t.day, "hour": lambda t: t.hour, "minute": lambda t: t.minute,
    "second": lambda t: t.second, "dow": lambda t: t.isoweekday() % 7,
    "dayofweek": lambda t: t.isoweekday() % 7, "weekday": lambda t: t.isoweekday() % 7,
    "isodow": lambda t: t.isoweekday(),
}

_INTEGER_TEXT = re.compile(r"[+-]?[0-9]+")
_DOUBLE_TEXT = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_TIMESTAMP_TEXT = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}(?:[ T][0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]{1,6})?)?")


def _text_to_integer(kind: str) -> Callable[[str], int]:
    check = int_check(kind)

    def cast(value: str) -> int:
        if not _INTEGER_TEXT.fullmatch(value):
            raise Fallback  # spaces, underscores, exponents: DuckDB's parser decides
        return check(int(value))
    return cast


def _text_to_double(value: str) -> float:
    if not _DOUBLE_TEXT.fullmatch(value):
        raise Fallback
    return finite(float(value))  # both parse to the correctly rounded double


def _text_to_boolean(value: str) -> bool:
    if value == "true":
        return True
    if value == "false":
        return False
    raise Fallback


def _text_to_timestamp(value: str) -> datetime:
    if not _TIMESTAMP_TEXT.fullmatch(value):
        raise Fallback
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        raise Fallback from None


def _double_to_integer(kind: str) -> Callable[[float], int]:
    check = int_check(kind)
    return lambda value: check(round(value))  # nearbyint: halves to even, like round()


def _boolean_text(value: bool) -> str:
    return "true" if value else "false"


_CASTS: dict[tuple[str, str], Callable[[Any], Any]] = {
    (INTEGER, BIGINT): int_check(BIGINT), (BIGINT, INTEGER): int_check(INTEGER),
    (DOUBLE, INTEGER): _double_to_integer(INTEGER), (DOUBLE, BIGINT): _double_to_integer(BIGINT),
    (BOOLEAN, INTEGER): int, (BOOLEAN, BIGINT): int,
    (TEXT, INTEGER): _text_to_integer(INTEGER), (TEXT, BIGINT): _text_to_integer(BIGINT),
    (INTEGER, DOUBLE): float, (BIGINT, DOUBLE): float, (TEXT, DOUBLE): _text_to_double,
    (INTEGER, BOOLEAN): bool, (BIGINT, BOOLEAN): bool, (TEXT, BOOLEAN): _text_to_boolean,
    (INTEGER, TEXT): str, (BIGINT, TEXT): str, (BOOLEAN, TEXT): _boolean_text,
    (TEXT, TIMESTAMP): _text_to_timestamp,
}


def cast_function(source: str, target: str) -> Callable[[Any], Any] | None:
    """The conversion CAST(source AS target) applies to a non-null value, or None when the
    evaluator does not model it (the view then runs on DuckDB)."""
    if source == target:
        return lambda value: value
    return _CASTS.get((source, target))


def python_value(kind: str) -> Callable[[Any], Any]:
    """Normalises a chained feature's value to what Arrow would store in its column."""
    if kind == DOUBLE:
        return float
    if kind == TIMESTAMP:
        def naive_utc(value: datetime) -> datetime:
            if value.tzinfo is None:
                return value
            offset = value.utcoffset()
            return value.replace(tzinfo=None) - offset if offset else value.replace(tzinfo=None)
        return naive_utc
    return lambda value: value
