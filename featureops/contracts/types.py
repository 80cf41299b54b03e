"""SQL column types of dbt contracts, normalised across engines and ordered by widening.

A contract declares types as the engine spells them: ``bigint`` or ``int8``, ``double
precision``, ``float8`` or ``double``, ``text`` or ``varchar``, ``real[16]``. Comparing
two contracts needs one spelling per type (:func:`parse_type`) and a partial order,
"every value of A is a value of B" (:func:`is_widening`), from which a type change is
classified as a re-spelling, a widening, a narrowing or an incompatible change
(:func:`classify_type_change`).

The widenings are those that lose nothing: smaller to larger integers (signed, or unsigned
to a strictly larger signed), integers of at most 16 bits to ``real`` and of at most 32
bits to ``double``, ``real`` to ``double``, integers and decimals to decimals with as many
integer and fractional digits, ``varchar(n)`` to a longer or unbounded ``varchar``,
timestamps to a finer precision, and arrays whose elements widen and whose fixed length is
kept or dropped. ``bigint`` to ``double`` is not one: it rounds above 2**53.

Two spellings depend on the engine: a bare ``float`` is 32-bit on DuckDB and 64-bit on
Postgres (and most others), and a bare ``decimal`` is ``decimal(18,3)`` on DuckDB and
unbounded on Postgres. :func:`parse_type` takes the dbt adapter type for that reason.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

TypeChange = Literal["same", "respelled", "widened", "narrowed", "changed"]

#: Bits of each integer type; unsigned types are DuckDB's.
SIGNED_INT_BITS = {"tinyint": 8, "smallint": 16, "integer": 32, "bigint": 64, "hugeint": 128}
UNSIGNED_INT_BITS = {"utinyint": 8, "usmallint": 16, "uinteger": 32, "ubigint": 64,
                     "uhugeint": 128}
INT_BITS = {**SIGNED_INT_BITS, **UNSIGNED_INT_BITS}
#: Decimal digits needed to hold every value of each integer type.
INT_DIGITS = {"tinyint": 3, "smallint": 5, "integer": 10, "bigint": 19, "hugeint": 39,
              "utinyint": 3, "usmallint": 5, "uinteger": 10, "ubigint": 20, "uhugeint": 39}
#: Fractional-second digits of each timestamp spelling without an explicit precision.
_TIMESTAMP_UNITS = {"timestamp_s": 0, "timestamp_ms": 3, "timestamp_us": 6, "timestamp_ns": 9}
_DEFAULT_TIME_PRECISION = 6
_DUCKDB_DEFAULT_DECIMAL = (18, 3)

_ALIASES = {
    # integers
    "int1": "tinyint", "tinyint": "tinyint",
    "int2": "smallint", "smallint": "smallint", "short": "smallint",
    "int4": "integer", "int": "integer", "integer": "integer", "signed": "integer",
    "int8": "bigint", "bigint": "bigint", "long": "bigint",
    "int128": "hugeint", "hugeint": "hugeint",
    "utinyint": "utinyint", "usmallint": "usmallint", "uinteger": "uinteger",
    "ubigint": "ubigint", "uhugeint": "uhugeint",
    # floating point ("float" alone is resolved per engine in _float_base)
    "float4": "real", "real": "real",
    "float8": "double", "double": "double", "double precision": "double", "float64": "double",
    # exact numerics
    "decimal": "decimal", "numeric": "decimal", "dec": "decimal",
    # text
    "varchar": "varchar", "text": "varchar", "string": "varchar",
    "character varying": "varchar", "char varying": "varchar", "nvarchar": "varchar",
    "bpchar": "varchar",
    "char": "char", "character": "char", "nchar": "char",
    # other scalars
    "bool": "boolean", "boolean": "boolean", "logical": "boolean",
    "date": "date",
    "time": "time", "time without time zone": "time",
    "timetz": "timetz", "time with time zone": "timetz",
    "timestamp": "timestamp", "datetime": "timestamp", "timestamp without time zone": "timestamp",
    "timestamptz": "timestamptz", "timestamp with time zone": "timestamptz",
    "interval": "interval", "uuid": "uuid", "json": "json", "jsonb": "jsonb",
    "blob": "blob", "bytea": "blob", "binary": "blob", "varbinary": "blob", "bytes": "blob",
}
_PARAMETERISED = re.compile(r"^(?P<name>[a-z_][a-z0-9_ ]*?)\s*\((?P<args>[^()]*)\)\s*(?P<rest>.*)$")
_ARRAY_SUFFIX = re.compile(r"\[\s*(?P<size>\d*)\s*\]$")
_ARRAY_WORD = re.compile(r"\s+array$")


@dataclass(frozen=True)
class SqlType:
    """A normalised SQL type: base name, numeric parameters and array dimensions.

    ``params`` holds a length (varchar, char), precision and scale (decimal) or a
    fractional-second precision (timestamp, time); ``()`` means "none declared" (unbounded
    varchar or decimal). ``array`` lists the dimensions, outermost first, ``None`` for an
    unbounded one: ``real[16]`` is ``SqlType("real", (), (16,))``. Types this module does
    not know (structs, maps, enums...) keep their whole lower-cased text as ``base`` and
    only compare equal to the same text.
    """

    base: str
    params: tuple[int, ...] = ()
    array: tuple[int | None, ...] = ()

    def __str__(self) -> str:
        text = self.base
        if self.params:
            text += "(" + ",".join(str(p) for p in self.params) + ")"
        return text + "".join(f"[{'' if size is None else size}]" for size in self.array)

    @property
    def element(self) -> SqlType:
        """The scalar type of an array's elements (the type itself for a scalar)."""
        return SqlType(self.base, self.params)

    @property
    def is_array(self) -> bool:
        return bool(self.array)

    @property
    def is_integer(self) -> bool:
        return not self.array and self.base in INT_BITS

    @property
    def is_float(self) -> bool:
        return not self.array and self.base in ("real", "double")


