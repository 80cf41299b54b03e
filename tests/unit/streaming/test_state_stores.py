"""The streaming state, in SQLite and in Redis: events delivered out of order (within the allowed
lateness), some twice, some too late, give at every checkpoint the values DuckDB computes
with windowed_aggregate's frame over the events that count; batches are atomic and
idempotent per event id, also with concurrent writers; replay versions flip atomically;
the batch edge and the stream split at the online version's boundary."""

from __future__ import annotations

import random
import threading
import uuid
from datetime import datetime, timedelta

import pyarrow as pa
import pytest
import redis

from featureops.online.redis import RedisOnlineStoreConfig
from featureops.online.sqlite import SqliteOnlineStoreConfig
from featureops.streaming.merge import merged_values
from featureops.streaming.state import EVENT_ID_COLUMN, StreamStateError
from featureops.streaming.state_redis import RedisStreamState
from featureops.streaming.state_sqlite import SqliteStreamState
from tests.services import require_redis
from tests.unit.streaming.state_oracle import HOUR, events, oracle, view

LATENESS = 2 * HOUR
VIEW = view(LATENESS)
W_MAX = VIEW.widths_micros[0]
EPOCH = datetime(1970, 1, 1)


def sqlite_config(tmp_path):
    return SqliteOnlineStoreConfig(path=str(tmp_path / "online.db"))


def redis_config(tmp_path):
    require_redis()
    return RedisOnlineStoreConfig(key_prefix=f"fo_test_{uuid.uuid4().hex[:8]}")


def open_state(config, tmp_path):
    if config.type == "sqlite":
        return SqliteStreamState(config, tmp_path)
    return RedisStreamState(config, tmp_path)


@pytest.fixture(params=["sqlite", "redis", "redis-cluster"])
def config(request, tmp_path):
    if request.param == "redis-cluster":  # the session's private Redis Cluster
        config = RedisOnlineStoreConfig(key_prefix=f"fo_test_{uuid.uuid4().hex[:8]}",
                                        cluster=True,
                                        url_env=request.getfixturevalue("redis_cluster"))
    else:
        config = (sqlite_config if request.param == "sqlite" else redis_config)(tmp_path)
    yield config
    if config.type == "redis":
        state = RedisStreamState(config, tmp_path)
        for pattern in (f"{config.key_prefix}:*", f"{{{config.key_prefix}:*"):
            for key in list(state.client.scan_iter(match=pattern, count=10_000)):
                state.client.delete(key)
        state.close()


@pytest.fixture
def state(config, tmp_path):
    state = open_state(config, tmp_path)
    yield state
    state.close()


def rows(batch) -> pa.Table:
    """Event rows as the ingest side builds them (event time a naive UTC timestamp)."""
    return pa.table({
        "user_id": pa.array([e[1][0] for e in batch], pa.int64()),
        "event_at": pa.array([EPOCH + timedelta(microseconds=e[1][1]) for e in batch],
                             pa.timestamp("us")),
        "amount": pa.array([e[1][2] for e in batch], pa.float64()),
        "units": pa.array([e[1][3] for e in batch], pa.int64()),
        EVENT_ID_COLUMN: pa.array([e[0] for e in batch], pa.string()),
    })


