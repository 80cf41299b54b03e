"""An acknowledged push survives every later materialization, full or incremental, unless
the warehouse holds a newer value for its entity (issue #11 item 1, ADR 0021): the same
tests against every store."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from featureops.online.base import OnlineStore
from featureops.online.redis import RedisOnlineStore
from featureops.online.sqlite import SqliteOnlineStore
from tests.unit.online.conftest import encode, layout_of, make_redis, micros, sample_table
from tests.unit.online.test_store_conformance import VIEW, build, expected, read_rows


def push(store: OnlineStore, table: pa.Table) -> None:
    layout = layout_of(table)
    store.upsert(VIEW, layout, [encode(table, layout)])


def values(store: OnlineStore, ids: list[int]) -> list:
    return [row and row[1] for row in read_rows(store, ids)[1]]


def test_pushes_made_before_a_full_run_survive_it(store: OnlineStore) -> None:
    build(store, sample_table([1, 2], day=10))
    newer = sample_table([2, 3], day=15, seed=3)  # 3 is not in the warehouse at all
    older = sample_table([1], day=5, seed=3)
    push(store, newer)
    push(store, older)
    rebuilt = sample_table([1, 2], day=11)
    state = store.live_state(VIEW)
    version = build(store, rebuilt)
    assert version != state.version
    assert values(store, [1, 2, 3]) == [expected(rebuilt, 1), expected(newer, 2),
                                        expected(newer, 3)]
    live = store.live_state(VIEW)
    assert live.rows == 3 and live.max_event_at == micros(15)


def test_pushes_survive_every_later_run_until_the_warehouse_is_newer(
        store: OnlineStore) -> None:
    build(store, sample_table([1, 2], day=10))
    pushed = sample_table([2, 3], day=15, seed=3)
    push(store, pushed)
    assert pushed_entities(store) == 2
    build(store, sample_table([1, 2], day=11))
    layout = layout_of(pushed)
    store.upsert(VIEW, layout, [encode(sample_table([1], day=12), layout)],
                 end_time=micros(22), pushed=False)  # an incremental run
    build(store, sample_table([1, 2], day=12))
    assert values(store, [2, 3]) == [expected(pushed, 2), expected(pushed, 3)]
    caught_up = sample_table([1, 2, 3], day=16, seed=8)  # the warehouse gets newer rows
    build(store, caught_up)
    store.cleanup(VIEW)  # as materialize does after each run
    assert values(store, [2, 3]) == [expected(caught_up, 2), expected(caught_up, 3)]
    assert pushed_entities(store) == 0  # superseded pushes are not kept forever
    later = sample_table([1, 2, 3], day=17, seed=9)
    build(store, later)
    assert values(store, [3]) == [expected(later, 3)]


def test_incremental_upserts_are_not_replayed_as_pushes(store: OnlineStore) -> None:
    build(store, sample_table([1, 2], day=10))
    late = sample_table([3], day=11)
    layout = layout_of(late)
    store.upsert(VIEW, layout, [encode(late, layout)], end_time=micros(22), pushed=False)
    assert values(store, [3]) == [expected(late, 3)]
    build(store, sample_table([1, 2], day=12))  # the warehouse no longer has entity 3
    store.cleanup(VIEW)
    assert values(store, [3]) == [None]
    assert pushed_entities(store) == 0


def test_a_push_during_the_build_and_one_before_it_both_survive(store: OnlineStore) -> None:
    build(store, sample_table([1, 2, 3], day=10))
    before = sample_table([1], day=14, seed=4)
    push(store, before)
    rebuilt = sample_table([1, 2, 3], day=11)
    layout = layout_of(rebuilt)
    building = store.begin_version(VIEW, layout)
    store.write_batch(building, encode(rebuilt.slice(0, 2), layout))
    during = sample_table([2, 4], day=14, seed=5)
    push(store, during)
    store.write_batch(building, encode(rebuilt.slice(2), layout))
    store.publish_version(building, micros(21))
    assert values(store, [1, 2, 3, 4]) == [expected(before, 1), expected(during, 2),
                                           expected(rebuilt, 3), expected(during, 4)]


def test_pushes_under_other_columns_are_never_replayed_into_a_new_layout(
        store: OnlineStore) -> None:
    wide = sample_table([1, 2], day=10)
    build(store, wide)
    push(store, sample_table([3], day=15))
    narrow = sample_table([1, 2], day=11).drop_columns(["tier"])
    layout = layout_of(narrow)
    building = store.begin_version(VIEW, layout)
    store.write_batch(building, encode(narrow, layout))
    push(store, sample_table([4], day=15))  # still the wide columns: the live layout
    store.publish_version(building, micros(21))
    assert store.live_state(VIEW).layout == layout
    assert values(store, [1, 2, 3, 4]) == [expected(narrow, 1), expected(narrow, 2),
                                           None, None]


def test_pushed_embeddings_stay_searchable_after_a_full_run(store: OnlineStore) -> None:
    table = sample_table(list(range(1, 21)), day=10, seed=5)
    build(store, table)
    target = np.array([1.0, 2.0, 3.0, 4.0], dtype=np.float32)
    moved = sample_table([13], day=12).set_column(
        6, "embedding", pa.FixedSizeListArray.from_arrays(pa.array(target * 3), 4))
    push(store, moved)
    build(store, sample_table(list(range(1, 21)), day=11, seed=5))
    assert store.find_similar(VIEW, "embedding", target, 1, None)[0][0] == "13"


def pushed_entities(store: OnlineStore) -> int:
    """How many pushed records the store keeps for replays (its push log)."""
    if isinstance(store, SqliteOnlineStore):
        (count,) = store.conn.execute("select count(*) from featureops_pushed where view = ?",
                                      (VIEW,)).fetchone()
        return count
    if isinstance(store, RedisOnlineStore):
        return store.client.hlen(store.view_key(VIEW, "_pushed"))
    pytest.fail(f"no push-log probe for {store.name}")


@pytest.fixture
def redis(tmp_path: Path) -> Iterator[RedisOnlineStore]:
    yield from make_redis(tmp_path)


def test_redis_pushes_racing_the_log_merge_reach_the_new_version(
        redis: RedisOnlineStore, monkeypatch: pytest.MonkeyPatch) -> None:
    """Redis merges the push log in chunks before the flip: a push acknowledged after its
    entity was merged, or of an entity the scan has passed, is replayed by the flip."""
    build(redis, sample_table(list(range(1, 11)), day=10))
    first = sample_table([1, 2], day=14, seed=1)
    push(redis, first)
    racing = sample_table([1, 11], day=15, seed=2)
    merge = redis._scripts["MERGE_PUSHED"]

    def merge_then_push(*args, **kwargs):
        reply = merge(*args, **kwargs)
        push(redis, racing)
        return reply

    monkeypatch.setitem(redis._scripts, "MERGE_PUSHED", merge_then_push)
    build(redis, sample_table(list(range(1, 11)), day=11))
    assert values(redis, [1, 2, 11]) == [expected(racing, 1), expected(first, 2),
                                         expected(racing, 11)]
    assert redis.live_state(VIEW).max_event_at == micros(15)
