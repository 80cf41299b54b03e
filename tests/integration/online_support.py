"""Helpers for the online-store and serving integration tests: a project bound to the
session's DuckDB build, stores on private files/prefixes, and private redis-server
processes for fault tests (never the shared 6379 instance)."""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

import pytest
import redis

from featureops.online.base import OnlineStore
from featureops.online.config import parse_store_config
from featureops.online.redis import RedisOnlineStore
from featureops.online.sqlite import SqliteOnlineStore
from featureops.project import Project

END = datetime(2026, 11, 1, tzinfo=timezone.utc)


def project_for(build, monkeypatch: pytest.MonkeyPatch) -> Project:
    monkeypatch.setenv("FEATUREOPS_DUCKDB_PATH", str(build.duckdb_path))
    return Project.locate(build.project_dir, build.manifest_path)


def sqlite_store(path: Path, **settings) -> SqliteOnlineStore:
    return SqliteOnlineStore(parse_store_config({"type": "sqlite", "path": str(path),
                                                 **settings}), path.parent)


def redis_store(prefix: str | None = None, url_env: str = "FEATUREOPS_REDIS_URL",
                **settings) -> RedisOnlineStore:
    config = parse_store_config({"type": "redis", "url_env": url_env,
                                 "key_prefix": prefix or f"fo_it_{uuid.uuid4().hex[:8]}",
                                 **settings})
    return RedisOnlineStore(config, Path("."))


def drop_prefix(store: OnlineStore) -> None:
    if isinstance(store, RedisOnlineStore):
        prefix = store.config.key_prefix  # on a Redis Cluster keys start {prefix:view}
        for pattern in (f"{prefix}:*", f"{{{prefix}:*"):
            keys = list(store.client.scan_iter(match=pattern, count=10_000))
            for start in range(0, len(keys), 10_000):
                store.client.delete(*keys[start:start + 10_000])
    store.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class PrivateRedis:
    """A redis-server of our own on a spare loopback port, persisted to a temp dir so it
    can be stopped and restarted with its data."""

    def __init__(self, directory: Path) -> None:
        if shutil.which("redis-server") is None:
            pytest.skip("redis-server is not installed")
        self.directory = directory
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
             "--dir", str(self.directory), "--dbfilename", "dump.rdb", "--appendonly", "no",
             "--save", ""], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        client = redis.Redis(port=self.port)
        for _ in range(100):
            try:
                client.ping()
                return
            except redis.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError(f"private redis-server on port {self.port} did not start")

    def stop(self) -> None:
        """Save and stop this server only (by its own pid)."""
        if self.process is None:
            return
        with contextlib.suppress(redis.ConnectionError):
            redis.Redis(port=self.port).shutdown(save=True)
        self.process.wait(timeout=10)
        self.process = None


@contextmanager
def private_redis(directory: Path) -> Iterator[PrivateRedis]:
    server = PrivateRedis(directory)
    server.start()
    try:
        yield server
    finally:
        if server.process is not None:
            server.process.kill()
            server.process.wait(timeout=10)


def store_for(kind: str, tmp_path: Path, cluster_env: str = "") -> tuple[OnlineStore, dict]:
    """A fresh store of ``kind`` (private SQLite file or Redis prefix) and its config;
    ``redis-cluster``: a prefix on the cluster whose nodes ``cluster_env`` holds."""
    if kind == "redis-cluster":
        store = redis_store(url_env=cluster_env, cluster=True)
        return store, {"type": "redis", "key_prefix": store.config.key_prefix,
                       "url_env": cluster_env, "cluster": True}
    if kind == "redis":
        from tests.services import require_redis

        require_redis()
        store = redis_store()
        return store, {"type": "redis", "key_prefix": store.config.key_prefix}
    store = sqlite_store(tmp_path / "online.db")
    return store, {"type": "sqlite", "path": str(store.path)}