def deliveries(seed: int, n: int = 600):
    """(id, event) in arrival order: shuffled within the lateness, 10% delivered again in a
    later batch, 3% arriving far too late; batches of 25."""
    rng = random.Random(seed)
    numbered = [(f"e{i}", e) for i, e in enumerate(events(seed, n))]
    late = set(rng.sample(range(n), n * 3 // 100))
    order = sorted(range(n), key=lambda i: numbered[i][1][1] + (
        3 * LATENESS if i in late else rng.randrange(0, LATENESS)))
    arrivals = [numbered[i] for i in order]
    for i in rng.sample(range(n), n // 10):
        arrivals.insert(rng.randrange(i, len(arrivals) + 1), numbered[order[i]])
    return [arrivals[i:i + 25] for i in range(0, len(arrivals), 25)]


def serve(state, keys, as_of, online_version=None):
    read = state.read(VIEW, online_version, [str(k) for k in keys], as_of - W_MAX, as_of)
    return {k: merged_values(VIEW, as_of, read.edge.get(str(k)), read.boundary_micros,
                             read.stream.get(str(k))) for k in keys}


def check_served(served: dict, counted: list) -> None:
    expected = oracle(VIEW, counted, sorted(served))
    for probe, values in served.items():
        for name, value in expected[probe].items():
            if "avg" in name and value is not None:
                assert values[name] == pytest.approx(value, rel=1e-12), (probe, name)
            else:
                assert values[name] == value, (probe, name, values[name], value)


@pytest.mark.parametrize("seed", [4, 5])
def test_checkpoints_equal_the_macro_over_counted_events(state, seed: int) -> None:
    counted, seen, too_late, watermark = {}, set(), set(), None
    served = {}
    for batch in deliveries(seed):
        # the rule: a new id counts unless older than the watermark at the batch's start
        # minus the lateness; a counted id is a duplicate until it is pruned (older than
        # that minus the longest window), then too late
        limit = None if watermark is None else watermark - LATENESS
        horizon = None if limit is None else limit - W_MAX
        expected_late = [i for i, e in batch if limit is not None and e[1] < limit
                         and (i not in seen or e[1] < horizon)]
        result = state.apply(VIEW, rows(batch))
        fresh = {i: e for i, e in batch if i not in seen and i not in expected_late}
        assert sorted(result.too_late_ids) == sorted(expected_late)
        assert (result.applied, result.too_late) == (len(fresh), len(expected_late))
        assert result.duplicates == len(batch) - len(fresh) - len(expected_late)
        counted.update(fresh)
        seen.update(fresh)
        too_late.update(expected_late)
        watermark = max([watermark or 0, *(e[1] for e in fresh.values())])
        # checkpoint: as of the watermark minus the lateness, nothing older can still count
        users = sorted({e[0] for _, e in batch})
        for user, values in serve(state, users, watermark - LATENESS).items():
            served[(user, watermark - LATENESS)] = values
    assert too_late, "the delivery plan must include too-late events"
    check_served(served, list(counted.values()))


def test_redelivered_batch_changes_nothing(state) -> None:
    (batch, *_) = deliveries(6)
    first = state.apply(VIEW, rows(batch))
    as_of = max(e[1] for _, e in batch) + 1
    users = sorted({e[0] for _, e in batch})
    before = serve(state, users, as_of)
    again = state.apply(VIEW, rows(batch))
    assert (again.applied, again.duplicates, again.too_late) == (0, len(batch), 0)
    assert first.applied + first.duplicates == len(batch)
    assert serve(state, users, as_of) == before


def test_a_failed_batch_leaves_no_trace_in_any_version(state, monkeypatch) -> None:
    batches = deliveries(7)
    state.apply(VIEW, rows(batches[0]))
    replay = state.begin_replay(VIEW)
    if isinstance(state, SqliteStreamState):
        original = SqliteStreamState._apply_to
        calls = []

        def apply_then_fail(self, view, version, watermark, rows_):
            calls.append(version)
            result = original(self, view, version, watermark, rows_)
            if len(calls) == 2:  # the live version got the batch, then the replay's fails
                raise RuntimeError("disk full")
            return result

        monkeypatch.setattr(SqliteStreamState, "_apply_to", apply_then_fail)
        failure = RuntimeError
    else:
        # the script checks every event before its first write (Redis does not undo a
        # script's writes when it stops half way): a bad last event stops the batch
        from featureops.streaming import state_redis

        real = state_redis.event_rows

        def last_event_broken(view_, rows_):
            events = real(view_, rows_)
            events.micros[-1] = "not a time"
            return events

        monkeypatch.setattr(state_redis, "event_rows", last_event_broken)
        failure = redis.exceptions.ResponseError
    with pytest.raises(failure):
        state.apply(VIEW, rows(batches[1]))
    monkeypatch.undo()
    result = state.apply(VIEW, rows(batches[1]))  # redelivered: nothing was applied before
    assert result.duplicates == len(batches[1]) - len({i for i, _ in batches[1]})
    state.abort_replay(VIEW, replay)


def test_concurrent_writers_count_each_event_once(config, tmp_path) -> None:
    batches = deliveries(8)
    lenient = view(1000 * HOUR)  # nothing too late or pruned: every id counts once
    applied = []

    def worker(order):
        state = open_state(config, tmp_path)
        try:
            for batch in order:
                applied.append(state.apply(lenient, rows(batch)).applied)
        finally:
            state.close()

    threads = [threading.Thread(target=worker, args=(batches,)),
               threading.Thread(target=worker, args=(batches[::-1],))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    unique = {i: e for batch in batches for i, e in batch}
    assert sum(applied) == len(unique)
    state = open_state(config, tmp_path)
    as_of = max(e[1] for e in unique.values()) + 1
    users = sorted({e[0] for e in unique.values()})
    read = state.read(lenient, None, [str(u) for u in users], as_of - 24 * HOUR, as_of)
    state.close()
    expected = oracle(lenient, list(unique.values()), [(u, as_of) for u in users])
    for user in users:
        got = merged_values(lenient, as_of, None, None, read.stream.get(str(user)))
        assert got["amount_count_24h"] == expected[(user, as_of)]["amount_count_24h"]


def test_replay_builds_a_new_version_fed_by_apply_too(state, tmp_path) -> None:
    batches = deliveries(9)
    for batch in batches[:10]:
        state.apply(VIEW, rows(batch))
    version = state.begin_replay(VIEW)
    replay = open_state(state.store.config, tmp_path)
    for batch in batches[:12]:  # the replay reads the log from its start, overlapping...
        replay.apply_replayed(VIEW, version, rows(batch))
    replay.close()
    for batch in batches[10:]:  # ...what workers apply meanwhile (to live and replay)
        state.apply(VIEW, rows(batch))
    as_of = max(e[1] for b in batches for _, e in b) + 1
    users = sorted({e[0] for b in batches for _, e in b})
    before = serve(state, users, as_of)
    assert any(v["amount_count_24h"] for v in before.values())
    state.publish_replay(VIEW, version)
    assert serve(state, users, as_of) == before
    if isinstance(state, SqliteStreamState):  # the old version's events are gone
        tables = {name for (name,) in state.conn.execute(
            "select name from sqlite_schema where type = 'table' and name like 'fs__v__%'")}
        assert tables == {f"fs__v__{version}"}
    else:
        prefix = state.store.view_key("v", "_stream:")
        versions = {k.decode()[len(prefix):].split(":")[0]
                    for k in state.client.scan_iter(match=f"{prefix}*:ids")}
        assert versions == {version}
    with pytest.raises(StreamStateError, match="no replay version"):
        state.publish_replay(VIEW, version)


def test_edge_below_the_boundary_and_stream_from_it(state) -> None:
    numbered = [(f"e{i}", e) for i, e in enumerate(events(10, 500))]
    times = sorted(e[1] for _, e in numbered)
    boundary = times[300]
    warehouse = rows([x for x in numbered if x[1][1] < boundary + HOUR])  # holds more
    kept = state.write_edge(VIEW, "7", boundary, warehouse.drop([EVENT_ID_COLUMN]))
    assert kept == sum(1 for _, e in numbered if boundary - W_MAX <= e[1] < boundary)
    in_order = sorted(numbered, key=lambda x: x[1][1])
    for start in range(0, 500, 50):  # the stream saw every event, also those below B
        assert state.apply(VIEW, rows(in_order[start:start + 50])).too_late == 0
    served = {}
    rng = random.Random(10)
    for _, e in rng.sample(numbered, 80):
        for as_of in (e[1], e[1] + HOUR, e[1] + 1):
            if as_of >= boundary:
                served[(e[0], as_of)] = serve(state, [e[0]], as_of, "7")[e[0]]
    check_served(served, [e for _, e in numbered])
    # another online version without an edge: the stream alone
    read = state.read(VIEW, "8", ["1"], times[0], times[-1] + 1)
    assert read.boundary_micros is None and read.edge == {}


def test_bad_rows_are_one_line_errors(state) -> None:
    (batch, *_) = deliveries(11)
    with pytest.raises(StreamStateError, match="lack column\\(s\\) units"):
        state.apply(VIEW, rows(batch).drop(["units"]))
    table = rows(batch).set_column(0, "user_id", pa.array([None] * len(batch), pa.int64()))
    with pytest.raises(StreamStateError, match="column 'user_id' is null"):
        state.apply(VIEW, table)
    with pytest.raises(StreamStateError, match="not a version id"):
        state.write_edge(VIEW, "1; drop table x", 0, rows(batch))
