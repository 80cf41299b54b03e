"""The proof of the streaming state against dbt (issue #14): the example's
int_transactions__enriched rows below a batch boundary form the batch edge; those from a
little before it on are delivered as events, shuffled within the view's allowed lateness
and partly delivered twice; at checkpoints while they stream, the windows served as of a
user's transaction time equal feat_user__spend_windows's row for that user and time, as
dbt built it (counts, sums, min and max exactly, averages to 1e-9), on SQLite and on Redis.

Twice: with the input model's rows applied to the state directly (all of them), and end to
end with the raw transactions of a day and a half published to NATS JetStream and to Redis
Streams and consumed by two workers at once (validation, dbt's SQL in process, lateness in
log order, exactly-once by event id)."""

from __future__ import annotations

import asyncio
import random
import uuid
from datetime import datetime, timedelta

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from featureops.catalog import FeatureCatalog
from featureops.online.redis import RedisOnlineStoreConfig
from featureops.online.sqlite import SqliteOnlineStoreConfig
from featureops.streaming.events import encode_event
from featureops.streaming.merge import merged_values
from featureops.streaming.state import EVENT_ID_COLUMN
from featureops.streaming.state_redis import RedisStreamState
from featureops.streaming.state_sqlite import SqliteStreamState
from featureops.streaming.windows import streaming_views
from tests.conftest import BuiltProject
from tests.integration.stream_support import (
    drop_log,
    source_log,
    started_worker,
    stream_project,
)
from tests.services import require_nats, require_redis

VIEW = "feat_user__spend_windows"
BATCH = 400
EPOCH = datetime(1970, 1, 1)


def _micros(value: datetime) -> int:
    return (value - EPOCH) // timedelta(microseconds=1)


@pytest.fixture(scope="module")
def example(duckdb_build: BuiltProject):
    manifest = duckdb_build.manifest
    (view,) = [v for v in streaming_views(manifest, FeatureCatalog.from_manifest(manifest))
               if v.name == VIEW]
    with duckdb.connect(str(duckdb_build.duckdb_path), read_only=True) as conn:
        inputs = conn.sql(
            f"select *, cast(transaction_id as varchar) as {EVENT_ID_COLUMN} "
            f"from main.{view.input_model} order by event_at").to_arrow_table()
        dbt_rows = conn.sql(f"select * from main.{VIEW}").to_arrow_table()
    return view, inputs, dbt_rows


@pytest.fixture(params=["sqlite", "redis"])
def state(request, tmp_path):
    if request.param == "sqlite":
        state = SqliteStreamState(SqliteOnlineStoreConfig(path=str(tmp_path / "o.db")),
                                  tmp_path)
        yield state
    else:
        require_redis()
        config = RedisOnlineStoreConfig(key_prefix=f"fo_test_{uuid.uuid4().hex[:8]}")
        state = RedisStreamState(config, tmp_path)
        yield state
        keys = list(state.client.scan_iter(match=f"{config.key_prefix}:*", count=10_000))
        if keys:
            state.client.delete(*keys)
    state.close()


