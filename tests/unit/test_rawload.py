"""Tests for featureops.rawload: identifier safety and CSV encoding (no server needed),
then real loads into the local Postgres (marked ``postgres``)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from featureops import rawload
from featureops.datagen import TABLES, generate
from featureops.rawload import (
    load_into_postgres,
    pg_column_type,
    quote_ident,
)
from tests.services import require_postgres


# ---------------------------------------------------------------- no server needed
@pytest.mark.parametrize("name", ["raw", "_x", "users__loading", "t2", "a" * 63])
def test_quote_ident_accepts_simple_names(name: str) -> None:
    assert quote_ident(name) == f'"{name}"'


@pytest.mark.parametrize("name", ["Raw", "2raw", "raw-data", 'a"b', "raw; drop", "", "a" * 64,
                                  "raw.users", "é"])
def test_quote_ident_rejects_anything_else(name: str) -> None:
    with pytest.raises(ValueError, match="invalid identifier"):
        quote_ident(name)


def test_bad_schema_is_rejected_before_connecting(tmp_path: Path) -> None:
    pq.write_table(pa.table({"a": [1]}), tmp_path / "t.parquet")
    with pytest.raises(ValueError, match="invalid identifier"):
        load_into_postgres(tmp_path, "host=/nonexistent", schema="Raw;--", progress=False)
    (tmp_path / "Bad-Name.parquet").write_bytes(b"")
    with pytest.raises(ValueError, match="invalid identifier"):
        load_into_postgres(tmp_path, "host=/nonexistent", progress=False)


def test_pg_column_types() -> None:
    assert pg_column_type(pa.int64()) == "bigint"
    assert pg_column_type(pa.int32()) == "integer"
    assert pg_column_type(pa.float64()) == "double precision"
    assert pg_column_type(pa.string()) == "text"
    assert pg_column_type(pa.timestamp("us")) == "timestamp"
    assert pg_column_type(pa.list_(pa.float32())) == "real[]"
    with pytest.raises(TypeError):
        pg_column_type(pa.timestamp("us", tz="UTC"))
    with pytest.raises(TypeError):
        pg_column_type(pa.struct([("a", pa.int8())]))


def test_csv_encoding_distinguishes_null_from_empty_and_writes_array_literals() -> None:
    batch = pa.RecordBatch.from_pydict({
        "s": pa.array(["", None, 'say "hi"', "a,b\nc"]),
        "e": pa.array([[0.1, -2.5e-7], None, [], [1.0]], pa.list_(pa.float32())),
        "t": pa.array([datetime(2026, 1, 2, 3, 4, 5)] * 4, pa.timestamp("us")),
    })
    lines = rawload._batch_to_csv(batch).decode()
    assert lines.startswith('"","{0.1,-2.5e-7}",2026-01-02 03:04:05.000000\n,,')
    assert '"say ""hi""","{}"' in lines
    assert '"a,b\nc","{1}"' in lines
    with pytest.raises(ValueError, match="NULL elements"):
        rawload._batch_to_csv(pa.RecordBatch.from_pydict(
            {"e": pa.array([[1.0, None]], pa.list_(pa.float32()))}))


# ---------------------------------------------------------------- against Postgres
@pytest.fixture(scope="module")
def small_raw(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("raw_small")
    generate(out, n_transactions=3_000, seed=5, progress=False)
    return out


@pytest.fixture()
def pg() -> Iterator[tuple[dict[str, Any], str, Any]]:
    """(dsn, unique schema, open connection); the schema is dropped afterwards."""
    dsn = require_postgres()
    import psycopg2

    schema = f"test_rawload_{uuid.uuid4().hex[:12]}"
    conn = psycopg2.connect(**dsn)
    conn.autocommit = True
    try:
        yield dsn, schema, conn
    finally:
        with conn.cursor() as cur:
            cur.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        conn.close()


def _fetch(conn: Any, sql: str) -> tuple:
    with conn.cursor() as cur:
        cur.execute(sql)
        return cur.fetchone()


def _tables_in(conn: Any, schema: str) -> set[str]:
    with conn.cursor() as cur:
        cur.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = %s",
                    (schema,))
        return {r[0] for r in cur.fetchall()}


