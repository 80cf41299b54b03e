"""The Postgres engine: credentials mapped from a dbt-postgres target, Arrow types from the
column types Postgres reports (so empty and streamed results keep their schema), streaming
through a server-side cursor, read-only sessions that still take uploaded spines."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from types import SimpleNamespace

import pyarrow as pa
import pytest

from featureops.engines import WarehouseError
from featureops.engines.postgres_engine import PostgresEngine, connect_kwargs
from featureops.engines.postgres_types import arrow_type

TYPED_ROWS = """
    select n::bigint as id, (n * 1.5)::numeric(12, 2) as amount, avg(n) over () as mean,
           array[n::real, 0.5::real] as vector, timestamptz '2026-01-01 00:00:00+02' as at,
           date '2026-01-02' as day, ('{"k": ' || n || '}')::jsonb as doc, n % 2 = 0 as even,
           'x' || n as label
    from generate_series(1, 10) as n
"""


def test_credentials_of_a_dbt_postgres_target() -> None:
    kwargs = connect_kwargs({"type": "postgres", "host": "db", "port": 6543, "user": "u",
                             "pass": "p", "database": "d", "schema": "s", "threads": 4,
                             "sslmode": "require", "search_path": "s,public",
                             "keepalives_idle": 30, "role": "r"})
    assert kwargs == {"host": "db", "port": 6543, "user": "u", "password": "p", "dbname": "d",
                      "connect_timeout": 10, "application_name": "featureops",
                      "sslmode": "require", "keepalives_idle": 30,
                      "options": "-c search_path=s,public"}
    assert connect_kwargs({"host": "h", "port": "5433", "user": "u", "password": "x",
                           "dbname": "d", "connect_timeout": 2})["connect_timeout"] == 2


@pytest.mark.parametrize(("oid", "precision", "scale", "expected"), [
    (1700, 12, 2, pa.decimal128(12, 2)), (1700, 65535, 65535, pa.float64()),
    (1021, None, None, pa.list_(pa.float32())), (1184, None, None, pa.timestamp("us", "UTC")),
    (1114, None, None, pa.timestamp("us")), (3802, None, None, pa.string()),
    (600, None, None, pa.string()),  # a point: unknown to featureops, read as text
])
def test_arrow_types_follow_the_reported_column_types(oid, precision, scale, expected) -> None:
    column = SimpleNamespace(type_code=oid, precision=precision, scale=scale)
    assert arrow_type(column) == expected


@pytest.fixture
def engine():
    from tests.services import require_postgres

    with PostgresEngine(require_postgres()) as opened:
        yield opened


@pytest.mark.postgres
def test_results_have_the_declared_types(engine: PostgresEngine) -> None:
    table = engine.to_arrow(TYPED_ROWS + " order by n")
    assert table.schema == pa.schema([
        ("id", pa.int64()), ("amount", pa.decimal128(12, 2)), ("mean", pa.float64()),
        ("vector", pa.list_(pa.float32())), ("at", pa.timestamp("us", "UTC")),
        ("day", pa.date32()), ("doc", pa.string()), ("even", pa.bool_()),
        ("label", pa.string())])
    first = table.slice(0, 1).to_pylist()[0]
    assert first["amount"] == Decimal("1.50") and first["mean"] == 5.5
    assert first["at"] == dt.datetime(2025, 12, 31, 22, tzinfo=dt.timezone.utc)
    assert first["doc"] == '{"k": 1}' and first["vector"] == [1.0, 0.5]
    assert engine.schema(TYPED_ROWS) == table.schema
    assert engine.to_arrow(TYPED_ROWS + " limit 0").schema == table.schema


@pytest.mark.postgres
def test_batches_stream_from_a_server_side_cursor(engine: PostgresEngine) -> None:
    sql = "select n as id from generate_series(1, 2500) as n order by n"
    stream = engine.batches(sql, 1000)
    first = next(stream)
    with engine.conn.cursor() as cursor:  # same session, same transaction as the stream
        cursor.execute("select count(*) from pg_cursors where name like 'featureops_%'")
        assert cursor.fetchone()[0] == 1
    sizes = [first.num_rows] + [batch.num_rows for batch in stream]
    assert sizes == [1000, 1000, 500]
    assert engine.conn.autocommit  # the stream's transaction is over
    assert list(engine.batches("select 1 as x where false", 10)) == []


@pytest.mark.postgres
def test_sessions_are_read_only_but_take_uploads(engine: PostgresEngine) -> None:
    with pytest.raises(WarehouseError, match="read-only transaction"):
        engine.to_arrow("create table featureops_should_not_exist (a int)")
    engine.register("spine", pa.table({"user_id": [1, 2], "at": pa.array(
        [dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)] * 2, pa.timestamp("us", "UTC"))}))
    uploaded = engine.to_arrow("select sum(user_id) as total, min(at) as at from spine")
    assert uploaded.to_pylist() == [{"total": 3.0,  # sum(bigint) is an unconstrained numeric
                                     "at": dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)}]
    with pytest.raises(WarehouseError, match="read-only transaction"):
        engine.to_arrow("create table featureops_should_not_exist (a int)")


@pytest.mark.postgres
def test_sessions_plan_for_reading_every_row(engine: PostgresEngine) -> None:
    """Server-side cursors are planned for the first 10% of rows by default, which picked
    nested loops and made the example's training set 15 times slower; JIT compiling
    cost more than it saved on leakage checks."""
    settings = engine.to_arrow("select current_setting('cursor_tuple_fraction') as fraction, "
                               "current_setting('jit') as jit, "
                               "current_setting('TimeZone') as zone").to_pylist()
    assert settings == [{"fraction": "1", "jit": "off", "zone": "UTC"}]
