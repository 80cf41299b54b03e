"""Bulk writes read their replies a batch late, yet a refused write still fails the build
before anything is published, and nothing of an aborted build lands after its removal."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from featureops.online.base import OnlineStoreError
from featureops.online.config import parse_store_config
from featureops.online.redis import RedisOnlineStore
from featureops.online.redis_writes import BulkWriter
from tests.services import require_redis
from tests.unit.online.conftest import encode, layout_of, sample_table
from tests.unit.online.test_store_conformance import build, read_rows

VIEW = "feat_test__users"
REFUSED = [b"*1\r\n$4\r\nINCR\r\n"]  # wrong number of arguments: Redis answers an error

pytestmark = pytest.mark.redis


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[RedisOnlineStore]:
    monkeypatch.setenv("FEATUREOPS_REDIS_URL", require_redis())
    store = RedisOnlineStore(parse_store_config(
        {"type": "redis", "key_prefix": f"fo_test_{uuid.uuid4().hex[:8]}"}), tmp_path)
    yield store
    store.teardown([VIEW])
    store.close()


def key_count(store: RedisOnlineStore, version: str) -> int:
    return len(list(store.client.scan_iter(match=f"{store.key_prefix}:{VIEW}:{version}:*",
                                           count=10_000)))


def test_a_refused_write_is_reported_by_the_next_send_or_finish(store) -> None:
    pool = store.client.connection_pool
    first = BulkWriter(pool, "here")
    first.send(REFUSED, 1)  # its reply is read only after the next batch is sent
    with pytest.raises(OnlineStoreError, match="here refused a write: .*wrong number"):
        first.send([b"*1\r\n$4\r\nPING\r\n"], 1)

    second = BulkWriter(pool, "here")
    second.send(REFUSED, 1)
    with pytest.raises(OnlineStoreError, match="refused a write"):
        second.finish()
    assert store.client.ping()  # the pool's connections carry no stale replies


def test_a_build_with_a_refused_write_is_never_published(store, monkeypatch) -> None:
    table = sample_table([1, 2, 3], day=10)
    live = build(store, table)
    layout = layout_of(table)
    doomed = store.begin_version(VIEW, layout)
    store.write_batch(doomed, encode(sample_table([1, 2], day=12), layout))
    monkeypatch.setattr("featureops.online.redis.mset_commands",
                        lambda *args: (REFUSED, 1))
    store.write_batch(doomed, encode(sample_table([3], day=12), layout))  # not yet read

    with pytest.raises(OnlineStoreError, match="refused a write"):
        store.publish_version(doomed, None)

    assert read_rows(store, [1])[0] == live
    store.abort_version(doomed)
    assert key_count(store, doomed.version) == 0


def test_abort_waits_for_the_writes_in_flight_before_removing_them(store) -> None:
    table = sample_table(list(range(30_000)), day=10)
    layout = layout_of(table)
    store.update([VIEW])
    doomed = store.begin_version(VIEW, layout)
    for start in range(0, len(table), 10_000):
        store.write_batch(doomed, encode(table.slice(start, 10_000), layout))

    store.abort_version(doomed)

    assert key_count(store, doomed.version) == 0
    assert store.cleanup(VIEW) == []
