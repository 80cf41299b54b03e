"""Skip-or-fail access to the local Postgres and Redis servers for tests.

A test that needs a service calls ``require_postgres()`` / ``require_redis()``. When the
service is unreachable the test is skipped with the reason, unless
``FEATUREOPS_REQUIRE_SERVICES=1`` (CI), where a silently skipped suite would hide a broken
environment, so the test fails instead. Postgres is the example project's ``postgres``
profile target, read as featureops reads it.
"""

from __future__ import annotations

import functools
import os
import socket
from pathlib import Path
from typing import Any

import pytest

REDIS_HOST, REDIS_PORT = "127.0.0.1", 6379
REPO_ROOT = Path(__file__).resolve().parents[1]
POSTGRES_TARGET = "postgres"


def _unavailable(reason: str) -> None:
    if os.environ.get("FEATUREOPS_REQUIRE_SERVICES") == "1":
        pytest.fail(f"{reason} (FEATUREOPS_REQUIRE_SERVICES=1, so this is a failure)")
    pytest.skip(reason)


def postgres_dsn() -> dict[str, Any]:
    """psycopg2.connect() keywords of the example project's postgres target (what dbt and
    `featureops load-raw` connect with)."""
    from featureops.engines.postgres_engine import connect_kwargs
    from featureops.profiles import load_target
    from featureops.project import Project

    project = Project.locate(REPO_ROOT, REPO_ROOT / "target" / "manifest.json",
                             profiles_dir=REPO_ROOT, target=POSTGRES_TARGET)
    return connect_kwargs(load_target(project).credentials)


@functools.lru_cache(maxsize=1)
def _postgres_problem() -> str | None:
    # Probed once per session: a down server should not cost a timeout per test.
    try:
        import psycopg2
    except ImportError:
        return "psycopg2 is not installed (pip install featureops[postgres])"
    dsn = postgres_dsn()
    try:
        conn = psycopg2.connect(**{**dsn, "connect_timeout": 3})
    except psycopg2.Error as exc:
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else repr(exc)
        return f"Postgres at {dsn['host']}:{dsn['port']}/{dsn['dbname']} unreachable: {first_line}"
    conn.close()
    return None


def require_postgres() -> dict[str, Any]:
    """The Postgres DSN as a dict, or skip (fail under FEATUREOPS_REQUIRE_SERVICES=1)."""
    problem = _postgres_problem()
    if problem:
        _unavailable(problem)
    return postgres_dsn()


@functools.lru_cache(maxsize=1)
def _redis_problem() -> str | None:
    # A raw PING keeps this helper free of a redis client dependency.
    try:
        with socket.create_connection((REDIS_HOST, REDIS_PORT), timeout=3) as sock:
            sock.sendall(b"*1\r\n$4\r\nPING\r\n")
            reply = sock.recv(64)
    except OSError as exc:
        return f"Redis at {REDIS_HOST}:{REDIS_PORT} unreachable: {exc}"
    if not reply.startswith(b"+PONG"):
        return f"Redis at {REDIS_HOST}:{REDIS_PORT} answered PING with {reply[:40]!r}"
    return None


def require_redis() -> str:
    """The Redis URL, or skip (fail under FEATUREOPS_REQUIRE_SERVICES=1)."""
    problem = _redis_problem()
    if problem:
        _unavailable(problem)
    return f"redis://{REDIS_HOST}:{REDIS_PORT}/0"


NATS_HOST, NATS_PORT = "127.0.0.1", 4222


@functools.lru_cache(maxsize=1)
def _nats_problem() -> str | None:
    # The server greets every connection with INFO; JetStream must be enabled in it.
    try:
        with socket.create_connection((NATS_HOST, NATS_PORT), timeout=3) as sock:
            greeting = sock.recv(4096)
    except OSError as exc:
        return f"NATS at {NATS_HOST}:{NATS_PORT} unreachable: {exc}"
    if not greeting.startswith(b"INFO "):
        return f"NATS at {NATS_HOST}:{NATS_PORT} greeted with {greeting[:40]!r}"
    if b'"jetstream":true' not in greeting:
        return f"NATS at {NATS_HOST}:{NATS_PORT} runs without JetStream (nats-server -js)"
    return None


def require_nats() -> str:
    """The NATS URL (JetStream enabled), or skip (fail under FEATUREOPS_REQUIRE_SERVICES=1)."""
    problem = _nats_problem()
    if problem:
        _unavailable(problem)
    return f"nats://{NATS_HOST}:{NATS_PORT}"


def require_cluster_tools() -> None:
    """redis-server and redis-cli (for a private Redis Cluster), or skip (fail under
    FEATUREOPS_REQUIRE_SERVICES=1)."""
    from tests.redis_cluster import cluster_problem

    problem = cluster_problem()
    if problem:
        _unavailable(problem)


@functools.lru_cache(maxsize=1)
def _spark_problem() -> str | None:
    # dbt-spark's session method runs PySpark in the dbt process: it needs the
    # packages and a JDK (17+ for Spark 4).
    import importlib.util
    import shutil

    for module, package in (("pyspark", "pyspark"), ("dbt.adapters.spark", "dbt-spark")):
        try:
            found = importlib.util.find_spec(module) is not None
        except ModuleNotFoundError:
            found = False
        if not found:
            return f"{package} is not installed (pip install 'featureops[spark]')"
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        return "no Java runtime for PySpark (apt-get install openjdk-17-jre-headless)"
    return None


def require_spark() -> None:
    """PySpark, dbt-spark and a JDK, or skip (fail under FEATUREOPS_REQUIRE_SERVICES=1)."""
    problem = _spark_problem()
    if problem:
        _unavailable(problem)
