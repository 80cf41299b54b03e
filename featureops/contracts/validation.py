"""Write-time validation of pushed records against a view's contract and tests.

:class:`RecordValidator` is compiled once per view from :func:`model_rules` into one small
closure per column, so validating a record is a loop over the columns with no schema
interpretation (a few microseconds per record; see benchmarks/bench_push_validation.py).

Each problem has a class:

* ``fatal``: the record cannot be stored as it is, in any mode: not a JSON object, a
  missing or null entity key or timestamp, a value of the wrong type, an integer outside
  what the column (and the online store's 64 bits) holds, an array of the wrong length;
* ``contract``: the record breaks the contract or an error-severity test but could be
  stored: a null in a not-null feature, a value out of its accepted range or accepted
  values, a string longer than ``varchar(n)``, a field the contract does not have.
  Strict mode rejects it; lenient mode accepts it with a warning (unknown fields dropped);
* ``warning``: a warn-severity test failed; never a rejection.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timezone
from typing import Any

import orjson
import pyarrow as pa

from featureops.contracts.jsonschema_export import REAL_MAX, integer_bounds
from featureops.contracts.rules import ERROR, ColumnRules, ModelRules
from featureops.contracts.types import INT_BITS, SqlType

STRICT, LENIENT = "strict", "lenient"
MODES = (STRICT, LENIENT)
FATAL, CONTRACT, WARNING = "fatal", "contract", "warning"
_INT64 = (-(2 ** 63), 2 ** 63 - 1)
_MISSING = object()


@dataclass(frozen=True)
class Problem:
    """One reason a record is rejected or warned about."""

    field: str | None
    rule: str
    message: str
    level: str = FATAL

    def to_dict(self) -> dict[str, Any]:
        return {"field": self.field, "rule": self.rule, "message": self.message,
                "level": self.level}


@dataclass(frozen=True)
class Outcome:
    """The verdict on one record: the row to write (None when rejected) and why."""

    row: dict[str, Any] | None
    errors: tuple[Problem, ...] = ()
    warnings: tuple[Problem, ...] = ()

    @property
    def accepted(self) -> bool:
        return self.row is not None


class _Invalid(Exception):
    def __init__(self, rule: str, message: str) -> None:
        super().__init__(message)
        self.rule = rule
        self.message = message


# JSON decoders only produce these types; the names are JSON's, for messages.
_JSON_NAMES = {type(None): "null", bool: "a boolean", int: "a number", float: "a number",
               str: "a string", list: "an array", dict: "an object"}


def json_type(value: Any) -> str:
    return _JSON_NAMES.get(type(value), type(value).__name__)


# --- converters: JSON value -> stored value, or _Invalid (fatal) -----------------------------


def _integer(low: int, high: int) -> Callable[[Any], int]:
    def convert(value: Any) -> int:
        kind = type(value)
        if kind is float and value.is_integer():
            value = int(value)
        elif kind is not int:
            raise _Invalid("wrong_type", f"expected an integer, got {json_type(value)}")
        if value < low or value > high:
            raise _Invalid("out_of_type_range", f"{value} does not fit in [{low}, {high}]")
        return value
    return convert


def _number(limit: float) -> Callable[[Any], float]:
    def convert(value: Any) -> float:
        kind = type(value)
        if kind is not float and kind is not int:
            raise _Invalid("wrong_type", f"expected a number, got {json_type(value)}")
        number = float(value)
        if not math.isfinite(number) or abs(number) > limit:
            raise _Invalid("out_of_type_range", f"{value} is not a finite number the column "
                           "holds")
        return number
    return convert


def _boolean(value: Any) -> bool:
    if type(value) is not bool:
        raise _Invalid("wrong_type", f"expected true or false, got {json_type(value)}")
    return value


def _string(value: Any) -> str:
    if type(value) is not str:
        raise _Invalid("wrong_type", f"expected a string, got {json_type(value)}")
    return value


def _timestamp(aware: bool) -> Callable[[Any], datetime]:
    def convert(value: Any) -> datetime:
        if type(value) is not str:
            raise _Invalid("wrong_type", f"expected an ISO 8601 timestamp string, got "
                           f"{json_type(value)}")
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            raise _Invalid("wrong_type", f"{value!r} is not an ISO 8601 timestamp") from None
        if parsed.tzinfo is not None:  # an offset is honoured; naive means UTC
            try:
                parsed = parsed.astimezone(timezone.utc)
            except OverflowError:  # 9999-12-31T23:59:59-14:00 is in the year 10000 in UTC
                raise _Invalid("out_of_type_range", f"{value!r} is outside the years 1 to "
                               "9999 once converted to UTC") from None
            return parsed if aware else parsed.replace(tzinfo=None)
        return parsed.replace(tzinfo=timezone.utc) if aware else parsed
    return convert


def _date(value: Any) -> date:
    if type(value) is not str:
        raise _Invalid("wrong_type", f"expected an ISO 8601 date string, got {json_type(value)}")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise _Invalid("wrong_type", f"{value!r} is not an ISO 8601 date") from None


def _array(element: Callable[[Any], Any], size: int | None) -> Callable[[Any], list[Any]]:
    def convert(value: Any) -> list[Any]:
        if type(value) is not list:
            raise _Invalid("wrong_type", f"expected an array, got {json_type(value)}")
        if size is not None and len(value) != size:
            raise _Invalid("wrong_length", f"expected {size} elements, got {len(value)}")
        try:
            return [None if item is None else element(item) for item in value]
        except _Invalid as error:
            raise _Invalid(error.rule, f"array element: {error.message}") from None
    return convert


def _json_value(value: Any) -> Any:
    """A value of a type stored as JSON (json, structs, maps...): it must serialise, which
    fails for one nested deeper than orjson's 254 levels."""
    try:
        orjson.dumps(value)
    except orjson.JSONEncodeError as error:
        raise _Invalid("unstorable", f"cannot be stored as JSON: {error}") from None
    return value


