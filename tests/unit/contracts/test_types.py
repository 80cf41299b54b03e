"""Type normalisation across DuckDB and Postgres spellings, and the widening order, checked
against DuckDB itself: a widening must round-trip every extreme value of the old type."""

from __future__ import annotations

import itertools

import duckdb
import pytest

from featureops.contracts.types import (
    SqlType,
    classify_type_change,
    is_widening,
    parse_type,
    portable_spelling,
)


@pytest.mark.parametrize("spellings,expected", [
    (["bigint", "BIGINT", "int8", "long"], SqlType("bigint")),
    (["integer", "int", "INT4", "signed"], SqlType("integer")),
    (["smallint", "int2"], SqlType("smallint")),
    (["double precision", "DOUBLE", "float8", "Double  Precision"], SqlType("double")),
    (["real", "float4"], SqlType("real")),
    (["text", "varchar", "VARCHAR", "string", "character varying"], SqlType("varchar")),
    (["varchar(20)", "character varying (20)", "VARCHAR(20)"], SqlType("varchar", (20,))),
    (["timestamp", "timestamp without time zone", "datetime", "TIMESTAMP(6)"],
     SqlType("timestamp", (6,))),
    (["timestamptz", "timestamp with time zone"], SqlType("timestamptz", (6,))),
    (["numeric(10, 2)", "decimal(10,2)", "DEC(10,2)"], SqlType("decimal", (10, 2))),
    (["boolean", "bool"], SqlType("boolean")),
    (["real[16]", "FLOAT4[16]", "float[16]"], SqlType("real", (), (16,))),
    (["double precision[]", "float8[]", "DOUBLE[]"], SqlType("double", (), (None,))),
    (["integer array", "int[]"], SqlType("integer", (), (None,))),
])
def test_spellings_normalise_to_one_type_on_duckdb(spellings: list[str],
                                                   expected: SqlType) -> None:
    assert {parse_type(s, "duckdb") for s in spellings} == {expected}


@pytest.mark.parametrize("text,duckdb_type,postgres_type", [
    ("float", SqlType("real"), SqlType("double")),
    ("decimal", SqlType("decimal", (18, 3)), SqlType("decimal")),
    ("char", SqlType("varchar"), SqlType("char", (1,))),
    ("real[16]", SqlType("real", (), (16,)), SqlType("real", (), (None,))),
])
def test_engine_dependent_spellings(text: str, duckdb_type: SqlType,
                                    postgres_type: SqlType) -> None:
    assert parse_type(text, "duckdb") == duckdb_type
    assert parse_type(text, "postgres") == postgres_type


@pytest.mark.parametrize("old,new,expected", [
    ("integer", "bigint", "widened"),
    ("bigint", "integer", "narrowed"),
    ("int8", "bigint", "respelled"),
    ("bigint", "bigint", "same"),
    ("real", "double precision", "widened"),
    ("float", "double", "widened"),  # DuckDB's float is 32-bit
    ("varchar(10)", "varchar(40)", "widened"),
    ("varchar(10)", "text", "widened"),
    ("text", "varchar(10)", "narrowed"),
    ("text", "bigint", "changed"),
    ("boolean", "integer", "changed"),
    ("timestamp", "timestamptz", "changed"),
    ("timestamp_ms", "timestamp", "widened"),
    ("real[16]", "double precision[16]", "widened"),
    ("real[16]", "real[]", "widened"),
    ("real[16]", "real[32]", "changed"),
    ("bigint", "double precision", "changed"),
    ("integer", "double precision", "widened"),
    ("decimal(10,2)", "decimal(12,2)", "widened"),
    ("decimal(10,2)", "decimal(10,4)", "changed"),
    ("decimal(5,2)", "double", "changed"),  # 0.01 has no exact binary value
    ("struct(a integer)", "struct(a integer)", "same"),
    ("STRUCT(a INTEGER)", "struct(a bigint)", "changed"),
])
def test_classify_type_change(old: str, new: str, expected: str) -> None:
    assert classify_type_change(old, new, "duckdb", "duckdb") == expected


# Types DuckDB can cast between, each with values at its edges and where precision runs
# out (2**24 + 1 for real, 2**53 + 1 for double, many digits for decimals).
SAMPLES = {
    "tinyint": ["-128", "127"],
    "smallint": ["-32768", "32767"],
    "integer": ["-2147483648", "2147483647", "16777217"],
    "bigint": ["-9223372036854775808", "9223372036854775807", "9007199254740993"],
    "hugeint": ["-170141183460469231731687303715884105728",
                "170141183460469231731687303715884105727"],
    "utinyint": ["0", "255"],
    "usmallint": ["65535"],
    "uinteger": ["4294967295"],
    "ubigint": ["18446744073709551615"],
    "real": ["3.4028235e38", "-3.4028235e38", "1.4e-45", "0.1"],
    "double": ["1.7976931348623157e308", "4.9e-324", "0.1"],
    "decimal(5,2)": ["-999.99", "999.99", "0.01"],
    "decimal(10,2)": ["-99999999.99", "99999999.99"],
    "decimal(18,3)": ["999999999999999.999", "-0.001"],
    "decimal(38,10)": ["9999999999999999999999999999.9999999999"],
}


def _round_trips(conn: duckdb.DuckDBPyConnection, old: str, new: str, value: str) -> bool:
    try:
        row = conn.execute(
            f"select cast(cast(cast(? as {old}) as {new}) as {old}) = cast(? as {old})",
            [value, value]).fetchone()
    except duckdb.Error:
        return False
    return bool(row and row[0])


def test_widening_matches_duckdb_round_trips() -> None:
    conn = duckdb.connect(config={"autoinstall_known_extensions": False})
    for old, new in itertools.permutations(SAMPLES, 2):
        if old.startswith("decimal") and new in ("real", "double"):
            continue  # the cast back rounds 0.0099999998 to 0.01 again: see the table above
        survives = all(_round_trips(conn, old, new, v) for v in SAMPLES[old])
        claimed = is_widening(parse_type(old, "duckdb"), parse_type(new, "duckdb"))
        # A claimed widening must keep every value; a refused one must lose one of them.
        assert claimed == survives, f"{old} -> {new}: widening={claimed}, duckdb={survives}"


@pytest.mark.parametrize("duckdb_spelling,portable", [
    ("DOUBLE", "double precision"), ("VARCHAR", "text"), ("FLOAT", "real"),
    ("FLOAT[16]", "real[16]"), ("TIMESTAMP WITH TIME ZONE", "timestamp with time zone"),
    ("HUGEINT", "hugeint"), ("DECIMAL(10,2)", "decimal(10,2)"), ("TIMESTAMP", "timestamp"),
    ("TIMESTAMP_NS", "timestamp_ns"), ("BIGINT[]", "bigint[]"),
])
def test_portable_spelling_round_trips(duckdb_spelling: str, portable: str) -> None:
    parsed = parse_type(duckdb_spelling, "duckdb")
    assert portable_spelling(parsed) == portable
    assert parse_type(portable, "duckdb") == parsed
