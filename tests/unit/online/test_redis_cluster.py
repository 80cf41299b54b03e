"""The Redis store on a Redis Cluster: what differs from one node (the conformance and
push-log suites run on the session's private cluster too, as the ``redis-cluster`` store).

Here: every key of a view lands in the view's one hash slot (which is what keeps the Lua
flip atomic), views spread over the masters, a reader racing publishes sees one whole
version per read, lookups of views on several masters agree between the sync and the
asyncio clients, and the connection settings are checked."""

from __future__ import annotations

import asyncio
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from featureops.online.base import OnlineStoreError, StoreUnavailableError
from featureops.online.config import parse_store_config
from featureops.online.encoding import RecordCodec, encode_key
from featureops.online.redis import RedisOnlineStore
from featureops.online.redis_cluster import startup_nodes
from tests.unit.online.conftest import layout_of, make_redis_cluster, sample_table
from tests.unit.online.test_store_conformance import build, expected

IDS = list(range(1, 301))


@pytest.fixture
def cluster_store(tmp_path: Path, redis_cluster: str) -> Iterator[RedisOnlineStore]:
    yield from make_redis_cluster(tmp_path, redis_cluster)


def views_on_distinct_masters(store: RedisOnlineStore, count: int) -> list[str]:
    """``count`` view names whose slots are served by ``count`` different masters."""
    chosen: dict[str, str] = {}
    for i in range(200):
        view = f"feat_test__v{i}"
        node = store.client.get_node_from_key(store.view_key(view, "_ptr")).name
        chosen.setdefault(node, view)
        if len(chosen) == count:
            return list(chosen.values())
    pytest.fail(f"no {count} views on distinct masters among 200 names")


def slots_of_keys(store: RedisOnlineStore) -> dict[str, set[int]]:
    """The hash slot of every key of the store's prefix, by master."""
    found: dict[str, set[int]] = {}
    for node in store.client.get_primaries():
        keys = store.client.scan_iter(count=10_000, match=f"{{{store.key_prefix}:*",
                                      target_nodes=node)
        found[node.name] = {store.client.keyslot(key) for key in keys}
    return found


def test_a_view_is_one_slot_and_views_spread_over_masters(cluster_store) -> None:
    views = views_on_distinct_masters(cluster_store, 3)
    for day, view in enumerate(views, start=10):
        build(cluster_store, sample_table(IDS, day=day), view=view)
    by_master = slots_of_keys(cluster_store)
    expected_slots = {cluster_store.client.keyslot(cluster_store.view_key(v, "_ptr"))
                      for v in views}
    assert sorted(len(slots) for slots in by_master.values()) == [1, 1, 1]
    assert set().union(*by_master.values()) == expected_slots
    # records, pointer, state and counters: all under the view's tag
    assert cluster_store.client.exists(cluster_store.view_key(views[0], "_ptr")) == 1


def test_a_reader_racing_publishes_sees_one_whole_version(cluster_store) -> None:
    view = "feat_test__users"
    build(cluster_store, sample_table(IDS, day=1))
    keys = [encode_key([i]) for i in IDS]
    codec = RecordCodec(layout_of(sample_table([1], day=1)))
    seen: list[set[int]] = []
    done = threading.Event()

    def read() -> None:
        while not done.is_set():
            (snapshot,) = cluster_store.read([(view, keys)])
            seen.append({codec.decode(record)[0] for record in snapshot.records})

    reader = threading.Thread(target=read)
    reader.start()
    try:
        for day in range(2, 12):
            build(cluster_store, sample_table(IDS, day=day))
    finally:
        done.set()
        reader.join()
    assert seen and all(len(stamps) == 1 for stamps in seen)  # never a mix of versions
    assert len({next(iter(stamps)) for stamps in seen}) > 1   # and it did see flips


def test_lookups_over_several_masters_agree_sync_and_async(cluster_store) -> None:
    views = views_on_distinct_masters(cluster_store, 3)
    tables = {view: sample_table(IDS, day=day) for day, view in enumerate(views, start=10)}
    for view, table in tables.items():
        build(cluster_store, table, view=view)
    requests = [(view, [encode_key([i]) for i in (1, 150, 999)]) for view in views]
    sync = cluster_store.read(requests)

    async def read_async():
        try:
            return await cluster_store.read_async(requests)
        finally:
            await cluster_store.close_async()

    for snapshots in (sync, asyncio.run(read_async())):
        for (view, _), snapshot in zip(requests, snapshots, strict=True):
            codec = RecordCodec(snapshot.state.layout)
            decoded = [codec.decode(r)[1] if r else None for r in snapshot.records]
            assert decoded == [expected(tables[view], 1), expected(tables[view], 150), None]
    cluster_store.ping()


