"""The guard's comparison: rows as multisets, types strict, floats bit for bit or within
1e-12 relative (counted); its synthetic rows are seeded and draw on the lookups."""

from __future__ import annotations

import pyarrow as pa

from featureops.request_time.guard import compare, same_value, synthetic_rows


def test_rows_compare_as_multisets_with_a_relative_tolerance() -> None:
    duck = [(1, "a", 0.1 + 0.2), (2, None, 1.0)]
    assert compare(duck, [(2, None, 1.0), (1, "a", 0.30000000000000004)]) == (None, 0)
    assert compare(duck, [(2, None, 1.0), (1, "a", 0.3)]) == (None, 1)  # 1 ulp: inexact
    assert compare(duck, [(2, None, 1.0), (1, "a", 0.3 + 1e-9)])[0] == \
        "column 3: 0.300000001 where DuckDB returns 0.30000000000000004"
    assert compare(duck, [(2, None, 1.0)])[0] == "1 rows where DuckDB returns 2"


def test_types_and_nulls_are_strict() -> None:
    assert same_value(True, 1) == (False, False)  # Python's True == 1 is not DuckDB's
    assert same_value(1, 1.0) == (False, False)
    assert same_value(None, 0) == (False, False)
    assert same_value(-0.0, 0.0) == (True, False)  # equal, but not the same bits


def test_synthetic_rows_are_seeded_and_draw_on_lookup_values() -> None:
    columns = [("code", "text"), ("n", "bigint"), ("other", "opaque")]
    tables = {"lk": pa.table({"k": ["ZZ9"], "v": [1.5]})}
    rows = synthetic_rows(columns, tables, ["online"], count=400)
    assert rows == synthetic_rows(columns, tables, ["online"], count=400)
    assert {"ZZ9", "online", None} <= set(rows["code"])
    assert None in rows["n"] and rows["other"] == [None] * 400
