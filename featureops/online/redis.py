"""The production online store: Redis (redis-py with hiredis).

Each view version's records are plain string keys ``<prefix>:<view>:<version>:<entity>``,
where the prefix defaults to ``featureops:<dbt project name>`` so that two projects
sharing one Redis never read or overwrite each other's keys
holding encoded records (one GET/MGET per lookup, no per-field hashes). Full runs write
with ``MSET`` commands framed in bulk (``redis_protocol``) and sent a batch ahead of their
replies (``redis_writes``); the pointer flip, upserts and
reads are Lua scripts, so each is atomic and a read of several views is one round trip.
Connection settings come from the environment only (``FEATUREOPS_REDIS_URL``,
``FEATUREOPS_REDIS_PASSWORD``, ``FEATUREOPS_REDIS_TLS=1``). With ``cluster: true`` the
same store runs on a Redis Cluster: what changes is in ``redis_cluster``.
"""

from __future__ import annotations

import contextlib
import os
import re
import threading
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Literal, TypeVar

import numpy as np
from pydantic import Field, field_validator

from featureops._optional import require
from featureops.online import redis_cluster, redis_scripts
from featureops.online.base import (
    BUILD_LOCK_SECONDS,
    MaterializationInProgressError,
    NodeUnavailableError,
    OnlineStore,
    OnlineStoreError,
    StoreBusyError,
    StoreUnavailableError,
    VersionBuild,
    VersionState,
    ViewSnapshot,
    check_layout,
    new_state,
)
from featureops.online.config import StoreConfigBase
from featureops.online.encoding import EncodedBatch
from featureops.online.layout import RecordLayout
from featureops.online.redis_async import AsyncReads
from featureops.online.redis_protocol import mset_commands
from featureops.online.redis_writes import BulkWriter
from featureops.online.similarity_cache import MatrixCache
from featureops.project import project_name
from featureops.spec import IDENTIFIER_PATTERN

redis = require("redis", extra="redis")
aioredis = require("redis.asyncio", extra="redis")
RedisError = redis.exceptions.RedisError
ResponseError = redis.exceptions.ResponseError
RedisConnectionError = redis.exceptions.ConnectionError
RedisTimeoutError = redis.exceptions.TimeoutError
#: Errors that mean the store (or, on a cluster, one master) cannot answer.
UNREACHABLE = (RedisConnectionError, RedisTimeoutError, redis.exceptions.ClusterDownError,
               redis.exceptions.TryAgainError, *redis_cluster.CLUSTER_ERRORS)

DEFAULT_URL = "redis://127.0.0.1:6379/0"
#: Tries of an upsert that finds the live version flipped by a publish under it.
UPSERT_ATTEMPTS = 3
#: Push-log entries per MERGE_PUSHED / PRUNE_PUSHED call (each call blocks Redis briefly).
LOG_CHUNK = 1000
VERSION_CHANGED = "FEATUREOPS_VERSION_CHANGED"  # the UPSERT script's error
_PREFIX_PATTERN = re.compile(r"[A-Za-z0-9_.:-]+")
_T = TypeVar("_T")


class RedisOnlineStoreConfig(StoreConfigBase):
    """``online_store`` block for Redis; the connection itself comes from the environment."""

    type: Literal["redis", "featureops.online.redis.RedisOnlineStore"] = "redis"
    #: None: ``featureops:<dbt project name>`` (see ``default_key_prefix``).
    key_prefix: str | None = None
    url_env: str = "FEATUREOPS_REDIS_URL"
    password_env: str = "FEATUREOPS_REDIS_PASSWORD"
    tls_env: str = "FEATUREOPS_REDIS_TLS"
    #: A Redis Cluster (the URL lists one or more startup nodes); also FEATUREOPS_REDIS_CLUSTER=1.
    cluster: bool = False
    cluster_env: str = "FEATUREOPS_REDIS_CLUSTER"
    socket_timeout: float = Field(default=2.0, gt=0)
    connect_timeout: float = Field(default=0.5, gt=0)
    mset_chunk: int = Field(default=1000, ge=1, le=100_000)
    upsert_chunk: int = Field(default=2000, ge=1, le=100_000)
    embedding_dtype: Literal["float32", "float16"] = "float32"

    @field_validator("key_prefix")
    @classmethod
    def _safe_prefix(cls, value: str | None) -> str | None:
        if value is not None and not _PREFIX_PATTERN.fullmatch(value):
            raise ValueError("use letters, digits, '_', '.' and '-' only (it starts every key)")
        return value