def converter(sql_type: SqlType | None) -> Callable[[Any], Any]:
    """The fatal type check and conversion of one value of a SQL type."""
    if sql_type is None:
        return _json_value
    if sql_type.array:
        inner = converter(SqlType(sql_type.base, sql_type.params, sql_type.array[1:]))
        return _array(inner, sql_type.array[0])
    base = sql_type.base
    if base in INT_BITS:
        low, high = integer_bounds(base)
        return _integer(max(low, _INT64[0]), min(high, _INT64[1]))
    if base == "real":
        return _number(REAL_MAX)
    if base in ("double", "decimal"):
        return _number(math.inf)
    if base == "boolean":
        return _boolean
    if base in ("varchar", "char", "uuid", "time", "timetz", "interval"):
        return _string
    if base in ("timestamp", "timestamptz"):
        return _timestamp(base == "timestamptz")
    if base == "date":
        return _date
    return _json_value


def arrow_type(sql_type: SqlType | None) -> pa.DataType | None:
    """The Arrow type records of a SQL type are written as (None: inferred)."""
    if sql_type is None:
        return None
    if sql_type.array:
        inner = arrow_type(SqlType(sql_type.base, sql_type.params, sql_type.array[1:]))
        if inner is None:
            return None
        if sql_type.base == "real" and len(sql_type.array) == 1:
            inner = pa.float32()
        size = sql_type.array[0]
        return pa.list_(inner, size) if size is not None else pa.list_(inner)
    base = sql_type.base
    return {
        **dict.fromkeys(INT_BITS, pa.int64()), "real": pa.float64(), "double": pa.float64(),
        "decimal": pa.float64(), "boolean": pa.bool_(), "varchar": pa.string(),
        "char": pa.string(), "uuid": pa.string(), "timestamp": pa.timestamp("us"),
        "timestamptz": pa.timestamp("us", tz="UTC"), "date": pa.date32(),
    }.get(base)


# --- value checks: ranges, accepted values, lengths -----------------------------------------


Check = Callable[[Any], "Problem | None"]


def _range_check(name: str, rule: Any) -> Check:
    level = CONTRACT if rule.severity == ERROR else WARNING
    low, high, inclusive = rule.minimum, rule.maximum, rule.inclusive
    message = f"outside the accepted range {rule.describe()} ({rule.test})"

    def check(value: Any) -> Problem | None:
        if inclusive:
            inside = (low is None or value >= low) and (high is None or value <= high)
        else:
            inside = (low is None or value > low) and (high is None or value < high)
        return None if inside else Problem(name, "out_of_range", f"{value!r} is {message}",
                                           level)
    return check


def _values_check(name: str, rule: Any) -> Check:
    level = CONTRACT if rule.severity == ERROR else WARNING
    allowed = frozenset(rule.values)
    shown = ", ".join(repr(v) for v in rule.values)

    def check(value: Any) -> Problem | None:
        try:
            ok = value in allowed
        except TypeError:  # unhashable (a list): cannot be one of the values
            ok = False
        return None if ok else Problem(name, "not_accepted",
                                       f"{value!r} is not one of {shown} ({rule.test})", level)
    return check


def _length_check(name: str, limit: int) -> Check:
    def check(value: Any) -> Problem | None:
        if len(value) <= limit:
            return None
        return Problem(name, "too_long", f"{len(value)} characters, the column holds {limit}",
                       CONTRACT)
    return check


def _value_checks(column: ColumnRules) -> tuple[Check, ...]:
    checks: list[Check] = []
    sql_type = column.sql_type
    scalar = sql_type is not None and not sql_type.array
    if scalar and sql_type.base in ("varchar", "char") and sql_type.params:
        checks.append(_length_check(column.name, sql_type.params[0]))
    if scalar and (sql_type.base in INT_BITS or sql_type.base in ("real", "double", "decimal")):
        checks.extend(_range_check(column.name, rule) for rule in column.ranges)
    if scalar:
        checks.extend(_values_check(column.name, rule) for rule in column.accepted)
    return tuple(checks)


