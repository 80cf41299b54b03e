"""The stream freshness gauges never make a scrape wait for the store: while the reading
thread is stuck in the store, /metrics' collector answers at once with what it last read
(here: nothing yet, reading age -1), and reports the reading once it completes."""

from __future__ import annotations

import threading
import time
from types import SimpleNamespace

from prometheus_client import CollectorRegistry, generate_latest

from featureops.serving.metrics_streams import StreamFreshness
from featureops.streaming.state import StreamRead


class _StuckStore:
    """A store whose reads wait until released (a store that hangs)."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.entered = threading.Event()

    def live_state(self, view: str):
        self.entered.set()
        self.release.wait()
        return SimpleNamespace(version="v1")

    def read(self, view, online_version, keys, since, until) -> StreamRead:
        return StreamRead(1_000_000 * 1_700_000_000, {}, {}, 1_000_000 * 1_700_000_100)

    def close(self) -> None:
        pass


def test_scrapes_do_not_wait_for_a_stuck_store(monkeypatch):
    store = _StuckStore()
    monkeypatch.setattr("featureops.online.config.open_online_store", lambda *a: store)
    monkeypatch.setattr("featureops.streaming.state.open_state", lambda *a: store)
    collector = StreamFreshness(None, None, [SimpleNamespace(name="v")], refresh_seconds=0.01)
    registry = CollectorRegistry()
    registry.register(collector)
    try:
        first = generate_latest(registry).decode()  # starts the reading thread
        assert store.entered.wait(10)
        stuck = generate_latest(registry).decode()  # the reader is inside the store now
        for text in (first, stuck):
            assert "featureops_stream_freshness_reading_age_seconds -1.0" in text
            assert 'featureops_stream_freshness_lag_seconds{view="v"}' not in text
        store.release.set()
        deadline = time.monotonic() + 10
        while 'lag_seconds{view="v"}' not in (text := generate_latest(registry).decode()):
            assert time.monotonic() < deadline, text
            time.sleep(0.01)
        lag = float(text.split('featureops_stream_freshness_lag_seconds{view="v"} ')[1]
                    .split()[0])
        assert abs(lag - (time.time() - 1_700_000_100)) < 5
    finally:
        collector.close()
