"""Freshness of streamed features on ``/metrics`` (issue #14 item 5).

Per streaming view the server reports how far behind now its two layers are: the stream's
watermark (the newest event time applied) and the live batch version's boundary (one
microsecond after the newest event the last ``materialize`` covered). The store is read
on a thread of its own, at most every ``refresh_seconds`` and only while someone scrapes;
a scrape computes the ages from the last reading and never waits for the store, so the
event loop answering lookups never does either. A lag is then stale by at most
``refresh_seconds`` plus one reading (the reading's age is reported too).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from typing import Any

from prometheus_client.core import GaugeMetricFamily

from featureops.exceptions import FeatureopsError
from featureops.project import Project

logger = logging.getLogger(__name__)

#: Seconds between two readings of the stream state (while /metrics is scraped).
REFRESH_SECONDS = 2.0


class StreamFreshness:
    """A Prometheus collector of the streaming views' watermark and boundary ages."""

    def __init__(self, project: Project, store_config: Any, views: list[Any],
                 refresh_seconds: float = REFRESH_SECONDS) -> None:
        self.project = project
        self.store_config = store_config
        self.views = views
        self.refresh_seconds = refresh_seconds
        self._readings: dict[str, tuple[int | None, int | None]] = {}  # view -> (wm, B)
        self._read_at: float | None = None  # time.time() of the last complete reading
        self._wanted = threading.Event()  # a scrape came: read again when due
        self._stopped = threading.Event()
        self._thread: threading.Thread | None = None

    def collect(self) -> Iterator[GaugeMetricFamily]:
        if self._thread is None:
            self._thread = threading.Thread(target=self._reader, daemon=True,
                                            name="featureops-stream-freshness")
            self._thread.start()
        self._wanted.set()
        now = time.time()
        lag = GaugeMetricFamily(
            "featureops_stream_freshness_lag_seconds", "Seconds from the newest event time "
            "a streaming view's stream applied (its watermark) to now.", labels=["view"])
        boundary = GaugeMetricFamily(
            "featureops_stream_batch_boundary_age_seconds", "Seconds from the boundary of a "
            "streaming view's live batch version (its newest event + 1 us) to now.",
            labels=["view"])
        for view, (watermark, edge) in sorted(self._readings.items()):
            if watermark is not None:
                lag.add_metric([view], now - watermark / 1e6)
            if edge is not None:
                boundary.add_metric([view], now - edge / 1e6)
        yield lag
        yield boundary
        age = GaugeMetricFamily(
            "featureops_stream_freshness_reading_age_seconds", "Seconds since the stream "
            "state was last read for the freshness gauges (-1: not read yet).")
        age.add_metric([], -1.0 if self._read_at is None else now - self._read_at)
        yield age

    def _reader(self) -> None:
        """The reading thread: reads when a scrape wants it, at most every
        refresh_seconds; its store connections are its own."""
        from featureops.online.config import open_online_store
        from featureops.streaming.state import open_state

        store = state = None
        try:
            while self._wanted.wait() and not self._stopped.is_set():
                self._wanted.clear()
                try:
                    store = store or open_online_store(self.project, self.store_config)
                    state = state or open_state(self.project, self.store_config)
                    self._readings = {view.name: self._reading(store, state, view)
                                      for view in self.views}
                    self._read_at = time.time()
                except (FeatureopsError, OSError) as error:  # the gauges keep the last one
                    logger.warning("stream freshness: cannot read the stream state: %s",
                                   error)
                self._stopped.wait(self.refresh_seconds)
        finally:
            for opened in (state, store):
                if opened is not None:
                    opened.close()

    @staticmethod
    def _reading(store: Any, state: Any, view: Any) -> tuple[int | None, int | None]:
        live = store.live_state(view.name)
        read = state.read(view, live.version if live else None, [], 0, 1)
        return read.watermark_micros, read.boundary_micros

    def close(self) -> None:
        self._stopped.set()
        self._wanted.set()


def watch_streams(project: Project, client: Any, registry: Any) -> StreamFreshness | None:
    """Register a StreamFreshness for the project's online streaming views in ``registry``
    (None when no online view streams: nothing is imported or read then)."""
    names = [name for name, view in client.catalog.views.items()
             if view.spec.streaming is not None and view.spec.online]
    if not names:
        return None
    from featureops.streaming.windows import streaming_view

    views = []
    for name in sorted(names):
        try:
            views.append(streaming_view(project.manifest, client.catalog.view(name)))
        except FeatureopsError as error:  # its lookups say so too; the server still serves
            logger.warning("stream freshness: %s", error)
    if not views:
        return None
    collector = StreamFreshness(project, client.store.config, views)
    registry.register(collector)
    return collector
