"""The log server restarted under a running worker: a private nats-server (own port and
store directory) is killed while the worker consumes and started again on the same
store; the worker reconnects by itself, takes what was published before and after, and
the state holds every event once, as dbt's rows."""

from __future__ import annotations

import asyncio
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from featureops.project import Project
from featureops.streaming.state import open_state
from featureops.streaming.worker import Worker
from tests.integration.stream_support import (
    drop_log,
    source_log,
    started_worker,
    stream_project,
)
from tests.integration.test_stream_ingest_worker import (
    BAD,
    _expected,
    _slice,
    _stored,
)
from tests.services import require_redis

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class _NatsServer:
    """nats-server -js on a spare loopback port, its store in ``directory``; stopped by pid."""

    def __init__(self, directory: Path) -> None:
        binary = shutil.which("nats-server")
        if binary is None:
            pytest.skip("nats-server is not installed")
        self.binary, self.directory, self.port = binary, directory, _free_port()
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [self.binary, "-js", "-a", "127.0.0.1", "-p", str(self.port), "-sd",
             str(self.directory)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.05)
        raise AssertionError("nats-server did not start")

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)


@pytest.fixture
def nats_server(tmp_path):
    server = _NatsServer(tmp_path / "jetstream")
    server.start()
    yield server
    server.kill()


@pytest.fixture
def project(duckdb_build, tmp_path, monkeypatch, nats_server):
    return stream_project(tmp_path, duckdb_build, monkeypatch,
                          "  transport: nats\n  ack_wait: 2s\n  batch_size: 200\n"
                          "  max_wait_ms: 50\n",
                          FEATUREOPS_NATS_URL=f"nats://127.0.0.1:{nats_server.port}")


async def _publish(project: Project, payloads: list[bytes]) -> None:
    async with source_log(project) as transport:
        await transport.publish(payloads)


async def _until(condition, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.05)


async def _consume_through_a_restart(project: Project, server: _NatsServer,
                                     payloads: list[bytes]) -> Worker:
    half = len(payloads) // 2
    await _publish(project, payloads[:half])
    state = open_state(project)
    try:
        async with started_worker(project, state) as worker:
            running = asyncio.ensure_future(worker.run())
            stats = worker.pipelines[0].stats
            try:
                await _until(lambda: stats.received >= 600, 60)
                server.kill()             # mid-consumption: batches in flight are lost
                await asyncio.sleep(1.0)
                server.start()            # same store directory: the log and the group
                await _publish(project, payloads[half:])
                await _until(lambda: stats.received >= len(payloads), 120)
                while True:               # then until the group has nothing left
                    lag = await worker.transports[0].lag()
                    if lag.pending == 0 and lag.unacked == 0:
                        break
                    await asyncio.sleep(0.2)
            finally:
                worker.stop.set()
                await running
    finally:
        state.close()
    return worker


def test_worker_reconnects_after_jetstream_restarts(project, nats_server, duckdb_build):
    raw, payloads = _slice(duckdb_build)
    payloads = [p for p in payloads if p not in BAD]
    worker = asyncio.run(_consume_through_a_restart(project, nats_server, payloads))
    assert worker.pipelines[0].stats.received >= len(payloads)
    stored, oracle = _stored(project, _expected(duckdb_build, raw))
    assert stored == oracle
    # every message published before the kill survived it: the log holds them all
    assert asyncio.run(_log_lag(project)).messages == len(payloads)


@pytest.fixture
def redis_project(duckdb_build, tmp_path, monkeypatch):
    require_redis()
    project = stream_project(tmp_path, duckdb_build, monkeypatch,
                             "  transport: redis\n  ack_wait: 1s\n  batch_size: 50\n"
                             "  max_wait_ms: 50\n")
    yield project
    asyncio.run(drop_log(project))


def test_worker_processes_killed_at_random_points_lose_and_double_nothing(redis_project,
                                                                          duckdb_build):
    """Real `featureops stream run` processes SIGKILLed while they consume (anywhere: in
    the store's transaction, between apply and ack...), then one run to the end. The
    killed worker's batches come back after newer ones were applied: lateness in log
    order counts them (none is too late)."""
    project = redis_project
    raw, payloads = _slice(duckdb_build)
    asyncio.run(_publish(project, [p for p in payloads if p not in BAD]))
    args = [sys.executable, "-m", "featureops", "stream", "run", "--project-dir",
            str(project.project_dir), "--manifest", str(project.manifest_path)]
    rng = random.Random(3)
    kills = 0
    for _ in range(3):
        before = asyncio.run(_log_lag(project))
        if before.pending == 0 and before.unacked == 0:
            break                          # the previous worker got through everything
        worker = subprocess.Popen([*args, "--quiet"], stdout=subprocess.DEVNULL,
                                  stderr=subprocess.PIPE, env=os.environ.copy())
        deadline = time.monotonic() + 60
        while asyncio.run(_log_lag(project)).acked_position <= before.acked_position:
            assert worker.poll() is None, worker.stderr.read().decode()
            assert time.monotonic() < deadline, "the worker made no progress"
            time.sleep(0.02)
        time.sleep(rng.uniform(0, 0.15))   # somewhere in a later batch
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=10)
        kills += 1
    assert kills >= 1
    finished = subprocess.run([*args, "--until-idle", "--json"], capture_output=True,
                              env=os.environ.copy(), timeout=300)
    assert finished.returncode == 0, finished.stderr.decode()
    assert json.loads(finished.stdout)["sources"][0]["too_late"] == 0
    stored, oracle = _stored(project, _expected(duckdb_build, raw))
    assert stored == oracle


async def _log_lag(project: Project):
    async with source_log(project) as transport:
        return await transport.lag()
