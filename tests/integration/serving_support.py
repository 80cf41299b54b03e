"""A feature server on a real uvicorn (in a thread of the test process), for tests that
need a real event loop and real sockets: stalls, idle connections, disconnects."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import uvicorn

from featureops.online import materialize
from featureops.online.sdk import OnlineFeatureClient
from featureops.project import Project
from featureops.serving.protocol import uvicorn_options
from featureops.serving.settings import ServingSettings
from tests.integration.online_support import END, drop_prefix, free_port, project_for, store_for


@contextmanager
def materialized(kind: str, build: Any, monkeypatch: Any, tmp_path: Any,
                 select: list[str] | None = None
                 ) -> Iterator[tuple[Project, OnlineFeatureClient]]:
    """The example project and a lookup client over a private store of ``kind`` holding
    its online views (``select``: only these) as of END; the store is dropped after."""
    store, _ = store_for(kind, tmp_path)
    project = project_for(build, monkeypatch)
    materialize(project, store=store, select=select, end_time=END, progress=False)
    try:
        yield project, OnlineFeatureClient(project, store=store)
    finally:
        drop_prefix(store)


@contextmanager
def live_server(app: Any, settings: ServingSettings | None = None) -> Iterator[str]:
    """Serve ``app`` on a spare loopback port as ``featureops serve`` would (its uvicorn
    options); yields its base URL."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port,
                                           **uvicorn_options(settings or ServingSettings())))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=15)


def timed_get(url: str, **kwargs: Any) -> tuple[httpx.Response, float]:
    """One request on a fresh connection and its wall time in seconds."""
    started = time.perf_counter()
    response = httpx.get(url, timeout=30, **kwargs)
    return response, time.perf_counter() - started


def timed_post(url: str, **kwargs: Any) -> tuple[httpx.Response, float]:
    started = time.perf_counter()
    response = httpx.post(url, timeout=30, **kwargs)
    return response, time.perf_counter() - started


def wait_healthy(http: httpx.Client, process: Any, seconds: float = 30) -> None:
    """Until the server ``process`` (a Popen) answers GET /health with 200; fails when it
    exits or ``seconds`` pass first."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            if http.get("/health").status_code == 200:
                return
        except httpx.TransportError:
            pass
        assert process.poll() is None, f"the server exited with {process.returncode}"
        assert time.monotonic() < deadline, f"no answer on /health within {seconds} s"
        time.sleep(0.1)
