"""The log server restarted under a running worker: a private nats-server (own port and
store directory) is killed while the worker consumes and started again on the same
store; the worker reconnects by itself, takes what was published before and after, and
the state holds every event once, as dbt's rows."""

from __future__ import annotations

import asyncio
import shutil
import signal
import socket
import subprocess
import time
import uuid
from pathlib import Path

import pytest

from featureops.project import Project
from featureops.streaming.sources import stream_source
from featureops.streaming.state import open_state
from featureops.streaming.transports import open_transport
from featureops.streaming.transports.config import load_streaming_settings
from featureops.streaming.worker import Worker
from tests.integration.stream_support import started_worker
from tests.integration.test_stream_ingest_worker import BAD, _expected, _slice, _stored

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
    (tmp_path / "featureops.yml").write_text(
        f"online_store:\n  type: sqlite\n  path: {tmp_path / 'online.db'}\n"
        "streaming:\n  transport: nats\n  ack_wait: 2s\n  batch_size: 200\n"
        "  max_wait_ms: 50\n")
    (tmp_path / "dbt_project.yml").write_text("name: featureops\nprofile: featureops\n")
    monkeypatch.setenv("FEATUREOPS_DUCKDB_PATH", str(duckdb_build.duckdb_path))
    monkeypatch.setenv("FEATUREOPS_NATS_URL", f"nats://127.0.0.1:{nats_server.port}")
    monkeypatch.setenv("FEATUREOPS_STREAM_SUBJECT_PREFIX", f"t{uuid.uuid4().hex[:8]}.")
    for name in ("FEATUREOPS_ONLINE_STORE", "FEATUREOPS_STREAM_TRANSPORT"):
        monkeypatch.delenv(name, raising=False)
    return Project.locate(tmp_path, duckdb_build.manifest_path)


async def _publish(project: Project, payloads: list[bytes]) -> None:
    transport = open_transport(load_streaming_settings(project),
                               stream_source(project.manifest, "payments_transactions"))
    await transport.connect()
    try:
        await transport.publish(payloads)
    finally:
        await transport.close()


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
    assert asyncio.run(_log_size(project)) == len(payloads)


async def _log_size(project: Project) -> int:
    transport = open_transport(load_streaming_settings(project),
                               stream_source(project.manifest, "payments_transactions"))
    await transport.connect()
    try:
        return (await transport.lag()).messages
    finally:
        await transport.close()
