"""Entities and bytes per entity of each online view, measured in the store that holds
its live version: SQLite sums the key and record bytes of the version's table, Redis
asks MEMORY USAGE (and STRLEN) of a sample of the version's keys."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any

from featureops.advise.facts import ViewSize
from featureops.exceptions import FeatureopsError
from featureops.spec import IDENTIFIER_PATTERN

#: Redis keys sampled per view for MEMORY USAGE (records of one view differ little).
REDIS_SAMPLE = 200


def measure_sizes(store: Any, views: Sequence[str], redis_prefix: str) -> list[ViewSize]:
    """One ViewSize per view; a view the store cannot measure says why. ``redis_prefix``:
    the key prefix a Redis store would give the project's keys (SQLite projections add
    the key name Redis would store)."""
    out = []
    for view in views:
        try:
            out.append(_measure(store, view, redis_prefix))
        except FeatureopsError as error:  # the store went away: say so for this view
            out.append(ViewSize(view, None, None, None, str(error)))
    return out


def _measure(store: Any, view: str, redis_prefix: str) -> ViewSize:
    from featureops.online.sqlite import SqliteOnlineStore

    state = store.live_state(view)
    if state is None:
        return ViewSize(view, None, None, None,
                        f"never materialized to {store.describe()} (run featureops materialize)")
    if isinstance(store, SqliteOnlineStore):
        return _sqlite_size(store, view, state.version, redis_prefix)
    # loaded when the store is a Redis one (the redis package is an optional extra)
    redis_module = sys.modules.get("featureops.online.redis")
    if redis_module is not None and isinstance(store, redis_module.RedisOnlineStore):
        try:
            return _redis_size(store, view, state.version, state.rows)
        except redis_module.RedisError as error:
            return ViewSize(view, state.rows, None, None, f"{store.describe()}: {error}")
    return ViewSize(view, state.rows, None, None,
                    f"{type(store).__name__} has no size measurement")


def _sqlite_size(store: Any, view: str, version: str, redis_prefix: str) -> ViewSize:
    from featureops.online.sqlite import version_table

    entities, total = store.conn.execute(
        f"select count(*), coalesce(sum(length(entity_key) + length(value)), 0) "
        f"from {version_table(view, version)}").fetchone()
    if not entities:
        return ViewSize(view, 0, None, None, "the live version holds no entity")
    return ViewSize(view, int(entities), total / entities, None,
                    redis_key_bytes=len(f"{redis_prefix}:{view}:{version}:"))


def _redis_size(store: Any, view: str, version: str, rows: int) -> ViewSize:
    if not IDENTIFIER_PATTERN.fullmatch(view):  # no glob characters in the pattern
        raise ValueError(f"view name {view!r} is not an identifier")
    pattern = store.view_key(view, f"{version}:*")  # {prefix:view}:... on a Redis Cluster
    client = store.client
    keys: list[bytes] = []
    for key in client.scan_iter(match=pattern, count=1000):
        keys.append(key)
        if len(keys) >= REDIS_SAMPLE:
            break
    if not keys:
        return ViewSize(view, rows, None, None, "the live version holds no key")
    pipe = client.pipeline(transaction=False)
    for key in keys:
        pipe.memory_usage(key, samples=0)
        pipe.strlen(key)
    replies = pipe.execute()
    usage = [r for r in replies[0::2] if r is not None]
    lengths = replies[1::2]
    prefix = len(pattern) - 1
    record = sum(length + len(key) - prefix for key, length in zip(keys, lengths,
                                                                     strict=True)) / len(keys)
    return ViewSize(view, rows, record, sum(usage) / len(usage) if usage else None)
