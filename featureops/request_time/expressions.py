"""One SQL expression (a sqlglot node of a qualified query) compiled to a Python closure
over a row tuple, typed the way DuckDB types it.

Every closure returns None for SQL NULL and follows DuckDB: three-valued AND/OR/NOT,
``/`` always a double, integer overflow and non-finite doubles handed to DuckDB
(``semantics.Fallback``). CASE and COALESCE evaluate lazily, as DuckDB does; every other
operand is evaluated even when another is NULL, so an operand DuckDB would fail on fails
here too. A construct outside the subset raises ``Unsupported`` naming it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlglot import exp

from featureops.request_time import semantics as sem
from featureops.request_time.semantics import (
    ANY,
    BOOLEAN,
    DECIMAL,
    DOUBLE,
    INTEGER,
    INTEGERS,
    NULL,
    NUMERIC,
    OPAQUE,
    TEXT,
    TIMESTAMP,
    Fallback,
)

Row = tuple[Any, ...]
Fn = Callable[[Row], Any]
Scope = Mapping[tuple[str, str], tuple[int, str]]  # (table alias, column) -> (index, type)


class Unsupported(Exception):  # noqa: N818 - a reason, reported as "runs on DuckDB (...)"
    """The construct is outside the compiled evaluator's subset."""


@dataclass(frozen=True)
class Typed:
    fn: Fn
    type: str
    constant: bool = False


def _short(node: exp.Expression) -> str:
    text = node.sql(dialect="duckdb")
    return text if len(text) <= 50 else text[:47] + "..."


def _const(value: Any, kind: str) -> Typed:
    return Typed(lambda row: value, kind, True)


_CAST_TYPES = {
    exp.DataType.Type.BIGINT: sem.BIGINT, exp.DataType.Type.INT: INTEGER,
    exp.DataType.Type.DOUBLE: DOUBLE, exp.DataType.Type.VARCHAR: TEXT,
    exp.DataType.Type.TEXT: TEXT, exp.DataType.Type.BOOLEAN: BOOLEAN,
    exp.DataType.Type.TIMESTAMP: TIMESTAMP, exp.DataType.Type.TIMESTAMPNTZ: TIMESTAMP,
}
# Functions of one double: DuckDB's libm and Python's are the same C library calls.
_MATH = {"ln": math.log, "log10": math.log10, "sqrt": math.sqrt, "sin": math.sin,
         "cos": math.cos, "tan": math.tan, "exp": math.exp, "log2": math.log2}
_PART_FUNCTIONS = {exp.Year: "year", exp.Month: "month", exp.Day: "day", exp.Hour: "hour",
                   exp.Minute: "minute", exp.DayOfWeek: "dow", exp.DayOfWeekIso: "isodow"}
for _name in ("Second", "DayOfMonth"):
    if hasattr(exp, _name):
        _PART_FUNCTIONS[getattr(exp, _name)] = _name.lower()
_COMPARISONS: dict[type, Callable[[Any, Any], bool]] = {
    exp.EQ: lambda a, b: a == b, exp.NEQ: lambda a, b: a != b,
    exp.LT: lambda a, b: a < b, exp.LTE: lambda a, b: a <= b,
    exp.GT: lambda a, b: a > b, exp.GTE: lambda a, b: a >= b,
}