def test_startup_nodes_from_urls() -> None:
    nodes, options = startup_nodes("rediss://u:p%40ss@10.0.0.1:7000, 10.0.0.2:7001,redis://h")
    assert nodes == [("10.0.0.1", 7000), ("10.0.0.2", 7001), ("h", 6379)]
    assert options == {"ssl": True, "username": "u", "password": "p@ss"}


@pytest.mark.parametrize(("url", "message"), [
    ("redis://h:1/2", "database 0 only"),
    ("http://h:1", "redis://host:port"),
    ("redis://h:port", "port is not a number"),
    (" , ", "no cluster node given"),
])
def test_bad_cluster_urls_are_one_line_errors(tmp_path: Path, monkeypatch, url: str,
                                              message: str) -> None:
    monkeypatch.setenv("FEATUREOPS_REDIS_URL", url)
    config = parse_store_config({"type": "redis", "cluster": True, "key_prefix": "p"})
    with pytest.raises(OnlineStoreError, match=message) as error:
        RedisOnlineStore(config, tmp_path)
    assert str(error.value).startswith("FEATUREOPS_REDIS_URL: ")
    assert "\n" not in str(error.value)


def test_several_urls_without_cluster_mode_are_refused(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("FEATUREOPS_REDIS_URL", "redis://a:1,redis://b:2")
    monkeypatch.delenv("FEATUREOPS_REDIS_CLUSTER", raising=False)
    with pytest.raises(OnlineStoreError, match="set `cluster: true`"):
        RedisOnlineStore(parse_store_config({"type": "redis", "key_prefix": "p"}), tmp_path)


def test_the_cluster_flag_can_come_from_the_environment(tmp_path: Path, monkeypatch,
                                                        redis_cluster: str) -> None:
    import os

    monkeypatch.setenv("FEATUREOPS_REDIS_URL", os.environ[redis_cluster].split(",")[0])
    monkeypatch.setenv("FEATUREOPS_REDIS_CLUSTER", "1")
    prefix = f"fo_test_{uuid.uuid4().hex[:8]}"
    store = RedisOnlineStore(parse_store_config({"type": "redis", "key_prefix": prefix}),
                             tmp_path)
    try:
        assert store.cluster and store.describe().startswith("Redis Cluster at ")
        assert store.view_key("feat_x", "_ptr") == f"{{{prefix}:feat_x}}:_ptr"
        assert len(store.client.get_primaries()) == 3  # found from one startup node
    finally:
        store.close()


def test_advise_measures_a_view_on_the_cluster(cluster_store) -> None:
    from featureops.advise.store_sizes import measure_sizes

    ids = IDS[:100]  # under advise's sample of 200 keys: every record is measured
    build(cluster_store, sample_table(ids, day=10))
    (size,) = measure_sizes(cluster_store, ["feat_test__users"], cluster_store.key_prefix)
    keys = [encode_key([i]) for i in ids]
    (snapshot,) = cluster_store.read([("feat_test__users", keys)])
    sizes = [len(r) + len(k) for r, k in zip(snapshot.records, keys, strict=True)]
    assert (size.entities, size.why) == (len(ids), "")
    assert size.record_bytes == pytest.approx(sum(sizes) / len(sizes))
    assert size.redis_bytes > size.record_bytes


def test_a_cluster_with_no_reachable_node_is_a_one_line_error(tmp_path: Path,
                                                              monkeypatch) -> None:
    from tests.redis_cluster import free_port

    monkeypatch.setenv("FEATUREOPS_REDIS_URL", f"redis://127.0.0.1:{free_port()}")
    config = parse_store_config({"type": "redis", "cluster": True, "key_prefix": "p",
                                 "connect_timeout": 0.2})
    with pytest.raises(StoreUnavailableError, match="Redis Cluster at 127.0.0.1") as error:
        RedisOnlineStore(config, tmp_path)
    assert "\n" not in str(error.value)