def test_served_windows_equal_dbt_at_checkpoints(example, state) -> None:
    view, inputs, dbt_rows = example
    times = [_micros(t) for t in inputs.column("event_at").to_pylist()]
    boundary = times[int(len(times) * 0.8)]
    lateness = view.allowed_lateness_micros
    assert lateness == 5 * 60_000_000
    # the batch edge: the warehouse's rows below the boundary (write_edge keeps the last
    # 30 days of them), of the online version "1"
    kept = state.write_edge(view, "1", boundary, inputs.drop([EVENT_ID_COLUMN]))
    assert kept > 1000
    # the stream: every event from an hour before the boundary (the stream overlaps the
    # batch; those below the boundary must not count twice), arriving up to the lateness
    # late, 5% of them twice
    rng = random.Random(14)
    start = next(i for i, t in enumerate(times) if t >= boundary - 3_600_000_000)
    order = sorted(range(start, len(times)),
                   key=lambda i: times[i] + rng.randrange(0, lateness))
    order += rng.sample(order, len(order) // 20)
    order.sort(key=lambda i: times[i] + rng.randrange(0, lateness))
    expected = {(row["user_id"], _micros(row["event_at"])): row
                for row in dbt_rows.to_pylist() if _micros(row["event_at"]) >= boundary}
    by_time = sorted(expected)
    checked, watermark, done = 0, None, 0
    for first in range(0, len(order), BATCH):
        batch = inputs.take(pa.array(order[first:first + BATCH]))
        result = state.apply(view, batch)
        assert result.too_late == 0
        watermark = max([watermark or 0, *(times[i] for i in order[first:first + BATCH])])
        # checkpoints: dbt rows whose time no event still to come can precede
        ready = [k for k in by_time[done:] if k[1] <= watermark - lateness]
        done += len(ready)
        for user_id, at in rng.sample(ready, min(len(ready), 15)):
            read = state.read(view, "1", [str(user_id)], at - view.widths_micros[0], at)
            served = merged_values(view, at, read.edge.get(str(user_id)),
                                   read.boundary_micros, read.stream.get(str(user_id)))
            _assert_row(served, expected[(user_id, at)], view)
            checked += 1
    assert checked >= 200


def _assert_row(served: dict, row: dict, view) -> None:
    for window in view.windows:
        value, want = served[window.name], row[window.name]
        if window.aggregate == "avg" and want is not None:
            assert value == pytest.approx(want, rel=0, abs=1e-9), (window.name, row)
        else:
            assert value == want, (window.name, value, want, row["user_id"], row["event_at"])


# --- end to end: raw events through the log and two workers -------------------------------

STREAM_HOURS = 36
PARTS = 3


@pytest.fixture(params=["nats", "redis"])
def log_project(request, duckdb_build, tmp_path, monkeypatch):
    """A project on a private subject of the chosen log server; small batches, so two
    workers interleave."""
    (require_nats if request.param == "nats" else require_redis)()
    project = stream_project(tmp_path, duckdb_build, monkeypatch,
                             f"  transport: {request.param}\n  ack_wait: 5s\n"
                             "  batch_size: 40\n  max_wait_ms: 20\n")
    yield project
    asyncio.run(drop_log(project))


async def _publish(project, payloads: list[bytes]) -> None:
    async with source_log(project) as transport:
        await transport.publish(payloads)


async def _two_workers(project, state) -> list:
    """Two workers sharing the group (one store connection each) until nothing is left."""
    async with started_worker(project, state) as first, \
            started_worker(project, type(state)(state.store.config,
                                                project.project_dir)) as second:
        try:
            await asyncio.gather(first.run(until_idle=True), second.run(until_idle=True))
        finally:
            second.state.close()
    return [first.pipelines[0].stats, second.pipelines[0].stats]


def test_events_through_the_log_and_two_workers_equal_dbt(example, state, log_project,
                                                          duckdb_build) -> None:
    view, inputs, dbt_rows = example
    times = [_micros(t) for t in inputs.column("event_at").to_pylist()]
    boundary = times[int(len(times) * 0.8)]
    lateness = view.allowed_lateness_micros
    state.write_edge(view, "1", boundary, inputs.drop([EVENT_ID_COLUMN]))
    # the raw transactions from an hour before the boundary, for STREAM_HOURS: published
    # in an order shuffled within the lateness, 5% of them twice
    start, end = boundary - 3_600_000_000, boundary + STREAM_HOURS * 3_600_000_000
    raw = [row for row in pq.read_table(duckdb_build.raw_dir / "transactions.parquet")
           .to_pylist() if start <= _micros(row["event_at"]) < end]
    rng = random.Random(1414)
    keyed = [(_micros(row["event_at"]) + rng.randrange(0, lateness), _micros(row["event_at"]),
              encode_event(row)) for row in raw]
    keyed += [(key + rng.randrange(0, lateness), at, payload)
              for key, at, payload in rng.sample(keyed, len(keyed) // 20)]
    keyed.sort(key=lambda item: item[0])
    swapped = sum(1 for a, b in zip(keyed, keyed[1:], strict=False) if a[1] > b[1])
    assert len(raw) > 500 and swapped > 50  # out of time order, within the lateness
    # dbt's rows after the boundary, at or before the end of the published span
    expected = {(row["user_id"], _micros(row["event_at"])): row for row in dbt_rows.to_pylist()
                if boundary <= _micros(row["event_at"]) < end - lateness}
    done: set = set()
    applied, too_late, received = 0, 0, [0, 0]
    for part in range(PARTS):
        chunk = keyed[len(keyed) * part // PARTS:len(keyed) * (part + 1) // PARTS]
        asyncio.run(_publish(log_project, [payload for _, _, payload in chunk]))
        stats = asyncio.run(_two_workers(log_project, state))
        applied += sum(s.applied for s in stats)
        too_late += sum(s.too_late for s in stats)
        received = [r + s.received for r, s in zip(received, stats, strict=True)]
        # checkpoint: every event before `ready` was published (its key is below the last
        # key published) and consumed
        ready = chunk[-1][0] - lateness
        due = [key for key in expected if key[1] <= ready and key not in done]
        assert due
        for user_id, at in due:
            read = state.read(view, "1", [str(user_id)], at - view.widths_micros[0], at)
            served = merged_values(view, at, read.edge.get(str(user_id)),
                                   read.boundary_micros, read.stream.get(str(user_id)))
            _assert_row(served, expected[(user_id, at)], view)
            done.add((user_id, at))
    assert min(received) > 0 and sum(received) == len(keyed)  # both workers took a share
    assert too_late == 0
    assert applied == len(_input_ids(inputs, raw))
    assert len(done) == len(expected) >= 100


def _input_ids(inputs, raw: list[dict]) -> set:
    """The events dbt's models keep (the others are dead letters: dropped by the model)."""
    ids = {row["transaction_id"] for row in raw}
    return {i for i in inputs.column("transaction_id").to_pylist() if i in ids}
