"""The serving log's queue: submitting never waits for the writer, a full queue drops and
counts, and close() writes everything that was queued."""

from __future__ import annotations

import threading
import time
from datetime import datetime, timezone
from pathlib import Path

import pyarrow.parquet as pq

from featureops.serving.log import ServingLogWriter
from featureops.serving.log_queue import ServingLogQueue
from tests.unit.serving.test_log import response

SERVED = datetime(2026, 11, 1, 12, tzinfo=timezone.utc)
WAIT = 30  # seconds: only reached if the code under test is broken


def _rows(directory: Path) -> list[dict]:
    return [row for path in sorted(directory.glob("*.parquet"))
            for row in pq.read_table(path).to_pylist()]


class BlockedWriter(ServingLogWriter):
    """A writer whose append waits until released, as if the disk had stalled."""

    def __init__(self, directory: Path) -> None:
        super().__init__(directory)
        self.entered = threading.Event()
        self.release = threading.Event()

    def append(self, *args, **kwargs) -> int:
        self.entered.set()
        assert self.release.wait(WAIT), "never released"
        return super().append(*args, **kwargs)


def test_a_full_queue_drops_and_counts_instead_of_blocking(tmp_path: Path) -> None:
    writer = BlockedWriter(tmp_path)
    drops: list[int] = []
    log = ServingLogQueue(writer, capacity=2, flush_seconds=60,
                          on_drop=lambda: drops.append(1))
    log.start()
    assert log.submit(response(), "r0", SERVED)
    assert writer.entered.wait(WAIT)  # the writer holds r0 and is stuck
    accepted = [log.submit(response(), f"r{i}", SERVED) for i in range(1, 6)]
    assert accepted == [True, True, False, False, False]
    assert log.dropped == 3 and len(drops) == 3
    writer.release.set()
    log.close()
    rows = _rows(tmp_path)
    assert {row["request_id"] for row in rows} == {"r0", "r1", "r2"}
    assert len(rows) == 3 * 8  # 2 entities x 4 features per response


def test_close_writes_what_was_queued_in_order(tmp_path: Path) -> None:
    log = ServingLogQueue(ServingLogWriter(tmp_path), flush_seconds=60)
    log.start()
    for i in range(3):
        log.submit(response(), f"r{i}", SERVED)
    assert not list(tmp_path.glob("*.parquet"))  # nothing written on submit
    log.close()
    rows = _rows(tmp_path)
    assert [row["request_id"] for row in rows[::8]] == ["r0", "r1", "r2"]
    assert rows[0]["served_at"] == SERVED.replace(tzinfo=None)


def test_the_writer_thread_flushes_periodically(tmp_path: Path) -> None:
    log = ServingLogQueue(ServingLogWriter(tmp_path), flush_seconds=0.05)
    log.start()
    log.submit(response(), "r0", SERVED)
    deadline = time.monotonic() + WAIT
    while not list(tmp_path.glob("*.parquet")) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert list(tmp_path.glob("*.parquet"))  # before close(): the thread flushed it
    log.close()
    assert {row["request_id"] for row in _rows(tmp_path)} == {"r0"}


def test_close_without_start_writes_the_queue(tmp_path: Path) -> None:
    log = ServingLogQueue(ServingLogWriter(tmp_path))
    log.submit(response(), "r0", SERVED)
    log.close()
    assert len(_rows(tmp_path)) == 8


def test_a_value_the_log_cannot_hold_does_not_stop_the_writer(tmp_path: Path) -> None:
    class Failing(ServingLogWriter):
        def append(self, response, **kwargs) -> int:
            if kwargs["request_id"] == "bad":
                raise OverflowError("too big")
            return super().append(response, **kwargs)

    log = ServingLogQueue(Failing(tmp_path), flush_seconds=60)
    log.start()
    log.submit(response(), "bad", SERVED)
    log.submit(response(), "good", SERVED)
    log.close()
    assert {row["request_id"] for row in _rows(tmp_path)} == {"good"}
