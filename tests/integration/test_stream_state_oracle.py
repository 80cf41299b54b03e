"""The proof of the streaming state against dbt (issue #14): the example's
int_transactions__enriched rows below a batch boundary form the batch edge; those from a
little before it on are delivered as events, shuffled within the view's allowed lateness
and partly delivered twice; at checkpoints while they stream, the windows served as of a
user's transaction time equal feat_user__spend_windows's row for that user and time, as
dbt built it (counts, sums and max exactly, averages to 1e-9), on SQLite and on Redis.

Ingestion (events -> input rows) is tested on its own in test_stream_ingest*.py; here the
input model's rows are the events, as that side produces them."""

from __future__ import annotations

import random
import uuid
from datetime import datetime, timedelta

import duckdb
import pyarrow as pa
import pytest

from featureops.catalog import FeatureCatalog
from featureops.online.redis import RedisOnlineStoreConfig
from featureops.online.sqlite import SqliteOnlineStoreConfig
from featureops.streaming.merge import merged_values
from featureops.streaming.state import EVENT_ID_COLUMN
from featureops.streaming.state_redis import RedisStreamState
from featureops.streaming.state_sqlite import SqliteStreamState
from featureops.streaming.windows import streaming_views
from tests.conftest import BuiltProject
from tests.services import require_redis

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
