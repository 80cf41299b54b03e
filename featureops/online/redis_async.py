"""Reads of the Redis store on an asyncio event loop (the feature server): the same Lua
READ script through redis-py's asyncio client, so a hung Redis makes a lookup wait without
blocking the loop, and costs less than a hop to a thread.

asyncio connections belong to the loop that opened them, so the client is rebuilt when it
is used from another loop (each test client runs its own). On a Redis Cluster the views of
one lookup are read concurrently, one READ per view (each view is one hash slot).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from featureops._optional import require
from featureops.online import redis_scripts
from featureops.online.base import ViewSnapshot

if TYPE_CHECKING:
    from featureops.online.redis import RedisOnlineStore

redis = require("redis", extra="redis")
_T = TypeVar("_T")


class AsyncReads:
    """The asyncio side of one RedisOnlineStore: lookups and pings."""

    def __init__(self, store: RedisOnlineStore, open_client: Callable[[], Any],
                 ping: Callable[[Any], Awaitable[Any]] | None = None) -> None:
        self.store = store
        self.open_client = open_client
        self.ping_client = ping or (lambda client: client.ping())
        self._loop: asyncio.AbstractEventLoop | None = None
        self._client: Any = None
        self._read: Any = None

    def _bound(self) -> Any:
        loop = asyncio.get_running_loop()
        if self._loop is not loop:
            self._client = self.open_client()
            self._read = self._client.register_script(redis_scripts.READ)
            self._loop = loop
        return self._client

    async def _call(self, action: Callable[[], Awaitable[_T]]) -> _T:
        try:
            return await action()
        except Exception as error:  # the store's own mapping: which errors mean what
            raise self.store.unavailable(error) from None

    async def read(self, requests: Sequence[tuple[str, Sequence[str]]]) -> list[ViewSnapshot]:
        client = self._bound()
        calls = self.store.read_calls(requests)
        if len(calls) == 1:
            (keys, args), = calls
            replies = await self._call(lambda: self._read(keys=keys, args=args))
        else:
            parts = await self._call(lambda: asyncio.gather(
                *(self._read(keys=keys, args=args) for keys, args in calls)))
            replies = [reply for part in parts for reply in part]
        for view, version in self.store.unknown_versions(requests, replies):
            raw = await self._call(lambda v=view, n=version: client.get(
                self.store.state_key(v, n)))
            self.store.remember_state(view, version, raw)
        return self.store.snapshots(requests, replies)

    async def ping(self) -> None:
        client = self._bound()
        await self._call(lambda: self.ping_client(client))

    async def close(self) -> None:
        if self._client is not None and self._loop is asyncio.get_running_loop():
            await self._client.aclose()
        self._loop = self._client = self._read = None
