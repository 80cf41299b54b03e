"""The serving log off the request path: ``/features`` hands the response body it has
just encoded for the client, with a few bytes of header, to a writer process
(``featureops.serving.log_process``) through a pipe, and returns. Rows and Parquet are
made in that process, on another core and under another interpreter lock.

The hand-over never waits: the pipe is non-blocking, and what the kernel cannot take at
once waits in the transport's buffer. When that buffer holds more than
``serving.log_buffer_bytes`` (the writer cannot keep up, or is stalled), the response is
left out of the log and counted (``featureops_serving_log_dropped_total``). Stopping the
server closes the pipe; the writer process writes everything it received and exits, and
the server waits for it. If the writer process dies, responses are dropped and counted.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import os
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from featureops.online.sdk import OnlineColumns
from featureops.serving.log_process import HURRY_SIGNAL, frame, kinds_of

logger = logging.getLogger(__name__)
#: Linux's fcntl to size a pipe; a larger kernel buffer absorbs bursts without user copies
F_SETPIPE_SZ = 1031
PIPE_BYTES = 1 << 20


class ServingLogPipe:
    """One writer process per server process, fed through a pipe (see the module doc)."""

    def __init__(self, directory: Path, *, sample_rate: float = 1.0,
                 capacity_bytes: int = 8 << 20, flush_seconds: float = 5.0,
                 on_drop: Callable[[], None] | None = None, seed: int | None = None) -> None:
        if not 0.0 <= sample_rate <= 1.0:
            raise ValueError(f"sample rate must be within [0, 1], got {sample_rate}")
        self.directory = directory
        self.sample_rate = sample_rate
        self.capacity_bytes = capacity_bytes
        self.flush_seconds = flush_seconds
        self.dropped = 0
        self._on_drop = on_drop
        self._random = random.Random(seed)
        self._process: asyncio.subprocess.Process | None = None
        self._transport: Any = None
        self._lost_reported = False

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    def sampled(self) -> bool:
        """Whether to log the next response (the sample is per request)."""
        return self.sample_rate >= 1.0 or self._random.random() < self.sample_rate

    async def start(self) -> None:
        """Start the writer process (call on the serving loop)."""
        # our own pipe: the loop's transports do not expose theirs to be enlarged (uvloop's
        # do not at all), and at the kernel's 64 KiB the pipe filled between two reads of
        # the writer, so the loop flushed a backlog every 20 ms in the middle of requests
        read_end, write_end = os.pipe()
        with contextlib.suppress(OSError):  # Linux only; elsewhere the default size
            fcntl.fcntl(write_end, F_SETPIPE_SZ, PIPE_BYTES)
        try:
            self._process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "featureops.serving.log_process", str(self.directory),
                repr(self.flush_seconds), stdin=read_end, stdout=asyncio.subprocess.DEVNULL)
            # it moves to a process group of its own at start (log_process.main)
        except BaseException:
            os.close(write_end)
            raise
        finally:
            os.close(read_end)  # the child holds it now
        self._transport, _ = await asyncio.get_running_loop().connect_write_pipe(
            asyncio.Protocol, os.fdopen(write_end, "wb", buffering=0))

    def submit(self, body: bytes, answer: OnlineColumns) -> bool:
        """Hand one encoded response to the writer without waiting; False (and counted)
        when the writer is behind by more than the capacity, or gone."""
        transport = self._transport
        if transport is None or transport.is_closing():
            return self._drop("the serving log's writer process is not running")
        if transport.get_write_buffer_size() > self.capacity_bytes:
            return self._drop(None)
        transport.write(frame(time.time_ns() // 1000, kinds_of(answer),
                              len(answer.entity_names), body))
        return True

    def _drop(self, reason: str | None) -> bool:
        self.dropped += 1  # only the serving loop submits: no lock needed
        if self._on_drop is not None:
            self._on_drop()
        if reason and not self._lost_reported:
            self._lost_reported = True
            logger.error("%s: responses are left out of the serving log (counted in "
                         "featureops_serving_log_dropped_total)", reason)
        return False

    async def close(self) -> None:
        """Close the pipe and wait for the writer to write what it received."""
        if self._process is None:
            return
        with contextlib.suppress(ProcessLookupError):  # drain at normal scheduling
            os.kill(self._process.pid, HURRY_SIGNAL)
        if self._transport is not None and not self._transport.is_closing():
            self._transport.close()  # the queued bytes are written first, then EOF
        await self._process.wait()
        self._process = self._transport = None