# --- the validator -------------------------------------------------------------------------


@dataclass(frozen=True)
class _Column:
    name: str
    convert: Callable[[Any], Any]
    required: bool
    key: bool
    null_level: str | None  # level of a null in a nullable column with a not_null test
    checks: tuple[Check, ...]


def _null_problem(column: _Column, missing: bool) -> Problem | None:
    """A null or absent value: fatal for a key, a contract problem for a not-null column,
    the not_null test's level for a nullable one."""
    what = "missing" if missing else "null"
    if column.required:
        role = "key" if column.key else "value"
        return Problem(column.name, f"{what}_{role}", f"required {role} is {what}",
                       FATAL if column.key else CONTRACT)
    if column.null_level is not None:
        return Problem(column.name, "not_null", "null where the not_null test expects a value",
                       column.null_level)
    return None


def _future_problem(name: str | None, value: Any, latest: datetime) -> Problem | None:
    """An event time after ``latest``: a record stamped in the future would read as fresh
    until the clock catches up with it, hiding staleness (``featureops sla``)."""
    if name is None or value is None:
        return None
    if type(value) is date:
        value = datetime.combine(value, time(), timezone.utc)
    elif value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    if value <= latest:
        return None
    return Problem(name, "future_event_time", f"{value.isoformat()} is later than "
                   f"{latest.isoformat(timespec='seconds')}, the latest event time accepted "
                   "now (the clock plus push.max_future_skew)")


class RecordValidator:
    """Validate records of one view; compile once, call :meth:`validate` per record."""

    def __init__(self, rules: ModelRules, mode: str = STRICT) -> None:
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
        self.rules = rules
        self.mode = mode
        keys = set(rules.key_columns)
        self._columns = tuple(
            _Column(c.name, converter(c.sql_type), c.required, c.name in keys,
                    None if c.not_null_test is None else
                    CONTRACT if c.not_null_test == ERROR else WARNING,
                    _value_checks(c))
            for c in rules.columns
        )
        self.names = tuple(c.name for c in rules.columns)
        self.event_time = rules.spec.timestamp if rules.spec else None
        self._known = frozenset(self.names)
        self.arrow_schema = pa.schema([(c.name, arrow_type(c.sql_type) or pa.null())
                                       for c in rules.columns])

    def validate(self, record: Any, latest_event: datetime | None = None) -> Outcome:
        """The verdict on one record; an event time (the view's timestamp) after
        ``latest_event`` (aware) is a fatal ``future_event_time``."""
        if type(record) is not dict:
            return Outcome(None, (Problem(None, "not_an_object",
                                          f"a record must be a JSON object, got "
                                          f"{json_type(record)}"),))
        problems: list[Problem] = []
        row: dict[str, Any] = {}
        for column in self._columns:
            value = record.get(column.name, _MISSING)
            if value is None or value is _MISSING:
                row[column.name] = None
                problem = _null_problem(column, value is _MISSING)
                if problem is not None:
                    problems.append(problem)
                continue
            try:
                value = column.convert(value)
            except _Invalid as invalid:
                problems.append(Problem(column.name, invalid.rule, invalid.message, FATAL))
                continue
            row[column.name] = value
            for check in column.checks:
                problem = check(value)
                if problem is not None:
                    problems.append(problem)
        if latest_event is not None:
            problem = _future_problem(self.event_time, row.get(self.event_time), latest_event)
            if problem is not None:
                problems.append(problem)
        if len(record) > len(self.names) or not record.keys() <= self._known:
            problems.extend(self._unknown_fields(record))
        if not problems:
            return Outcome(row)
        return self._verdict(row, problems)

    def _unknown_fields(self, record: dict[str, Any]) -> list[Problem]:
        return [Problem(name, "unknown_field", "not a column of the contract", CONTRACT)
                for name in record if name not in self._known]

    def _verdict(self, row: dict[str, Any], problems: list[Problem]) -> Outcome:
        rejecting = (FATAL,) if self.mode == LENIENT else (FATAL, CONTRACT)
        errors = tuple(p for p in problems if p.level in rejecting)
        warnings = tuple(p for p in problems if p.level not in rejecting)
        return Outcome(None if errors else row, errors, warnings)

    def to_arrow(self, rows: Iterable[dict[str, Any]]) -> pa.Table:
        """Accepted rows as an Arrow table in contract order with the contract's types
        (columns of a type Arrow cannot name are inferred from the values)."""
        rows = list(rows)
        if not any(pa.types.is_null(f.type) for f in self.arrow_schema):
            return pa.Table.from_pylist(rows, schema=self.arrow_schema)
        arrays = [pa.array([row[f.name] for row in rows],
                           type=None if pa.types.is_null(f.type) else f.type)
                  for f in self.arrow_schema]
        return pa.Table.from_arrays(arrays, names=list(self.names))