def default_key_prefix(project_dir: Path) -> str:
    """Keys of a project without an explicit ``key_prefix``: namespaced by its dbt name."""
    return f"featureops:{project_name(project_dir)}"


class RedisOnlineStore(OnlineStore):
    """Online store in Redis."""

    def __init__(self, config: RedisOnlineStoreConfig, project_dir: Path) -> None:
        super().__init__(config, project_dir)
        self.key_prefix = config.key_prefix or default_key_prefix(project_dir)
        url = os.environ.get(config.url_env) or DEFAULT_URL
        tls = _flag(os.environ.get(config.tls_env))
        self.cluster = config.cluster or _flag(os.environ.get(config.cluster_env))
        self.partitioned = self.cluster
        connection = {"password": os.environ.get(config.password_env) or None,
                      "socket_timeout": config.socket_timeout,
                      "socket_connect_timeout": config.connect_timeout}
        self._where = "Redis"
        try:
            redis_cluster.check_config(self.cluster, url)
            if self.cluster:
                self._open_cluster(redis_cluster.cluster_kwargs(url, connection, tls))
            else:
                self._open_single(re.sub(r"^redis://", "rediss://", url) if tls else url,
                                  connection)
        except ValueError as error:
            raise OnlineStoreError(f"{config.url_env}: {error}") from None
        self._scripts = {name: self.client.register_script(getattr(redis_scripts, name))
                         for name in ("READ", "BEGIN", "HEARTBEAT", "MERGE_PUSHED", "PUBLISH",
                                      "PRUNE_PUSHED", "UPSERT", "CREATE_LIVE", "RELEASE")}
        self._states: dict[tuple[str, str], VersionState] = {}
        self._states_lock = threading.Lock()
        self.matrices = MatrixCache()

    def _open_single(self, url: str, connection: dict[str, Any]) -> None:
        self.client = redis.Redis.from_url(url, **connection)
        kwargs = self.client.connection_pool.connection_kwargs
        self._where = (f"Redis at {kwargs.get('host', kwargs.get('path'))}:"
                       f"{kwargs.get('port', '')}/{kwargs.get('db', 0)}")
        self._async = AsyncReads(self, lambda: aioredis.Redis.from_url(url, **connection))

    def _open_cluster(self, settings: dict[str, Any]) -> None:
        self._where = redis_cluster.describe(settings)
        self.client = self._call(lambda: redis_cluster.open_cluster(settings))
        self._async = AsyncReads(self, lambda: redis_cluster.open_async_cluster(settings),
                                 redis_cluster.ping_all_async)

    def describe(self) -> str:
        return f"{self._where} (prefix {self.key_prefix})"

    def _base(self, view: str) -> str:
        if not IDENTIFIER_PATTERN.fullmatch(view):
            raise ValueError(f"view name {view!r} is not an identifier")
        if self.cluster:
            return redis_cluster.view_base(self.key_prefix, view)
        return f"{self.key_prefix}:{view}"

    def view_key(self, view: str, name: str) -> str:
        """The key ``name`` of a view (``<version>:*``: the SCAN pattern of its records)."""
        return f"{self._base(view)}:{name}"

    def _call(self, action: Callable[[], _T]) -> _T:
        """Run a Redis call; an unreachable server (or master) becomes
        StoreUnavailableError (NodeUnavailableError)."""
        try:
            return action()
        except UNREACHABLE as error:
            raise self.unavailable(error) from None

    def unavailable(self, error: Exception) -> Exception:
        """The StoreUnavailableError a client error means (a non-Redis error unchanged)."""
        if self.cluster and isinstance(error, redis_cluster.NODE_ERRORS):
            return NodeUnavailableError(f"{self._where}: a master is unavailable: {error}")
        if isinstance(error, UNREACHABLE):
            return StoreUnavailableError(f"{self._where} unreachable: {error}")
        if isinstance(error, RedisError):
            return StoreUnavailableError(f"{self._where}: {error}")
        return error

    def _script(self, name: str, base: str, args: list[Any]) -> Any:
        """Run one of the view's scripts (``base`` routes it to the view's slot)."""
        return self._call(lambda: self._scripts[name](keys=[base], args=[base, *args]))

    def _scan(self, base: str, pattern: str) -> list[bytes]:
        if self.cluster:
            return self._call(lambda: list(redis_cluster.scan_slot(self.client, base, pattern)))
        return self._call(lambda: list(self.client.scan_iter(match=pattern, count=10_000)))

    def ping(self) -> None:
        self._call(lambda: redis_cluster.ping_all(self.client) if self.cluster
                   else self.client.ping())

    def close(self) -> None:
        self.client.close()

    # --- infrastructure ---------------------------------------------------------------

    def update(self, views: Sequence[str]) -> None:
        for view in views:
            self._base(view)
        self.ping()

    def teardown(self, views: Sequence[str]) -> None:
        for view in views:
            base = self._base(view)
            self._delete_matching(base, f"{base}:*")

    def _delete_matching(self, base: str, pattern: str) -> int:
        deleted = 0
        batch: list[bytes] = []
        for key in self._scan(base, pattern):
            batch.append(key)
            if len(batch) >= 10_000:
                deleted += self._call(lambda b=batch: self.client.unlink(*b))
                batch = []
        if batch:
            deleted += self._call(lambda: self.client.unlink(*batch))
        return deleted

    # --- versions ---------------------------------------------------------------------

    def begin_version(self, view: str, layout: RecordLayout) -> VersionBuild:
        base = self._base(view)
        version = str(self._call(lambda: self.client.incr(f"{base}:_seq")))
        taken = self._script("BEGIN", base, [version, BUILD_LOCK_SECONDS * 1000,
                                             layout.fingerprint])
        if taken != 1:
            raise MaterializationInProgressError(
                f"feature view '{view}' is being materialized by another run (version "
                f"{taken.decode() if taken else '?'} in {self.describe()}); wait for it to "
                f"finish, or retry in {BUILD_LOCK_SECONDS} s if that run died"
            )
        build = VersionBuild(view, version, layout)
        state = new_state(build, None, "building", datetime.now(timezone.utc))
        pipe = self.client.pipeline(transaction=True)
        pipe.set(f"{base}:_state:{version}", state.to_json())
        pipe.sadd(f"{base}:_versions", version)
        self._call(pipe.execute)
        return build

    def heartbeat(self, build: VersionBuild) -> None:
        alive = self._script("HEARTBEAT", self._base(build.view),
                             [build.version, BUILD_LOCK_SECONDS * 1000])
        if not alive:
            raise MaterializationInProgressError(
                f"feature view '{build.view}': the build lock of version {build.version} "
                "expired (a stall longer than the lock); run materialize again"
            )

    def write_batch(self, build: VersionBuild, batch: EncodedBatch) -> None:
        base = self._base(build.view)
        prefix = f"{base}:{build.version}:".encode()
        buffers, commands = mset_commands(batch.keys, batch.values, prefix,
                                          self.config.mset_chunk)
        if build.handle is None:
            pool = (redis_cluster.node_pool(self.client, base) if self.cluster
                    else self.client.connection_pool)
            build.handle = BulkWriter(pool, self._where)
        self._call(lambda: build.handle.send(buffers, commands))
        build.track(batch)
        self.heartbeat(build)

    def _finish_writes(self, build: VersionBuild) -> None:
        """Wait for every write of the build to be acknowledged (a refused one raises)."""
        writer, build.handle = build.handle, None
        if writer is not None:
            self._call(writer.finish)

    def publish_version(self, build: VersionBuild, end_time: datetime | None,
                        mode: str = "full") -> VersionState:
        base = self._base(build.view)
        fingerprint = build.layout.fingerprint
        self._finish_writes(build)
        try:
            self._merge_pushed(build)
            state = new_state(build, end_time, mode, datetime.now(timezone.utc))
            added = self._script("PUBLISH", base, [
                build.version, state.to_json(), build.max_event_micros or -1, fingerprint])
        except ResponseError as error:
            raise MaterializationInProgressError(
                f"feature view '{build.view}': version {build.version} lost its build lock "
                f"before publishing ({error}); run materialize again") from None
        return VersionState(**{**state.__dict__, "rows": state.rows + int(added)})

    def _merge_pushed(self, build: VersionBuild) -> None:
        """Merge the push log into the build a chunk per call, so Redis keeps answering;
        a push acknowledged after its entry was scanned is in the build's journal, which
        PUBLISH replays atomically."""
        args = [build.version, BUILD_LOCK_SECONDS * 1000, build.layout.fingerprint]
        for added, newest in self._log_chunks("MERGE_PUSHED", self._base(build.view), args):
            build.rows += int(added)
            if int(newest) >= 0:
                build.max_event_micros = max(int(newest), build.max_event_micros or 0)

    def _prune_pushed(self, view: str) -> None:
        """Drop push-log entries the live version holds a newer (warehouse) record for."""
        for _ in self._log_chunks("PRUNE_PUSHED", self._base(view), []):
            pass

    def _log_chunks(self, script: str, base: str, args: list[Any]) -> Iterable[list[Any]]:
        """Run a push-log script over the whole log, one HSCAN chunk per call; yield the
        rest of each reply."""
        cursor: Any = "0"
        while True:
            cursor, *rest = self._script(script, base, [*args, cursor, LOG_CHUNK])
            yield rest
            if _text(cursor) == "0":
                return

    def abort_version(self, build: VersionBuild) -> None:
        base = self._base(build.view)
        with contextlib.suppress(OnlineStoreError):  # a refused write: being dropped anyway
            self._finish_writes(build)  # no write of the build may land after the delete
        self._delete_matching(base, f"{base}:{build.version}:*")
        self._call(lambda: self.client.delete(
            f"{base}:_state:{build.version}", f"{base}:_journal:{build.version}",
            f"{base}:_layout:{build.version}"))
        self._call(lambda: self.client.srem(f"{base}:_versions", build.version))
        self._script("RELEASE", base, [build.version])

    def live_state(self, view: str) -> VersionState | None:
        base = self._base(view)
        version = self._call(lambda: self.client.get(f"{base}:_ptr"))
        if version is None:
            return None
        state = self.version_state(view, version.decode(), fresh=True)
        stat = self._call(lambda: self.client.get(f"{base}:_stat:{version.decode()}"))
        return VersionState(**{**state.__dict__,
                               "max_event_micros": _int_or_none(stat)})

    def version_state(self, view: str, version: str, fresh: bool = False) -> VersionState:
        key = (view, version)
        if not fresh:
            with self._states_lock:
                cached = self._states.get(key)
            if cached is not None:
                return cached
        raw = self._call(lambda: self.client.get(self.state_key(view, version)))
        return self.remember_state(view, version, raw)

    def cleanup(self, view: str) -> list[str]:
        base = self._base(view)
        live = _text(self._call(lambda: self.client.get(f"{base}:_ptr")))
        building = _text(self._call(lambda: self.client.get(f"{base}:_building")))
        removed = []
        for member in self._call(lambda: self.client.smembers(f"{base}:_versions")):
            version = member.decode()
            if version in (live, building):
                continue
            self._delete_matching(base, f"{base}:{version}:*")
            self._call(lambda v=version: self.client.delete(
                f"{base}:_state:{v}", f"{base}:_stat:{v}", f"{base}:_gen:{v}",
                f"{base}:_journal:{v}", f"{base}:_layout:{v}"))
            self._call(lambda v=version: self.client.srem(f"{base}:_versions", v))
            removed.append(version)
        self._prune_pushed(view)
        return sorted(removed, key=int)

    # --- upserts ----------------------------------------------------------------------

    def upsert(self, view: str, layout: RecordLayout, batches: Iterable[EncodedBatch],
               end_time: datetime | None = None, *, pushed: bool = True) -> int:
        base = self._base(view)
        flags = [layout.fingerprint, "1" if pushed else "0"]
        size = self.config.upsert_chunk
        chunks = []  # kept for a retry: the pipeline would hold them anyway
        for batch in batches:
            keys, values = batch.keys.to_pylist(), batch.values.to_pylist()
            for start in range(0, len(keys), size):
                chunks.append([item for pair in zip(keys[start:start + size],
                                                    values[start:start + size], strict=True)
                               for item in pair])
        if not chunks and end_time is None:
            return 0
        for _ in range(UPSERT_ATTEMPTS):
            live = self._writable_live(view, layout)
            pipe = self.client.pipeline(transaction=True)  # MULTI/EXEC: all batches or none
            for pairs in chunks:
                self._queue_upsert(pipe, base, [live.version, "", *flags, *pairs])
            if end_time is not None:
                state = VersionState(**{**live.__dict__, "end_time": end_time,
                                        "mode": "incremental"})
                self._queue_upsert(pipe, base, [live.version, state.to_json(), *flags])
            try:
                replies = self._call(lambda p=pipe: p.execute(raise_on_error=False))
            except ResponseError as error:
                replies = [error]
            errors = [r for r in replies if isinstance(r, Exception)]
            if not errors:
                return sum(int(r) for r in replies[:len(chunks)])
            if not all(VERSION_CHANGED in str(error) for error in errors):
                raise OnlineStoreError(f"feature view '{view}': {self._where} refused the "
                                       f"write ({errors[0]}); nothing was written")
            # a publish flipped the live version between reading it and writing: again
        raise StoreBusyError(
            f"feature view '{view}': the live version changed during the write "
            f"{UPSERT_ATTEMPTS} times (materializations are publishing); nothing was "
            "written, retry")

    def _queue_upsert(self, pipe: Any, base: str, args: list[Any]) -> None:
        if self.cluster:
            redis_cluster.queue_script(pipe, self._scripts["UPSERT"], [base], [base, *args])
        else:
            self._scripts["UPSERT"](keys=[base], args=[base, *args], client=pipe)

    def _writable_live(self, view: str, layout: RecordLayout) -> VersionState:
        """The live version to upsert into (created when the view has none)."""
        live = self.live_state(view)
        check_layout(view, live, layout)
        if live is None:
            template = new_state(VersionBuild(view, "0", layout), None, "push",
                                 datetime.now(timezone.utc))
            version = _text(self._script("CREATE_LIVE", self._base(view),
                                         [template.to_json()]))
            live = self.version_state(view, version, fresh=True)
            check_layout(view, live, layout)
        return live

    # --- reads ------------------------------------------------------------------------

    def read(self, requests: Sequence[tuple[str, Sequence[str]]]) -> list[ViewSnapshot]:
        calls = self.read_calls(requests)
        try:
            if len(calls) == 1:
                (keys, args), = calls
                replies = self._scripts["READ"](keys=keys, args=args)
            else:  # a cluster: a READ per view (its slot), pipelined
                pipe = self.client.pipeline(transaction=False)
                for keys, args in calls:
                    redis_cluster.queue_script(pipe, self._scripts["READ"], keys, args)
                replies = [reply for part in pipe.execute() for reply in part]
        except (RedisError, *redis_cluster.CLUSTER_ERRORS) as error:
            raise self.unavailable(error) from None
        for view, version in self.unknown_versions(requests, replies):
            self.version_state(view, version)
        return self.snapshots(requests, replies)

    async def read_async(self, requests: Sequence[tuple[str, Sequence[str]]]
                         ) -> list[ViewSnapshot]:
        return await self._async.read(requests)

    async def ping_async(self) -> None:
        await self._async.ping()

    async def close_async(self) -> None:
        await self._async.close()

    def read_calls(self, requests: Sequence[tuple[str, Sequence[str]]]
                   ) -> list[tuple[list[str], list[Any]]]:
        """(KEYS, ARGV) of the READ calls a lookup takes: one for every view on one node,
        one per view on a cluster (a script may only touch one slot there)."""
        views = [(self._base(view), keys) for view, keys in requests]
        if not self.cluster:
            return [([], _read_args(views))]
        return [([base], _read_args([(base, keys)])) for base, keys in views]

    def unknown_versions(self, requests: Sequence[tuple[str, Sequence[str]]],
                         replies: Sequence[Any]) -> list[tuple[str, str]]:
        """(view, version) of replies whose version state is not cached yet."""
        with self._states_lock:
            return [(view, reply[0].decode()) for (view, _), reply in
                    zip(requests, replies, strict=True)
                    if reply and (view, reply[0].decode()) not in self._states]

    def remember_state(self, view: str, version: str, raw: bytes | None) -> VersionState:
        if raw is None:
            raise OnlineStoreError(f"{self.describe()}: version {version} of '{view}' has no "
                                   "state; run `featureops materialize --full`")
        state = VersionState.from_json(raw)
        with self._states_lock:
            self._states[(view, version)] = state
        return state

    def state_key(self, view: str, version: str) -> str:
        return f"{self._base(view)}:_state:{version}"

    def snapshots(self, requests: Sequence[tuple[str, Sequence[str]]],
                  replies: Sequence[Any]) -> list[ViewSnapshot]:
        """READ replies as snapshots (every version state already cached)."""
        snapshots = []
        for (view, keys), reply in zip(requests, replies, strict=True):
            if not reply:
                snapshots.append(ViewSnapshot(None, [None] * len(keys)))
                continue
            version, stat, records = reply
            state = self._states[(view, version.decode())]
            snapshots.append(ViewSnapshot(state, records, _int_or_none(stat)))
        return snapshots

    def generation(self, view: str) -> tuple[str, int] | None:
        """(live version, change counter): a similarity cache is valid while it holds."""
        base = self._base(view)
        version = _text(self._call(lambda: self.client.get(f"{base}:_ptr")))
        if not version:
            return None
        gen = self._call(lambda: self.client.get(f"{base}:_gen:{version}"))
        return version, int(gen or 0)

    def scan_records(self, view: str, version: str) -> Iterable[tuple[str, bytes]]:
        """Every (entity key, record) of a version (for the similarity matrix)."""
        base = self._base(view)
        prefix = f"{base}:{version}:"
        keys = self._scan(base, prefix + "*")
        for start in range(0, len(keys), 5000):
            chunk = keys[start:start + 5000]
            values = self._call(lambda c=chunk: self.client.mget(c))
            for key, value in zip(chunk, values, strict=True):
                if value is not None:
                    yield key.decode()[len(prefix):], value

    def find_similar(self, view: str, feature: str, vector: np.ndarray, k: int,
                     filters: dict[str, Any] | None = None,
                     fresh: bool = True) -> list[tuple[str, float]]:
        return self.matrices.search(self, view, feature, vector, k, filters, fresh)


def _read_args(views: Sequence[tuple[str, Sequence[str]]]) -> list[Any]:
    """ARGV of the READ script: the number of views, then each view's base and keys."""
    args: list[Any] = [len(views)]
    for base, keys in views:
        args += [base, len(keys), *keys]
    return args


def _flag(value: str | None) -> bool:
    return (value or "").lower() in ("1", "true", "yes")


def _text(value: bytes | str | None) -> str | None:
    return value.decode() if isinstance(value, bytes) else value


def _int_or_none(value: bytes | str | None) -> int | None:
    if value in (None, b"", ""):
        return None
    number = int(value)
    return None if number < 0 else number
