"""A local HTTP receiver for alert deliveries (http.server on a spare port, in a thread),
and the settings, problems and dispatchers the alert tests share."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from featureops.alerts.channels import Delivery
from featureops.alerts.config import AlertSettings
from featureops.alerts.dispatch import AlertDispatcher
from featureops.alerts.problems import Evaluation, Problem
from featureops.monitoring.health import table_health
from featureops.monitoring.results import MonitoringResults
from featureops.monitoring.snapshot import MonitoringSnapshot
from featureops.monitoring.summary import MonitoringSummary
from tests.unit.monitoring.conftest import make_finding, make_test_result

START = datetime(2026, 11, 5, 8, 0, tzinfo=timezone.utc)


@dataclass
class Received:
    """One POST the receiver got: its body as sent (``raw``) and as JSON (``body``)."""

    path: str
    headers: dict[str, str]
    raw: bytes
    body: Any = None


@dataclass
class Receiver:
    """Records every POST; ``statuses[path]`` lists the answers to give to the next POSTs
    there, in turn (200 once it is used up): a status, or (status, headers)."""

    url: str
    received: list[Received] = field(default_factory=list)
    statuses: dict[str, list[Any]] = field(default_factory=dict)

    def bodies(self, path: str = "/hook") -> list[Any]:
        return [r.body for r in self.received if r.path == path]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver("")
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - the http.server hook name
            raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            with lock:
                state.received.append(Received(self.path, dict(self.headers), raw,
                                               json.loads(raw)))
                pending = state.statuses.get(self.path)
                answer = pending.pop(0) if pending else 200
            status, headers = answer if isinstance(answer, tuple) else (answer, {})
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{httpd.server_address[1]}"
    try:
        yield state
    finally:
        httpd.shutdown()
        httpd.server_close()


class Clock:
    """Injected time: starts at START, moved by ``advance``."""

    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


WEBHOOK = {"type": "webhook", "url_env": "HOOK_URL"}
SLACK = {"type": "slack", "url_env": "SLACK_URL"}


@dataclass
class Harness:
    """Dispatchers for one project folder, sharing a receiver (``HOOK_URL`` is its /hook,
    ``SLACK_URL`` its /slack) and an injected clock; backoff sleeps are recorded."""

    project_dir: Path
    receiver: Receiver
    clock: Clock = field(default_factory=Clock)
    sleeps: list[float] = field(default_factory=list)

    def dispatcher(self, **raw: Any) -> AlertDispatcher:
        settings = AlertSettings.model_validate(raw)
        delivery = Delivery(timeout=2.0, retries=settings.retries,
                            backoff=settings.backoff_seconds, sleep=self.sleeps.append,
                            project_dir=self.project_dir)
        return AlertDispatcher(settings, project_dir=self.project_dir, project_name="shop",
                               delivery=delivery, clock=self.clock)

    def state(self) -> dict[str, Any]:
        return json.loads((self.project_dir / "data/alerts/state.json").read_text())


@pytest.fixture
def alerts(tmp_path: Path, receiver: Receiver, monkeypatch: pytest.MonkeyPatch) -> Harness:
    monkeypatch.setenv("HOOK_URL", f"{receiver.url}/hook")
    monkeypatch.setenv("SLACK_URL", f"{receiver.url}/slack")
    return Harness(tmp_path, receiver)


def sla_problem(table: str, check: str, level: str = "critical",
                summary: str = "broken") -> Problem:
    return Problem("sla", table, check, level, summary, {"view": table, "sla": check})


def evaluation(*problems: Problem, judged: tuple[tuple[str, str], ...] = (),
               source: str = "sla") -> Evaluation:
    return Evaluation.of(source, problems, [f"{source}/{t}/{c}" for t, c in judged])



def monitoring_summary() -> MonitoringSummary:
    """Quality monitoring of feat_a and feat_b: freshness critical on feat_a (two findings),
    volume ok on feat_a and not judged on feat_b (insufficient data), and feat_b's own
    not_null test failed."""
    results = MonitoringResults(Path("run_results.json"), "2026-11-01", "inv", "build")
    results.tests = [
        make_test_result("fresh", "freshness_sla", "fail"),
        make_test_result("volume", "volume_anomaly", "pass", model_name=["feat_a", "feat_b"]),
        make_test_result("not_null_b", "not_null", "fail", table="feat_b", namespace=None),
    ]
    results.findings = [
        make_finding("freshness_sla", "feat_a", "critical", "event_at", "freshness_age_seconds",
                     "older than 1d"),
        make_finding("freshness_sla", "feat_a", "warning", "updated_at", "freshness_age_seconds"),
    ]
    results.insufficient = [make_finding("volume_anomaly", "feat_b", "insufficient_data")]
    empty = pd.DataFrame()
    snapshot = MonitoringSnapshot(empty, empty, empty, empty, empty, ["feat_a", "feat_b"],
                                  frozenset({"quality"}))
    return MonitoringSummary(results, snapshot, table_health(results, snapshot))