class ExpressionCompiler:
    """Compiles the expressions of one SELECT against its scope."""

    def __init__(self, scope: Scope) -> None:
        self.scope = scope

    def compile(self, node: exp.Expression) -> Typed:
        method = getattr(self, f"_{type(node).__name__.lower()}", None)
        if method is not None:
            return method(node)
        if type(node) in _COMPARISONS:
            return self._comparison(node, _COMPARISONS[type(node)])
        if type(node).__name__.lower() in _MATH:  # exp.Ln, exp.Sqrt, exp.Sin...
            return self._math(type(node).__name__.lower(), node.this)
        if type(node) in _PART_FUNCTIONS:
            return self._date_part(_PART_FUNCTIONS[type(node)], node.this)
        raise Unsupported(f"{type(node).__name__.lower()}: {_short(node)}")

    # --- leaves -------------------------------------------------------------------

    def _column(self, node: exp.Column) -> Typed:
        key = (node.table.lower(), node.name.lower())
        if key not in self.scope:
            raise Unsupported(f"column {_short(node)} not resolved")
        index, kind = self.scope[key]
        return Typed(lambda row: row[index], kind)

    def _literal(self, node: exp.Literal) -> Typed:
        text = node.this
        if node.is_string:
            return _const(text, TEXT)
        if "e" in text.lower():
            return _const(sem.finite(float(text)), DOUBLE)
        if "." in text:
            if len(text.replace(".", "").lstrip("0")) > 15:
                raise Unsupported(f"decimal literal {text} (more than 15 digits)")
            return _const(float(text), DECIMAL)
        value = int(text)
        for kind in INTEGERS:
            low, high = sem._RANGES[kind]
            if low <= value <= high:
                return _const(value, kind)
        raise Unsupported(f"integer literal {text} (beyond BIGINT)")

    def _boolean(self, node: exp.Boolean) -> Typed:
        return _const(bool(node.this), BOOLEAN)

    def _null(self, node: exp.Null) -> Typed:
        return _const(None, NULL)

    def _paren(self, node: exp.Paren) -> Typed:
        return self.compile(node.this)

    def _alias(self, node: exp.Alias) -> Typed:
        return self.compile(node.this)

    def _pi(self, node: exp.Expression) -> Typed:
        return _const(math.pi, DOUBLE)

    # --- arithmetic ---------------------------------------------------------------

    def _operands(self, node: exp.Expression) -> tuple[Typed, Typed]:
        return self.compile(node.this), self.compile(node.expression)

    def _numeric_pair(self, node: exp.Expression) -> tuple[Fn, Fn, str]:
        """Both operands as one numeric type: DOUBLE if either is, else the wider integer."""
        left, right = self._operands(node)
        kinds = {left.type, right.type}
        if ANY in kinds:
            return left.fn, right.fn, ANY
        if not kinds <= {*NUMERIC, NULL}:
            raise Unsupported(f"arithmetic on {'/'.join(sorted(kinds))}: {_short(node)}")
        if DOUBLE in kinds:
            return _as_double(left), _as_double(right), DOUBLE
        if DECIMAL in kinds:
            raise Unsupported(f"decimal arithmetic (a literal like 1.5 without a double "
                              f"operand): {_short(node)}")
        ints = [k for k in kinds if k in INTEGERS] or [INTEGER]
        return left.fn, right.fn, sem.wider(ints[0], ints[-1])

    def _arithmetic(self, node: exp.Expression, op: Callable[[Any, Any], Any]) -> Typed:
        a, b, kind = self._numeric_pair(node)
        check = sem.finite if kind in (DOUBLE, ANY) else sem.int_check(kind)
        return Typed(_strict2(a, b, lambda x, y: check(op(x, y))), kind)

    def _add(self, node: exp.Add) -> Typed:
        return self._arithmetic(node, lambda x, y: x + y)

    def _sub(self, node: exp.Sub) -> Typed:
        return self._arithmetic(node, lambda x, y: x - y)

    def _mul(self, node: exp.Mul) -> Typed:
        return self._arithmetic(node, lambda x, y: x * y)

    def _div(self, node: exp.Div) -> Typed:
        left, right = self._operands(node)
        self._numeric_pair(node)  # refuses non-numeric and decimal-with-integer operands
        return Typed(_strict2(_as_double(left), _as_double(right), sem.divide), DOUBLE)

    def _intdiv(self, node: exp.IntDiv) -> Typed:
        a, b, kind = self._numeric_pair(node)
        if kind == DOUBLE:
            raise Unsupported(f"// on doubles: {_short(node)}")
        check = sem.int_check(kind) if kind in INTEGERS else (lambda v: v)
        return Typed(_strict2(a, b, lambda x, y: check(sem.int_divide(x, y))), kind)

    def _mod(self, node: exp.Mod) -> Typed:
        a, b, kind = self._numeric_pair(node)
        if kind == DOUBLE:
            def fmod(x: float, y: float) -> float:
                if y == 0:
                    raise Fallback
                return sem.finite(math.fmod(x, y))
            return Typed(_strict2(a, b, fmod), kind)
        return Typed(_strict2(a, b, sem.int_mod), kind)

    def _pow(self, node: exp.Pow) -> Typed:
        left, right = self._operands(node)
        self._numeric_pair(node)
        return Typed(_strict2(_as_double(left), _as_double(right), _pow), DOUBLE)

    def _neg(self, node: exp.Neg) -> Typed:
        inner = self.compile(node.this)
        if inner.type not in (*NUMERIC, NULL, ANY):
            raise Unsupported(f"negation of {inner.type}: {_short(node)}")
        check = sem.int_check(inner.type) if inner.type in INTEGERS else (lambda v: v)
        fn = inner.fn
        return Typed(lambda row: None if (v := fn(row)) is None else check(-v), inner.type,
                     inner.constant)

    # --- functions of numbers -----------------------------------------------------

    def _double_argument(self, node: exp.Expression) -> Fn:
        inner = self.compile(node)
        if inner.type not in (*NUMERIC, NULL, ANY):
            raise Unsupported(f"{inner.type} where a number is expected: {_short(node)}")
        return _as_double(inner)

    def _math(self, name: str, node: exp.Expression) -> Typed:
        fn, function = self._double_argument(node), _MATH[name]

        def apply(value: float) -> float:
            try:
                return sem.finite(function(value))
            except (ValueError, OverflowError):
                raise Fallback from None  # DuckDB: NaN or inf
        return Typed(_strict1(fn, apply), DOUBLE)

    def _log(self, node: exp.Log) -> Typed:
        if node.expression is None:
            return self._math("log10", node.this)  # DuckDB's log(x) is base 10
        base, value = self._double_argument(node.this), self._double_argument(node.expression)

        def log(b: float, x: float) -> float:
            try:
                return sem.finite(math.log(x) / math.log(b))
            except (ValueError, ZeroDivisionError):
                raise Fallback from None
        return Typed(_strict2(base, value, log), DOUBLE)

    def _abs(self, node: exp.Abs) -> Typed:
        inner = self._number(node.this)
        check = sem.int_check(inner.type) if inner.type in INTEGERS else (lambda v: v)
        return Typed(_strict1(inner.fn, lambda v: check(abs(v))), inner.type)

    def _number(self, node: exp.Expression) -> Typed:
        inner = self.compile(node)
        if inner.type not in (INTEGER, sem.BIGINT, DOUBLE, NULL, ANY):
            raise Unsupported(f"{inner.type} where an integer or double is expected: "
                              f"{_short(node)}")
        return inner

    def _rounding(self, node: exp.Expression, function: Callable[[float], int]) -> Typed:
        fn = _as_double(self._number(node.this))  # floor/ceil of integers are doubles too
        return Typed(_strict1(fn, lambda v: sem.signed_zero(float(function(v)), v)), DOUBLE)

    def _floor(self, node: exp.Floor) -> Typed:
        return self._rounding(node, math.floor)

    def _ceil(self, node: exp.Ceil) -> Typed:
        return self._rounding(node, math.ceil)

    def _round(self, node: exp.Round) -> Typed:
        inner = self._number(node.this)
        digits = 0
        if node.args.get("decimals") is not None:
            places = self.compile(node.args["decimals"])
            if not places.constant or places.type not in INTEGERS:
                raise Unsupported(f"round() with non-constant places: {_short(node)}")
            digits = places.fn(())
        if inner.type in INTEGERS:
            check = sem.int_check(inner.type)
            return Typed(_strict1(inner.fn, lambda v: sem.round_integer(v, digits, check)),
                         inner.type)
        return Typed(_strict1(inner.fn, lambda v: sem.round_double(v, digits)), DOUBLE)

    # --- comparisons and logic ----------------------------------------------------

    def _comparable(self, left: Typed, right: Typed, node: exp.Expression) -> tuple[Fn, Fn]:
        kinds = {left.type, right.type} - {NULL}
        if ANY in kinds or len(kinds) <= 1 and kinds <= {INTEGER, sem.BIGINT, DOUBLE, TEXT,
                                                          BOOLEAN, TIMESTAMP}:
            return left.fn, right.fn
        if kinds <= set(INTEGERS):
            return left.fn, right.fn
        if kinds <= {*NUMERIC} and (DOUBLE in kinds or DECIMAL in kinds) and \
                not (DECIMAL in kinds and kinds & set(INTEGERS)):
            return _as_double(left), _as_double(right)
        if kinds == {TIMESTAMP, TEXT} and (left.constant or right.constant):
            cast = sem.cast_function(TEXT, TIMESTAMP)
            assert cast is not None
            fix = [_const(cast(t.fn(())), TIMESTAMP) if t.type == TEXT else t
                   for t in (left, right)]
            return fix[0].fn, fix[1].fn
        raise Unsupported(f"comparison of {' and '.join(sorted(kinds))}: {_short(node)}")

    def _comparison(self, node: exp.Expression, op: Callable[[Any, Any], bool]) -> Typed:
        left, right = self._operands(node)
        a, b = self._comparable(left, right, node)
        return Typed(_strict2(a, b, op), BOOLEAN)

    def _boolean_operand(self, node: exp.Expression) -> Fn:
        inner = self.compile(node)
        if inner.type not in (BOOLEAN, NULL, ANY):
            raise Unsupported(f"{inner.type} where a boolean is expected: {_short(node)}")
        return inner.fn

    def _and(self, node: exp.And) -> Typed:
        a, b = self._boolean_operand(node.this), self._boolean_operand(node.expression)
        return Typed(_connective(a, b, False), BOOLEAN)

    def _or(self, node: exp.Or) -> Typed:
        a, b = self._boolean_operand(node.this), self._boolean_operand(node.expression)
        return Typed(_connective(a, b, True), BOOLEAN)

    def _not(self, node: exp.Not) -> Typed:
        fn = self._boolean_operand(node.this)
        return Typed(lambda row: None if (v := fn(row)) is None else not v, BOOLEAN)

    def _is(self, node: exp.Is) -> Typed:
        if not isinstance(node.expression, exp.Null):
            raise Unsupported(f"IS other than IS NULL: {_short(node)}")
        fn = self.compile(node.this).fn
        return Typed(lambda row: fn(row) is None, BOOLEAN)

    def _in(self, node: exp.In) -> Typed:
        if node.args.get("query") is not None or node.args.get("unnest") is not None:
            raise Unsupported(f"IN over a subquery: {_short(node)}")
        needle = self.compile(node.this)
        pairs = [self._comparable(needle, self.compile(item), node)
                 for item in node.expressions]

        def member(row: Row) -> bool | None:
            found = [(a(row), b(row)) for a, b in pairs]  # each pair in its common type
            if not found or found[0][0] is None:
                return None
            if any(y is not None and x == y for x, y in found):
                return True
            return None if any(y is None for _, y in found) else False
        return Typed(member, BOOLEAN)

    def _between(self, node: exp.Between) -> Typed:
        value = self.compile(node.this)
        low = self._comparable(value, self.compile(node.args["low"]), node)
        high = self._comparable(value, self.compile(node.args["high"]), node)
        above = _strict2(low[0], low[1], lambda x, y: x >= y)
        below = _strict2(high[0], high[1], lambda x, y: x <= y)
        return Typed(_connective(above, below, False), BOOLEAN)

    # --- conditionals -------------------------------------------------------------

    def _unify(self, branches: Sequence[Typed], node: exp.Expression) -> tuple[list[Fn], str]:
        """The branches of CASE/COALESCE as one type (integers widen, with doubles DOUBLE)."""
        kinds = {b.type for b in branches} - {NULL}
        if ANY in kinds:
            return [b.fn for b in branches], ANY
        if len(kinds) <= 1 and not kinds & {DECIMAL, OPAQUE}:
            return [b.fn for b in branches], kinds.pop() if kinds else NULL
        if kinds <= set(INTEGERS):
            return [b.fn for b in branches], sem.BIGINT
        if kinds <= {*INTEGERS, DOUBLE, DECIMAL} and DOUBLE in kinds:
            return [_as_double(b) for b in branches], DOUBLE
        raise Unsupported(f"branches of types {', '.join(sorted(kinds))}: {_short(node)}")

    def _coalesce(self, node: exp.Coalesce) -> Typed:
        fns, kind = self._unify([self.compile(n) for n in [node.this, *node.expressions]],
                                node)

        def coalesce(row: Row) -> Any:
            for fn in fns:
                value = fn(row)
                if value is not None:
                    return value
            return None
        return Typed(coalesce, kind)

    def _case(self, node: exp.Case) -> Typed:
        subject = self.compile(node.this) if node.this is not None else None
        conditions = []
        for branch in node.args["ifs"]:
            if subject is None:
                conditions.append(self._boolean_operand(branch.this))
            else:
                a, b = self._comparable(subject, self.compile(branch.this), node)
                conditions.append(_strict2(a, b, lambda x, y: x == y))
        default = node.args.get("default")
        results = [self.compile(b.args["true"]) for b in node.args["ifs"]]
        fns, kind = self._unify([*results, self.compile(default) if default is not None
                                 else _const(None, NULL)], node)
        pairs, otherwise = list(zip(conditions, fns[:-1], strict=True)), fns[-1]

        def case(row: Row) -> Any:
            for condition, result in pairs:
                if condition(row) is True:
                    return result(row)
            return otherwise(row)
        return Typed(case, kind)

    def _if(self, node: exp.If) -> Typed:
        case = exp.Case(ifs=[exp.If(this=node.this, true=node.args["true"])],
                        default=node.args.get("false"))
        return self._case(case)

    def _nullif(self, node: exp.Nullif) -> Typed:
        left, right = self._operands(node)
        if left.type == DECIMAL:
            raise Unsupported(f"nullif of a decimal: {_short(node)}")
        a, b = self._comparable(left, right, node)
        value = left.fn

        def nullif(row: Row) -> Any:
            x, y = a(row), b(row)
            return None if x is not None and y is not None and x == y else value(row)
        return Typed(nullif, left.type)

    # --- casts, strings, dates ----------------------------------------------------

    def _cast(self, node: exp.Cast) -> Typed:
        to = node.args["to"]
        target = _CAST_TYPES.get(to.this)
        if target is None or to.expressions:
            raise Unsupported(f"cast to {to.sql(dialect='duckdb')}")
        inner = self.compile(node.this)
        if inner.type == ANY:
            return Typed(inner.fn, target)
        if inner.type == NULL:
            return _const(None, target)
        source = DOUBLE if inner.type == DECIMAL and target == DOUBLE else inner.type
        convert = sem.cast_function(source, target)
        if convert is None:
            raise Unsupported(f"cast from {inner.type} to {target}: {_short(node)}")
        return Typed(_strict1(inner.fn, convert), target, inner.constant)

    def _text_argument(self, node: exp.Expression) -> Fn:
        inner = self.compile(node)
        if inner.type in (TEXT, NULL, ANY):
            return inner.fn
        convert = sem.cast_function(inner.type, TEXT)
        if convert is None:
            raise Unsupported(f"{inner.type} as text: {_short(node)}")
        return _strict1(inner.fn, convert)

    def _lower(self, node: exp.Lower) -> Typed:
        fn = self._text_argument(node.this)
        return Typed(_strict1(fn, lambda v: sem.ascii_only(v).lower()), TEXT)

    def _upper(self, node: exp.Upper) -> Typed:
        fn = self._text_argument(node.this)
        return Typed(_strict1(fn, lambda v: sem.ascii_only(v).upper()), TEXT)

    def _length(self, node: exp.Length) -> Typed:
        fn = self._text_argument(node.this)
        return Typed(_strict1(fn, lambda v: len(sem.ascii_only(v))), sem.BIGINT)

    def _concat(self, node: exp.Concat) -> Typed:
        fns = [self._text_argument(n) for n in node.expressions]
        # concat() skips NULLs
        return Typed(lambda row: "".join(v for f in fns if (v := f(row)) is not None), TEXT)

    def _dpipe(self, node: exp.DPipe) -> Typed:
        a, b = self._text_argument(node.this), self._text_argument(node.expression)
        return Typed(_strict2(a, b, lambda x, y: x + y), TEXT)

    def _date_part(self, part: str, node: exp.Expression) -> Typed:
        if part not in sem.DATE_PARTS:
            raise Unsupported(f"date part {part}")
        inner = self.compile(node)
        if inner.type not in (TIMESTAMP, NULL, ANY):
            raise Unsupported(f"date part of {inner.type}: {_short(node)}")
        return Typed(_strict1(inner.fn, sem.DATE_PARTS[part]), sem.BIGINT)

    def _extract(self, node: exp.Extract) -> Typed:
        return self._date_part(node.this.name.lower(), node.expression)

    def _anonymous(self, node: exp.Anonymous) -> Typed:
        name, args = node.name.lower(), node.expressions
        if name in ("date_part", "datepart") and len(args) == 2 and \
                isinstance(args[0], exp.Literal) and args[0].is_string:
            return self._date_part(args[0].this.lower(), args[1])
        if name in sem.DATE_PARTS and len(args) == 1:
            return self._date_part(name, args[0])
        if name in _MATH and len(args) == 1:
            return self._math(name, args[0])
        raise Unsupported(f"function {name}()")


