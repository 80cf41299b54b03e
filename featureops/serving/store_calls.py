"""How the feature server calls its online store without ever freezing its event loop.

- **Lookups and pings** (``lookup``, ``ping``) of a store whose reads cannot wait
  (``OnlineStore.inline_reads``: SQLite in WAL mode, a busy timeout of milliseconds) run on
  the event loop: a thread hop would cost more than the read. Any other store is read
  through its ``read_async`` (Redis: the asyncio client, no thread at all) and waited for
  at most ``store_timeout_seconds``; past that the request gets 503 and the circuit opens
  (a hung Redis costs one request the deadline, not every request its socket timeout).
- **Calls that can take long** (``run``: similarity searches, pushes) run on a second
  bounded pool without a deadline: the store bounds their waiting itself (SQLite's write
  busy timeout, Redis's socket timeout), so a write is never reported failed while it may
  still land.
- **The circuit**: after the store failed, every call gets 503 at once for
  ``store_retry_seconds``, then the next call tries the store again, so the server recovers
  without a restart. A busy store (StoreBusyError: a write waited for a lock) does not open
  it: reads still work. Nor does one unreachable or hung master of a Redis Cluster
  (NodeUnavailableError; a missed deadline on such a store): requests for its views get
  503, the other views keep answering.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from featureops.online.base import (
    NodeUnavailableError,
    OnlineStore,
    StoreBusyError,
    StoreUnavailableError,
)
from featureops.serving.metrics import ServingMetrics
from featureops.serving.settings import ServingSettings

_T = TypeVar("_T")


class Circuit:
    """Fail fast for a moment after the store failed, then let requests retry it."""

    def __init__(self, retry_seconds: float) -> None:
        self.retry_seconds = retry_seconds
        self.open_until = 0.0
        self.reason = ""

    def check(self) -> None:
        if time.monotonic() < self.open_until:
            raise StoreUnavailableError(self.reason)

    def trip(self, reason: str) -> None:
        self.reason = reason
        self.open_until = time.monotonic() + self.retry_seconds


class StoreCalls:
    """The server's way to call its store: inline, or on bounded pools, behind the circuit."""

    def __init__(self, store: OnlineStore, settings: ServingSettings,
                 metrics: ServingMetrics) -> None:
        self.store = store
        self.inline = store.inline_reads
        self.timeout = settings.store_timeout_seconds
        self.circuit = Circuit(settings.store_retry_seconds)
        self.metrics = metrics
        self._slow = ThreadPoolExecutor(settings.store_threads, "featureops-store")
        self._watch = _Watch(self.circuit, metrics)

    async def lookup(self, action: Callable[[], Awaitable[_T]]) -> _T:
        """A read (a coroutine that reads inline or through ``read_async``), behind the
        circuit; within the deadline unless the store's reads cannot wait."""
        self.circuit.check()
        with self._watch:
            if self.inline:
                return await action()
            try:
                async with asyncio.timeout(self.timeout):
                    return await action()
            except TimeoutError:
                # a partitioned store's hung node stalls its own views only
                error = NodeUnavailableError if self.store.partitioned else StoreUnavailableError
                raise error(f"no answer within {self.timeout:g} s") from None

    async def ping(self) -> None:
        """Whether the store answers (``/health``), like a lookup."""
        if self.inline:
            self.guarded(self.store.ping)
        else:
            await self.lookup(self.store.ping_async)

    async def run(self, action: Callable[[], _T]) -> _T:
        """A call that may take long, on the second pool, behind the circuit."""
        self.circuit.check()
        return await asyncio.get_running_loop().run_in_executor(self._slow, self.guarded,
                                                                action)

    def guarded(self, action: Callable[[], _T]) -> _T:
        """Run a store call behind the circuit; an unavailable store opens it."""
        self.circuit.check()  # again: a queued call should not wait for a known-down store
        with self._watch:
            return action()

    async def close(self) -> None:
        self._slow.shutdown(wait=False, cancel_futures=True)
        await self.store.close_async()


class _Watch:
    """``with`` around a store call: an unavailable store opens the circuit and sets
    ``featureops_store_up`` to 0 (a busy one, or one down master of a cluster, does
    neither); an answer sets it to 1.
    Stateless, so one instance serves every call and thread."""

    def __init__(self, circuit: Circuit, metrics: ServingMetrics) -> None:
        self.circuit, self.metrics = circuit, metrics

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 _: object) -> None:
        if kind is None:
            self.metrics.store_up.set(1)
        elif (issubclass(kind, StoreUnavailableError)
              and not issubclass(kind, (StoreBusyError, NodeUnavailableError))):
            self.circuit.trip(str(error))
            self.metrics.store_up.set(0)
