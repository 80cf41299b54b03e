"""One conformance suite, run against every store (SQLite, and Redis when reachable)."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from featureops.online.base import (
    LayoutMismatchError,
    MaterializationInProgressError,
    OnlineStore,
)
from featureops.online.encoding import RecordCodec, encode_key
from featureops.online.vectors import check_filters
from tests.unit.online.conftest import encode, layout_of, micros, sample_table

VIEW = "feat_test__users"


def build(store: OnlineStore, table: pa.Table, view: str = VIEW) -> str:
    layout = layout_of(table)
    store.update([view])
    version = store.begin_version(view, layout)
    store.write_batch(version, encode(table, layout))
    return store.publish_version(version, micros(20)).version


def read_rows(store: OnlineStore, ids: list[int], view: str = VIEW) -> tuple[str | None, list]:
    (snapshot,) = store.read([(view, [encode_key([i]) for i in ids])])
    if snapshot.state is None:
        return None, [None] * len(ids)
    codec = RecordCodec(snapshot.state.layout)
    return snapshot.state.version, [r and codec.decode(r) for r in snapshot.records]


def expected(table: pa.Table, user_id: int) -> list:
    row = next(r for r in table.to_pylist() if r["user_id"] == user_id)
    values = [row[name] for name in table.schema.names[2:]]
    values[-1] = [float(np.float32(v)) for v in values[-1]]
    return values


def test_published_version_reads_back_every_type(store: OnlineStore) -> None:
    table = sample_table(list(range(1, 31)), day=10)
    build(store, table)
    version, rows = read_rows(store, [1, 2, 3, 999])
    assert version is not None
    for user_id, (event_micros, values) in zip([1, 2, 3], rows[:3], strict=True):
        assert values == expected(table, user_id)
        assert event_micros == int(micros(10).timestamp() * 1_000_000)
    assert rows[3] is None
    state = store.live_state(VIEW)
    assert state.rows == 30 and state.end_time == micros(20)
    assert state.max_event_at == micros(10)


def test_never_materialized_view_reads_as_absent(store: OnlineStore) -> None:
    assert store.live_state("feat_test__nothing") is None
    assert read_rows(store, [1], "feat_test__nothing") == (None, [None])


def test_unpublished_version_is_invisible_and_publish_flips_atomically(
        store: OnlineStore) -> None:
    old = sample_table(list(range(1, 11)), day=10)
    first = build(store, old)
    new = sample_table(list(range(1, 11)), day=11)
    layout = layout_of(new)
    building = store.begin_version(VIEW, layout)
    store.write_batch(building, encode(new.slice(0, 5), layout))
    version, rows = read_rows(store, [1, 9])
    assert version == first and [r[1] for r in rows] == [expected(old, 1), expected(old, 9)]
    store.write_batch(building, encode(new.slice(5), layout))
    store.publish_version(building, micros(21))
    version, rows = read_rows(store, [1, 9])
    assert version == building.version
    assert [r[1] for r in rows] == [expected(new, 1), expected(new, 9)]
    assert store.cleanup(VIEW) == [first]
    assert store.cleanup(VIEW) == []


def test_second_concurrent_build_is_refused(store: OnlineStore) -> None:
    table = sample_table([1, 2], day=10)
    store.update([VIEW])
    running = store.begin_version(VIEW, layout_of(table))
    with pytest.raises(MaterializationInProgressError, match="being materialized"):
        store.begin_version(VIEW, layout_of(table))
    store.abort_version(running)
    again = store.begin_version(VIEW, layout_of(table))
    store.abort_version(again)
    assert store.live_state(VIEW) is None


def test_aborted_build_leaves_live_version_and_is_cleaned(store: OnlineStore) -> None:
    table = sample_table(list(range(1, 6)), day=10)
    live = build(store, table)
    layout = layout_of(table)
    doomed = store.begin_version(VIEW, layout)
    store.write_batch(doomed, encode(sample_table([1, 2], day=12), layout))
    store.abort_version(doomed)
    version, rows = read_rows(store, [1])
    assert version == live and rows[0][1] == expected(table, 1)
    assert store.cleanup(VIEW) == []


def test_upsert_newer_timestamp_wins_equal_is_noop(store: OnlineStore) -> None:
    base = sample_table([1, 2, 3], day=10)
    build(store, base)
    layout = layout_of(base)
    newer = sample_table([1], day=12, seed=7)
    older = sample_table([2], day=9, seed=7)
    same_time_other_values = sample_table([3], day=10, seed=99)
    written = store.upsert(VIEW, layout, [encode(newer, layout), encode(older, layout),
                                          encode(same_time_other_values, layout)])
    assert written == 1
    _, rows = read_rows(store, [1, 2, 3, 4])
    assert rows[0][1] == expected(newer, 1)
    assert rows[1][1] == expected(base, 2)
    assert rows[2][1] == expected(base, 3)
    assert rows[3] is None
    assert store.upsert(VIEW, layout, [encode(newer, layout)]) == 0
    new_user = sample_table([4], day=11)
    assert store.upsert(VIEW, layout, [encode(new_user, layout)]) == 1
    assert read_rows(store, [4])[1][0][1] == expected(new_user, 4)
    assert store.live_state(VIEW).max_event_at == micros(12)


def test_upsert_creates_a_live_version_for_a_new_view(store: OnlineStore) -> None:
    table = sample_table([5, 6], day=10)
    store.update([VIEW])
    assert store.upsert(VIEW, layout_of(table), [encode(table, layout_of(table))]) == 2
    version, rows = read_rows(store, [5, 6])
    assert version is not None and rows[1][1] == expected(table, 6)


def test_upsert_with_end_time_moves_the_watermark(store: OnlineStore) -> None:
    table = sample_table([1], day=10)
    build(store, table)
    store.upsert(VIEW, layout_of(table), [], end_time=micros(25))
    state = store.live_state(VIEW)
    assert state.end_time == micros(25) and state.mode == "incremental"


def test_pushes_during_a_build_are_replayed_onto_the_new_version(store: OnlineStore) -> None:
    base = sample_table([1, 2], day=10)
    build(store, base)
    layout = layout_of(base)
    rebuild = sample_table([1, 2], day=11)
    building = store.begin_version(VIEW, layout)
    store.write_batch(building, encode(rebuild, layout))
    pushed = sample_table([2, 3], day=15, seed=3)
    stale_push = sample_table([1], day=5, seed=3)
    store.upsert(VIEW, layout, [encode(pushed, layout), encode(stale_push, layout)])
    store.publish_version(building, micros(21))
    _, rows = read_rows(store, [1, 2, 3])
    assert rows[0][1] == expected(rebuild, 1)
    assert rows[1][1] == expected(pushed, 2)
    assert rows[2][1] == expected(pushed, 3)


def test_upsert_with_a_different_layout_is_refused(store: OnlineStore) -> None:
    table = sample_table([1], day=10)
    build(store, table)
    narrower = table.drop_columns(["tier"])
    with pytest.raises(LayoutMismatchError, match="--full"):
        store.upsert(VIEW, layout_of(narrower), [encode(narrower, layout_of(narrower))])


def test_teardown_removes_everything(store: OnlineStore) -> None:
    build(store, sample_table([1, 2], day=10))
    store.teardown([VIEW])
    assert store.live_state(VIEW) is None
    assert read_rows(store, [1]) == (None, [None])


def test_reads_of_several_views_and_batches(store: OnlineStore) -> None:
    build(store, sample_table(list(range(1, 1201)), day=10))
    build(store, sample_table([7], day=11), view="feat_test__other")
    ids = list(range(1, 1201))
    snapshots = store.read([(VIEW, [encode_key([i]) for i in ids]),
                            ("feat_test__other", [encode_key([7]), encode_key([8])])])
    assert sum(r is not None for r in snapshots[0].records) == 1200
    assert [r is not None for r in snapshots[1].records] == [True, False]


@pytest.mark.parametrize("filters", [None, {"tier": "high"}, {"is_active": True, "tier": "low"}])
def test_find_similar_matches_brute_force(store: OnlineStore, filters: dict | None) -> None:
    table = sample_table(list(range(1, 201)), day=10, seed=5)
    build(store, table)
    query = np.array([0.5, -1.0, 0.25, 2.0], dtype=np.float32)
    found = store.find_similar(VIEW, "embedding", query, 7, filters)
    rows = table.to_pylist()
    check_filters(layout_of(table), VIEW, filters)
    candidates = [r for r in rows if all(r[k] == v for k, v in (filters or {}).items())]
    vectors = np.array([r["embedding"] for r in candidates], dtype=np.float64)
    cosine = 1 - vectors @ query / (np.linalg.norm(vectors, axis=1) * np.linalg.norm(query))
    order = np.argsort(cosine)[:7]
    assert [key for key, _ in found] == [str(candidates[i]["user_id"]) for i in order]
    assert np.allclose([d for _, d in found], cosine[order], atol=1e-5)


def test_find_similar_sees_pushed_embeddings(store: OnlineStore) -> None:
    table = sample_table(list(range(1, 21)), day=10, seed=5)
    build(store, table)
    layout = layout_of(table)
    target = np.array([1.0, 2.0, 3.0, 4.0], dtype=np.float32)
    store.find_similar(VIEW, "embedding", target, 1, None)  # warm any cache
    moved = sample_table([13], day=12).set_column(
        6, "embedding", pa.FixedSizeListArray.from_arrays(pa.array(target * 3), 4))
    store.upsert(VIEW, layout, [encode(moved, layout)])
    assert store.find_similar(VIEW, "embedding", target, 1, None)[0][0] == "13"