def parse_type(text: str, adapter: str | None = None) -> SqlType:
    """Normalise a declared type (``"DOUBLE PRECISION"``, ``"int8"``, ``"real[16]"``...).

    ``adapter`` is the dbt adapter type (``duckdb``, ``postgres``...), which decides what a
    bare ``float`` and a bare ``decimal`` mean.
    """
    spelled = " ".join(text.strip().lower().replace('"', "").split())
    dims: list[int | None] = []
    while True:
        bracket = _ARRAY_SUFFIX.search(spelled)
        if bracket:
            dims.insert(0, int(bracket["size"]) if bracket["size"] else None)
            spelled = spelled[: bracket.start()].rstrip()
            continue
        word = _ARRAY_WORD.search(spelled)
        if word:  # SQL-standard `integer array`
            dims.insert(0, None)
            spelled = spelled[: word.start()]
            continue
        break
    if adapter == "postgres":
        # Postgres accepts `real[16]` but ignores the size: the column is `real[]`.
        dims = [None for _ in dims]
    base, params = _scalar(spelled, adapter)
    return SqlType(base, params, tuple(dims))


def _scalar(spelled: str, adapter: str | None) -> tuple[str, tuple[int, ...]]:
    name, args = spelled, ""
    match = _PARAMETERISED.match(spelled)
    if match:
        name = " ".join(f"{match['name']} {match['rest']}".split())
        args = match["args"]
    try:
        params = tuple(int(a) for a in args.split(",")) if args.strip() else ()
    except ValueError:  # struct(a int), enum('x'): not a parameter list we understand
        return spelled, ()
    if name == "float":
        return _float_base(params, adapter), ()
    if name in _TIMESTAMP_UNITS:
        return "timestamp", (_TIMESTAMP_UNITS[name],)
    base = _ALIASES.get(name)
    if base is None:
        return spelled, ()
    if base in ("timestamp", "timestamptz", "time", "timetz"):
        return base, params or (_DEFAULT_TIME_PRECISION,)
    if base == "decimal" and not params and adapter == "duckdb":
        return base, _DUCKDB_DEFAULT_DECIMAL
    if base == "decimal" and len(params) == 1:
        return base, (params[0], 0)
    if base == "char" and not params:
        # DuckDB's CHAR is VARCHAR; elsewhere a bare char is char(1).
        return ("varchar", ()) if adapter == "duckdb" else ("char", (1,))
    return base, params


