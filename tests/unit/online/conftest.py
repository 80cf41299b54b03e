"""Store creators for the conformance suite: every store passes the same tests."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from featureops.online.base import OnlineStore
from featureops.online.config import parse_store_config
from featureops.online.encoding import EncodedBatch, RecordCodec, encode_key_columns
from featureops.online.layout import RecordLayout, layout_from_schema
from featureops.online.redis import RedisOnlineStore
from featureops.online.sqlite import SqliteOnlineStore

DIM = 4


def make_sqlite(tmp_path: Path) -> Iterator[OnlineStore]:
    store = SqliteOnlineStore(parse_store_config({"type": "sqlite",
                                                  "path": str(tmp_path / "online.db")}),
                              tmp_path)
    yield store
    store.close()


def make_redis(tmp_path: Path, **settings: object) -> Iterator[OnlineStore]:
    from tests.services import require_redis

    if not settings:
        require_redis()
    prefix = f"fo_test_{uuid.uuid4().hex[:8]}"
    store = RedisOnlineStore(parse_store_config({"type": "redis", "key_prefix": prefix,
                                                 **settings}), tmp_path)
    try:
        yield store
    finally:
        # a cluster's keys are {prefix:view}:...
        for pattern in (f"{prefix}:*", f"{{{prefix}:*"):
            keys = list(store.client.scan_iter(match=pattern, count=10_000))
            if keys:
                store.client.delete(*keys)
        store.close()


def make_redis_cluster(tmp_path: Path, url_env: str) -> Iterator[OnlineStore]:
    """A store on the session's private Redis Cluster (``url_env`` names its nodes)."""
    yield from make_redis(tmp_path, cluster=True, url_env=url_env)


@pytest.fixture(params=["sqlite", "redis", "redis-cluster"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[OnlineStore]:
    if request.param == "redis-cluster":
        yield from make_redis_cluster(tmp_path, request.getfixturevalue("redis_cluster"))
        return
    creator = make_sqlite if request.param == "sqlite" else make_redis
    yield from creator(tmp_path)


def micros(day: int, hour: int = 0) -> datetime:
    return datetime(2026, 10, day, hour, tzinfo=timezone.utc)


def sample_table(ids: list[int], day: int, seed: int = 0) -> pa.Table:
    """Rows for a view with every kind of feature; values depend on (id, day, seed)."""
    rng = np.random.default_rng(seed + day)
    n = len(ids)
    vectors = rng.normal(size=(n, DIM)).astype(np.float32)
    return pa.table({
        "user_id": pa.array(ids, pa.int64()),
        "event_at": pa.array([micros(day)] * n, pa.timestamp("us", tz="UTC")),
        "count_7d": pa.array([i * day for i in ids], pa.int64()),
        "amount": pa.array([None if i % 5 == 0 else i * 1.5 + day for i in ids], pa.float64()),
        "tier": pa.array([["low", "high", None][i % 3] for i in ids], pa.string()),
        "is_active": pa.array([i % 2 == 0 for i in ids], pa.bool_()),
        "embedding": pa.FixedSizeListArray.from_arrays(pa.array(vectors.ravel()), DIM),
    })


def layout_of(table: pa.Table) -> RecordLayout:
    features = tuple(n for n in table.schema.names if n not in ("user_id", "event_at"))
    return layout_from_schema(table.schema, ("user_id",), features)


def encode(table: pa.Table, layout: RecordLayout) -> EncodedBatch:
    keys = encode_key_columns([table.column("user_id")], ["int"])
    return RecordCodec(layout).encode(table, "event_at", keys)
