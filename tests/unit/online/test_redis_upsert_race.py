"""A push racing a publish on Redis: the UPSERT script refuses a write into a version that
is no longer live, and the store retries against the new live version; when the version
keeps changing it gives up with StoreBusyError (503 on the server), never a bare error."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from featureops.online.base import StoreBusyError
from featureops.online.redis import RedisOnlineStore
from tests.unit.online.conftest import encode, layout_of, make_redis, sample_table
from tests.unit.online.test_store_conformance import VIEW, build, expected, read_rows

IDS = list(range(1, 11))


@pytest.fixture
def redis(tmp_path: Path) -> Iterator[RedisOnlineStore]:
    yield from make_redis(tmp_path)


def test_upsert_racing_a_publish_lands_in_the_new_live_version(redis, monkeypatch):
    first = build(redis, sample_table(IDS, day=10))
    republished = sample_table(IDS, day=11)
    pushed = sample_table([3], day=12)
    layout = layout_of(pushed)
    read_live = redis.live_state
    raced: list[str] = []

    def publish_after_reading(view):
        state = read_live(view)
        if not raced:  # a full run publishes between the push's read and its write
            raced.append("running")
            raced[0] = build(redis, republished)
        return state

    monkeypatch.setattr(redis, "live_state", publish_after_reading)
    assert redis.upsert(VIEW, layout, [encode(pushed, layout)]) == 1
    version, rows = read_rows(redis, [3, 4])
    assert version == raced[0] != first
    assert [values for _, values in rows] == [expected(pushed, 3), expected(republished, 4)]


def test_upsert_gives_up_busy_when_the_live_version_keeps_changing(redis, monkeypatch):
    build(redis, sample_table(IDS, day=10))
    stale = redis.live_state(VIEW)
    current = sample_table(IDS, day=11)
    build(redis, current)
    pushed = sample_table([3], day=12)
    layout = layout_of(pushed)
    monkeypatch.setattr(redis, "live_state", lambda view: stale)
    with pytest.raises(StoreBusyError, match="live version changed during the write 3 times"):
        redis.upsert(VIEW, layout, [encode(pushed, layout)])
    (_, values), = read_rows(redis, [3])[1]
    assert values == expected(current, 3)  # nothing was written
