"""The equivalence guard: before the compiled evaluator serves a view, both engines run
over the same rows and every value must agree (floats exactly, or within 1e-12 relative:
glibc's libm serves both, so the example agrees exactly). The rows: a sample of the input
relation dbt built, plus seeded synthetic rows from the lookups' values, the SQL's string
literals, NULLs and boundary values of each type.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

import pyarrow as pa

from featureops.request_time import semantics as sem

TOLERANCE = 1e-12
SYNTHETIC_ROWS = 300

_POOLS: dict[str, list[Any]] = {
    sem.BIGINT: [0, 1, -1, 7, 42, 2 ** 40], sem.INTEGER: [0, 1, -1, 7, 42, 2 ** 20],
    sem.DOUBLE: [0.0, -0.0, 1.0, -2.5, 0.1, 12.34, 1e6, 3.75e-3],
    sem.TEXT: ["", "x", "online", "US"], sem.BOOLEAN: [True, False],
    sem.TIMESTAMP: [datetime(2026, 10, 31, 0, 0), datetime(2026, 10, 31, 23, 59, 59, 999999),
                    datetime(2024, 2, 29, 12, 30), datetime(2027, 1, 3, 6, 0)],
}


def synthetic_rows(columns: Sequence[tuple[str, str]], tables: Mapping[str, pa.Table],
                   literals: Sequence[str], count: int = SYNTHETIC_ROWS,
                   seed: int = 0) -> dict[str, list[Any]]:
    """``count`` rows of the input columns drawn from per-type pools (seeded): NULLs,
    boundary values, the lookups' values (so joins match) and the SQL's literals."""
    pools = {kind: list(values) for kind, values in _POOLS.items()}
    for table in tables.values():
        for field, column in zip(table.schema, table.columns, strict=True):
            kind = sem.arrow_sql_type(field.type)
            if kind in pools:
                pools[kind].extend(v for v in column.to_pylist()[:500] if v is not None
                                   and not (isinstance(v, float) and not math.isfinite(v)))
    pools[sem.TEXT].extend(literals)
    rng = random.Random(seed)
    start = datetime(2020, 1, 1)
    out: dict[str, list[Any]] = {}
    for name, kind in columns:
        pool = pools.get(kind)
        values = []
        for _ in range(count):
            draw = rng.random()
            if pool is None or draw < 0.1:
                values.append(None)
            elif kind == sem.TIMESTAMP and draw < 0.4:
                values.append(start + timedelta(seconds=rng.randrange(10 ** 9)))
            elif kind == sem.DOUBLE and draw < 0.4:
                values.append(rng.uniform(-1e4, 1e4))
            else:
                values.append(rng.choice(pool))
        out[name] = values
    return out


def same_value(a: Any, b: Any) -> tuple[bool, bool]:
    """(equal within tolerance, exactly equal) for one pair of values."""
    if a is None or b is None:
        return a is b, a is b
    if type(a) is not type(b):
        return False, False
    if isinstance(a, float):
        if a == b:
            return True, math.copysign(1.0, a) == math.copysign(1.0, b)
        return abs(a - b) <= TOLERANCE * max(abs(a), abs(b)), False
    return a == b, a == b


def _sort_key(row: Sequence[Any]) -> tuple:
    return tuple((v is None, type(v).__name__,
                  float(f"{v:.9g}") if isinstance(v, float) else v) for v in row)


def compare(expected: Sequence[Sequence[Any]], found: Sequence[Sequence[Any]]
            ) -> tuple[str | None, int]:
    """(why the rows differ, or None; how many floats were not bit-for-bit equal), the
    rows compared as multisets (the engines may order them differently)."""
    if len(expected) != len(found):
        return f"{len(found)} rows where DuckDB returns {len(expected)}", 0
    inexact = 0
    for left, right in zip(sorted(expected, key=_sort_key), sorted(found, key=_sort_key),
                           strict=True):
        for position, (a, b) in enumerate(zip(left, right, strict=True)):
            equal, exact = same_value(a, b)
            if not equal:
                return (f"column {position + 1}: {b!r} where DuckDB returns {a!r}", inexact)
            inexact += not exact
    return None, inexact