def _float_base(params: tuple[int, ...], adapter: str | None) -> str:
    if params:
        return "real" if params[0] <= 24 else "double"
    return "real" if adapter == "duckdb" else "double"


def is_widening(old: SqlType, new: SqlType) -> bool:
    """True when every value of ``old`` is a value of ``new`` (equal types included)."""
    if old == new:
        return True
    if old.array or new.array:
        return _array_widening(old, new)
    return _scalar_widening(old, new)


def _array_widening(old: SqlType, new: SqlType) -> bool:
    if len(old.array) != len(new.array):
        return False
    sizes_fit = all(n is None or n == o for o, n in zip(old.array, new.array, strict=True))
    return sizes_fit and is_widening(old.element, new.element)


def _scalar_widening(old: SqlType, new: SqlType) -> bool:
    if old.base in INT_BITS:
        return _integer_widening(old.base, new)
    if old.base == "real":
        return new.base == "double"
    if old.base == "decimal":
        return new.base == "decimal" and _decimal_fits(old.params, new.params)
    if old.base in ("varchar", "char"):
        return new.base == "varchar" and (
            not new.params or (bool(old.params) and new.params[0] >= old.params[0])
        )
    if old.base in ("timestamp", "timestamptz", "time", "timetz"):
        return new.base == old.base and new.params[0] >= old.params[0]
    return False


def _integer_widening(old: str, new: SqlType) -> bool:
    bits = INT_BITS[old]
    if new.base in SIGNED_INT_BITS:
        limit = SIGNED_INT_BITS[new.base]
        return limit >= bits if old in SIGNED_INT_BITS else limit > bits
    if new.base in UNSIGNED_INT_BITS:
        return old in UNSIGNED_INT_BITS and UNSIGNED_INT_BITS[new.base] >= bits
    if new.base == "real":
        return bits <= 16
    if new.base == "double":
        return bits <= 32
    if new.base == "decimal":
        return not new.params or new.params[0] - new.params[1] >= INT_DIGITS[old]
    return False


def _decimal_fits(old: tuple[int, ...], new: tuple[int, ...]) -> bool:
    if not new:
        return True
    if not old:
        return False
    old_precision, old_scale = old
    new_precision, new_scale = new
    return new_scale >= old_scale and new_precision - new_scale >= old_precision - old_scale


def classify_type_change(old_text: str | None, new_text: str | None,
                         old_adapter: str | None = None,
                         new_adapter: str | None = None) -> TypeChange:
    """How a column's declared type changed between two contracts."""
    if old_text == new_text:
        return "same"
    if old_text is None or new_text is None:
        return "changed"
    old, new = parse_type(old_text, old_adapter), parse_type(new_text, new_adapter)
    if old == new:
        return "respelled"
    if is_widening(old, new):
        return "widened"
    if is_widening(new, old):
        return "narrowed"
    return "changed"


# Spellings both DuckDB and Postgres accept for the same type, used when writing a
# contract (scaffold) so the YAML builds on either engine.
_PORTABLE = {"double": "double precision", "varchar": "text",
             "timestamptz": "timestamp with time zone", "timetz": "time with time zone"}
_DUCKDB_TIMESTAMPS = {0: "timestamp_s", 3: "timestamp_ms", 9: "timestamp_ns"}


def portable_spelling(sql_type: SqlType) -> str:
    """The spelling a scaffolded contract uses: Postgres names where DuckDB accepts them
    too (``double precision``, ``text``), DuckDB's own names otherwise (``hugeint``)."""
    base, params = _PORTABLE.get(sql_type.base, sql_type.base), sql_type.params
    if sql_type.base in ("timestamp", "timestamptz", "time", "timetz"):
        if params == (_DEFAULT_TIME_PRECISION,):
            params = ()
        elif sql_type.base == "timestamp" and params[0] in _DUCKDB_TIMESTAMPS:
            base, params = _DUCKDB_TIMESTAMPS[params[0]], ()
    if sql_type.base == "varchar" and params:
        base = "varchar"
    text = base + ("(" + ",".join(str(p) for p in params) + ")" if params else "")
    return text + "".join(f"[{'' if size is None else size}]" for size in sql_type.array)
