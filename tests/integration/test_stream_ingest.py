"""Stream ingest on the dbt-built example: every raw transaction published as a JSON event,
validated against the payments.transactions source and turned into
int_transactions__enriched rows by the models' own SQL in process, equals the rows dbt
built (column for column); the events dbt's joins drop are reported as dropped; bad
events become dead letters with their reason."""

from __future__ import annotations

from datetime import datetime, timezone

import duckdb
import orjson
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from featureops.request_time.lookups import WarehouseLookups
from featureops.streaming.events import (
    INVALID,
    INVALID_JSON,
    EventDecoder,
    encode_event,
)
from featureops.streaming.sources import stream_source
from featureops.streaming.state import EVENT_ID_COLUMN
from featureops.streaming.transform import EventTransform, build_chain
from tests.integration.online_support import project_for

pytestmark = pytest.mark.slow

INPUT_MODEL = "int_transactions__enriched"
BATCH = 4000


@pytest.fixture(scope="module")
def project(duckdb_build):
    with pytest.MonkeyPatch.context() as patch:
        yield project_for(duckdb_build, patch)


@pytest.fixture(scope="module")
def ingest(project):
    manifest = project.manifest
    source = stream_source(manifest, "payments_transactions")
    decoder = EventDecoder(manifest, source)
    transform = EventTransform(build_chain(manifest, source, INPUT_MODEL),
                               WarehouseLookups(project), decoder.schema)
    yield decoder, transform
    transform.close()


def _dbt_rows(duckdb_build) -> pa.Table:
    with duckdb.connect(str(duckdb_build.duckdb_path), read_only=True) as conn:
        return conn.sql(f"select * from main.{INPUT_MODEL}").to_arrow_table()


def test_events_become_the_rows_dbt_built(duckdb_build, ingest):
    decoder, transform = ingest
    raw = pq.read_table(duckdb_build.raw_dir / "transactions.parquet").to_pylist()
    payloads = [encode_event(row) for row in raw]
    parts, dropped = [], []
    for start in range(0, len(payloads), BATCH):
        decoded = decoder.decode(payloads[start:start + BATCH])
        assert not decoded.dead and decoded.duplicates == 0
        result = transform.rows(decoded.rows, decoded.event_ids)
        assert result.fanned_out == ()
        parts.append(result.rows)
        dropped.extend(result.dropped)
    streamed = pa.concat_tables(parts).sort_by("transaction_id")
    expected = _dbt_rows(duckdb_build).sort_by("transaction_id")
    assert streamed.column(EVENT_ID_COLUMN).to_pylist() == \
        [str(i) for i in streamed.column("transaction_id").to_pylist()]
    streamed = streamed.drop_columns([EVENT_ID_COLUMN])
    assert streamed.column_names == expected.column_names
    assert streamed.num_rows == expected.num_rows > 40_000
    for name in expected.column_names:  # exact, floats included: the same SQL ran
        assert streamed.column(name).to_pylist() == expected.column(name).to_pylist(), name
    # dbt's inner joins drop some raw rows (unknown currency or user): reported, not lost
    built = set(expected.column("transaction_id").to_pylist())
    assert sorted(int(i) for i in dropped) == sorted(r["transaction_id"] for r in raw
                                                     if r["transaction_id"] not in built)


def test_bad_events_are_dead_lettered_with_their_reason(ingest):
    decoder, transform = ingest
    good = {"transaction_id": 10_000_001, "user_id": 1, "merchant_id": 2, "amount": 12.5,
            "currency": "USD", "merchant_category_code": "5411", "channel": "chip",
            "device_type": "pos_terminal", "device_id": "d1", "country": "US",
            "event_at": "2026-10-31T12:00:00Z"}
    payloads = [
        orjson.dumps(good),
        b"{not json",
        orjson.dumps({**good, "transaction_id": 10_000_002, "user_id": None}),
        orjson.dumps({**good, "transaction_id": 10_000_003, "amount": "12.5"}),
        orjson.dumps({**good, "transaction_id": 10_000_004, "channel": "pigeon"}),
        orjson.dumps({**good, "transaction_id": 10_000_005, "tip": 1}),
        orjson.dumps({**good, "transaction_id": 10_000_006,
                      "event_at": "2027-01-01T00:00:00Z"}),
        orjson.dumps(good),  # the same event again: one row, counted as a duplicate
    ]
    decoded = decoder.decode(payloads, now=datetime(2026, 11, 1, tzinfo=timezone.utc))
    assert decoded.event_ids == ["10000001"] and decoded.duplicates == 1
    assert decoded.row_of == {0: 0, 7: 0}
    reasons = {i: (d.reason, d.problems[0].field if d.problems else None, d.event_id)
               for i, d in decoded.dead.items()}
    assert reasons == {
        1: (INVALID_JSON, None, None),
        2: (INVALID, "user_id", "10000002"),
        3: (INVALID, "amount", "10000003"),
        4: (INVALID, "channel", "10000004"),
        5: (INVALID, "tip", "10000005"),
        6: (INVALID, "event_at", "10000006"),
    }
    assert "accepted_values" in decoded.dead[4].message
    letter = orjson.loads(decoded.dead[3].to_json("payments_transactions", "7"))
    assert letter["reason"] == INVALID and letter["event"]["amount"] == "12.5"
    assert orjson.loads(decoded.dead[1].to_json("payments_transactions", "2"))["raw"] == \
        "{not json"
    rows = transform.rows(decoded.rows, decoded.event_ids).rows
    assert rows.column("transaction_id").to_pylist() == [10_000_001]
    assert rows.column("amount_usd").to_pylist() == [12.5]  # USD rate 1