def _as_double(typed: Typed) -> Fn:
    fn = typed.fn
    if typed.type in INTEGERS:
        return lambda row: None if (v := fn(row)) is None else float(v)
    return fn


def _connective(a: Fn, b: Fn, decisive: bool) -> Fn:
    """AND (decisive False) or OR (decisive True) in three-valued logic; both operands
    evaluated, as DuckDB's projections do."""
    def apply(row: Row) -> bool | None:
        x, y = a(row), b(row)
        if x is decisive or y is decisive:
            return decisive
        return None if x is None or y is None else not decisive
    return apply


def _pow(base: float, exponent: float) -> float:
    try:
        return sem.finite(math.pow(base, exponent))
    except (ValueError, OverflowError, ZeroDivisionError):
        raise Fallback from None


def _strict1(a: Fn, op: Callable[[Any], Any]) -> Fn:
    """op over a non-null operand; NULL in, NULL out."""
    def apply(row: Row) -> Any:
        x = a(row)
        return None if x is None else op(x)
    return apply


def _strict2(a: Fn, b: Fn, op: Callable[[Any, Any], Any]) -> Fn:
    """op over two operands, both evaluated (as DuckDB does); NULL if either is."""
    def apply(row: Row) -> Any:
        x, y = a(row), b(row)
        return None if x is None or y is None else op(x, y)
    return apply
