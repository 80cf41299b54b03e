"""`featureops sla --metrics http://…` reads the server's /metrics with the standard library
(no HTTP client package in the base install): the bearer token is sent, and a refused
connection, a non-200 answer or a server that never answers is a one-line error."""

from __future__ import annotations

import socket
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from featureops import sla
from featureops.sla import SlaConfigError, _read_metrics

METRICS = '# TYPE featureops_requests_total counter\nfeatureops_requests_total 3.0\n'


class _Handler(BaseHTTPRequestHandler):
    seen: list[dict[str, str]] = []

    def do_GET(self) -> None:  # noqa: N802 - the http.server hook name
        self.seen.append(dict(self.headers))
        if self.path == "/slow":
            time.sleep(2)
        status = 200 if self.path in ("/metrics", "/slow") else 503
        body = (METRICS if status == 200 else "down").encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain; version=0.0.4")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    _Handler.seen = []
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture(autouse=True)
def _base_install_only(monkeypatch: pytest.MonkeyPatch) -> None:
    # httpx is a dev-only package: the CLI must work without it
    monkeypatch.setitem(sys.modules, "httpx", None)


def test_metrics_are_read_over_http_with_the_token(server: str,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FEATUREOPS_SERVE_TOKEN", "s3cret, older")
    assert _read_metrics(f"{server}/metrics") == METRICS
    assert _Handler.seen[-1]["Authorization"] == "Bearer s3cret"


def test_a_non_200_answer_is_one_line(server: str) -> None:
    with pytest.raises(SlaConfigError) as error:
        _read_metrics(f"{server}/down")
    assert str(error.value) == (f"cannot read metrics from {server}/down: "
                                "HTTP 503 Service Unavailable")


def test_a_refused_connection_is_one_line() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(SlaConfigError, match=rf"^cannot read metrics from "
                                             rf"http://127.0.0.1:{port}/metrics: .*refused"):
        _read_metrics(f"http://127.0.0.1:{port}/metrics")


def test_a_server_that_does_not_answer_times_out(server: str,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sla, "METRICS_TIMEOUT", 0.2)
    started = time.perf_counter()
    with pytest.raises(SlaConfigError, match="timed out") as error:
        _read_metrics(f"{server}/slow")
    assert time.perf_counter() - started < 1.5
    assert "\n" not in str(error.value)