@pytest.mark.postgres
def test_load_matches_parquet(small_raw: Path, pg: tuple) -> None:
    dsn, schema, conn = pg
    loaded = load_into_postgres(small_raw, dsn, schema=schema, progress=False)
    parquet = {t: pq.read_table(small_raw / f"{t}.parquet") for t in TABLES}
    assert loaded == {t: parquet[t].num_rows for t in TABLES}
    assert _tables_in(conn, schema) == set(TABLES)

    tx = parquet["transactions"]
    got = _fetch(conn, f"""SELECT count(*), sum(transaction_id), sum(user_id),
        round(sum(amount)::numeric, 2), min(event_at), max(event_at), count(DISTINCT device_id),
        sum(length(currency || channel || country))
        FROM "{schema}".transactions""")
    want = (tx.num_rows, pc.sum(tx["transaction_id"]).as_py(), pc.sum(tx["user_id"]).as_py(),
            round(pc.sum(tx["amount"]).as_py(), 2), pc.min(tx["event_at"]).as_py(),
            pc.max(tx["event_at"]).as_py(), pc.count_distinct(tx["device_id"]).as_py(),
            sum(len(a) + len(b) + len(c) for a, b, c in zip(
                tx["currency"].to_pylist(), tx["channel"].to_pylist(),
                tx["country"].to_pylist(), strict=True)))
    assert got[:3] == want[:3] and float(got[3]) == pytest.approx(want[3], abs=0.01)
    assert got[4:] == want[4:]

    m = parquet["merchants"]
    emb = pc.list_flatten(m["description_embedding"]).to_numpy().reshape(-1, 16)
    with conn.cursor() as cur:
        cur.execute(f"""SELECT description_embedding, category_code, onboarded_at
                        FROM "{schema}".merchants ORDER BY merchant_id""")
        rows = cur.fetchall()
    assert np.array_equal(np.array([r[0] for r in rows], np.float32), emb)  # bit-exact float32
    assert [r[1] for r in rows] == m["category_code"].to_pylist()  # '0742'-style stays text
    assert [r[2] for r in rows] == m["onboarded_at"].to_pylist()

    with conn.cursor() as cur:
        cur.execute("""SELECT table_name, column_name, udt_name FROM information_schema.columns
                       WHERE table_schema = %s""", (schema,))
        types = {(t, c): u for t, c, u in cur.fetchall()}
    assert types[("transactions", "transaction_id")] == "int8"
    assert types[("users", "birth_year")] == "int4"
    assert types[("transactions", "amount")] == "float8"
    assert types[("transactions", "event_at")] == "timestamp"
    assert types[("merchants", "description_embedding")] == "_float4"
    assert types[("chargebacks", "reason_code")] == "text"


@pytest.mark.postgres
def test_reload_replaces_tables_and_keeps_dependent_views(small_raw: Path, pg: tuple,
                                                         tmp_path: Path) -> None:
    dsn, schema, conn = pg
    load_into_postgres(small_raw, dsn, schema=schema, progress=False, tables=["users"])
    with conn.cursor() as cur:  # like a dbt staging view on the raw table
        cur.execute(f'CREATE VIEW "{schema}".stg_users AS SELECT user_id FROM "{schema}".users')
    other = generate(tmp_path / "other", n_transactions=2_000, seed=9, progress=False)
    dsn_string = " ".join(f"{k}={v}" for k, v in dsn.items() if v != "")
    assert load_into_postgres(tmp_path / "other", dsn_string, schema=schema, progress=False,
                              tables=["users"]) == {"users": other.row_counts["users"]}
    assert _fetch(conn, f'SELECT count(*) FROM "{schema}".stg_users') == (
        other.row_counts["users"],)
    assert _tables_in(conn, schema) == {"users", "stg_users"}


@pytest.mark.postgres
def test_failed_load_keeps_the_previous_table(small_raw: Path, pg: tuple,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    dsn, schema, conn = pg
    load_into_postgres(small_raw, dsn, schema=schema, progress=False, tables=["transactions"])
    before = _fetch(conn, f'SELECT count(*), sum(amount) FROM "{schema}".transactions')

    real = rawload._batch_to_csv
    calls = {"n": 0}

    def flaky(batch: pa.RecordBatch) -> bytes:
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("disk on fire")
        return real(batch)

    monkeypatch.setattr(rawload, "_batch_to_csv", flaky)
    with pytest.raises(RuntimeError, match="disk on fire"):
        load_into_postgres(small_raw, dsn, schema=schema, progress=False,
                           tables=["transactions"], batch_rows=500)
    assert calls["n"] == 3  # it really failed half-way through the COPY
    assert _fetch(conn, f'SELECT count(*), sum(amount) FROM "{schema}".transactions') == before
    assert _tables_in(conn, schema) == {"transactions"}  # no transactions__loading left
