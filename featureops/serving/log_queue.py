"""The serving log off the request path: ``/features`` hands each sampled response to a
bounded queue (a reference to the response, its request id and time: no encoding), and one
writer thread turns them into rows and Parquet files (``ServingLogWriter``) in batches.

A full queue drops the response and counts it (``featureops_serving_log_dropped_total``)
rather than make the request wait for the disk. ``close()`` writes everything queued.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from featureops.online.sdk import OnlineFeatures
from featureops.serving.log import ServingLogWriter

logger = logging.getLogger(__name__)
_STOP = object()


class ServingLogQueue:
    """Bounded hand-off from the event loop to a writer thread (see the module doc)."""

    def __init__(self, writer: ServingLogWriter, *, capacity: int = 10_000,
                 flush_seconds: float = 5.0, on_drop: Callable[[], None] | None = None) -> None:
        self.writer = writer
        self.flush_seconds = flush_seconds
        self.dropped = 0
        self._on_drop = on_drop
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=capacity)
        self._drop_lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def sampled(self) -> bool:
        return self.writer.sampled()

    def submit(self, response: OnlineFeatures, request_id: str, served_at: datetime) -> bool:
        """Queue one response for the log without waiting; False (and counted) when full."""
        try:
            self._queue.put_nowait((response, request_id, served_at))
            return True
        except queue.Full:
            with self._drop_lock:
                self.dropped += 1
            if self._on_drop is not None:
                self._on_drop()
            return False

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="featureops-serving-log",
                                            daemon=True)
            self._thread.start()

    def close(self) -> None:
        """Write every queued response, then stop the writer thread (blocks until done)."""
        if self._thread is None:  # never started: write what was queued here
            self._drain()
        else:
            self._queue.put(_STOP)
            self._thread.join()
            self._thread = None
        self._flush()

    def _run(self) -> None:
        due = time.monotonic() + self.flush_seconds
        while True:
            try:
                item = self._queue.get(timeout=max(0.0, due - time.monotonic()))
            except queue.Empty:
                item = None
            if item is _STOP:
                self._drain()
                return
            if item is not None:
                self._record(item)
            if time.monotonic() >= due:
                self._flush()
                due = time.monotonic() + self.flush_seconds

    def _drain(self) -> None:
        while True:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                return
            if item is not _STOP:
                self._record(item)

    def _record(self, item: tuple[OnlineFeatures, str, datetime]) -> None:
        response, request_id, served_at = item
        try:
            self.writer.append(response, request_id=request_id, served_at=served_at)
        except (TypeError, ValueError, OverflowError) as error:
            # a value the log cannot hold is left out; serving already answered
            logger.warning("serving log: response %s not logged: %s", request_id, error)
        except OSError as error:  # append flushes at its row threshold
            logger.warning("serving log write failed: %s", error)

    def _flush(self) -> None:
        try:
            self.writer.flush()
        except (OSError, TypeError, ValueError, OverflowError) as error:
            # a full disk or an unwritable value must not stop the writer thread
            logger.warning("serving log flush failed: %s", error)
