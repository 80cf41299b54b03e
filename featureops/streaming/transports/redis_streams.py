"""Redis Streams as a stream source's log (redis-py's asyncio client).

Per source: the stream at key ``<subject>`` (producers ``XADD <subject> * data <json>``),
the stream ``<subject>.dead_letters``, and the consumer group (``XGROUP CREATE ... 0
MKSTREAM``: a new group reads the retained log from its start). Each worker is a consumer
of its own name; ``XREADGROUP >`` hands it messages no one has had, and before reading new
ones it takes over, with ``XAUTOCLAIM``, messages another consumer has held unacknowledged
for ``ack_wait`` (that worker died, or hangs). Acknowledged entries stay in the stream for
replay; trimming it is the operator's choice (``XTRIM``), as with any Redis stream.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import AsyncIterator, Sequence
from datetime import datetime, timezone
from typing import Any

from featureops._optional import require
from featureops.engines.base import first_line
from featureops.streaming.sources import StreamSource
from featureops.streaming.transports.base import Delivery, Lag, Transport, TransportError

DEFAULT_URL = "redis://127.0.0.1:6379/0"
_FIELD = b"data"
_CHUNK = 1000
#: Consumers idle longer than this are not counted as live workers by ``lag``.
_LIVE_SECONDS = 60


class RedisStreamsTransport(Transport):
    def __init__(self, source: StreamSource, group: str, ack_wait_seconds: float,
                 url_env: str = "FEATUREOPS_STREAM_REDIS_URL", url: str | None = None) -> None:
        super().__init__(source, group, ack_wait_seconds)
        self.url = url or os.environ.get(url_env) or os.environ.get("FEATUREOPS_REDIS_URL") \
            or DEFAULT_URL
        self.key = source.subject
        self.dead_key = self.dead_letter_subject
        self.group_name = f"{group}_{source.name}"
        self.consumer = f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
        self._redis: Any = None

    def describe(self) -> str:
        return f"Redis {_public(self.url)} stream '{self.key}'"

    async def connect(self) -> None:
        redis = require("redis.asyncio", extra="redis")
        RedisError, ResponseError = _errors()  # noqa: N806 - exception classes

        # named after the consumer, so CLIENT LIST tells which worker holds a connection
        self._redis = redis.Redis.from_url(self.url, socket_connect_timeout=3,
                                           health_check_interval=10,
                                           client_name=f"featureops-{self.consumer}")
        try:
            await self._redis.ping()
            try:
                await self._redis.xgroup_create(self.key, self.group_name, id="0",
                                                mkstream=True)
            except ResponseError as error:
                if "BUSYGROUP" not in str(error):
                    raise
        except RedisError as error:
            raise TransportError(f"{self.describe()}: {first_line(error)}") from None

    async def fetch(self, batch: int, timeout: float) -> list[Delivery]:
        RedisError = _errors()[0]  # noqa: N806

        try:
            claimed = await self._claim(batch)
            if claimed:
                return claimed
            reply = await self._redis.xreadgroup(self.group_name, self.consumer,
                                                 {self.key: ">"}, count=batch,
                                                 block=max(1, int(timeout * 1000)))
        except RedisError as error:
            raise TransportError(f"{self.describe()}: {first_line(error)}") from None
        entries = reply[0][1] if reply else []
        return [_delivery(entry_id, fields, 1) for entry_id, fields in entries]

    async def _claim(self, batch: int) -> list[Delivery]:
        """Messages other consumers held unacknowledged for ack_wait, now this one's."""
        reply = await self._redis.xautoclaim(self.key, self.group_name, self.consumer,
                                             min_idle_time=int(self.ack_wait_seconds * 1000),
                                             start_id="0-0", count=batch)
        entries = [(i, f) for i, f in reply[1] if f]  # trimmed entries come back empty
        if not entries:
            return []
        pending = await self._redis.xpending_range(
            self.key, self.group_name, min=entries[0][0], max=entries[-1][0],
            count=len(entries) * 2, consumername=self.consumer)
        times = {p["message_id"]: p["times_delivered"] for p in pending}
        return [_delivery(i, f, times.get(i, 2)) for i, f in entries]

    async def ack(self, deliveries: Sequence[Delivery]) -> None:
        RedisError = _errors()[0]  # noqa: N806

        if not deliveries:
            return
        try:
            await self._redis.xack(self.key, self.group_name, *(d.handle for d in deliveries))
        except RedisError as error:
            raise TransportError(f"{self.describe()}: ack failed: {first_line(error)}") from None

    async def earliest_unacked(self, own: Sequence[Delivery]) -> int | None:
        RedisError = _errors()[0]  # noqa: N806

        mine = {_text(d.handle) for d in own}
        try:  # the group's pending entries in log order: the first not ours, if any
            entries = await self._redis.xpending_range(
                self.key, self.group_name, min="-", max="+", count=len(mine) + 1)
        except RedisError as error:
            raise TransportError(f"{self.describe()}: XPENDING failed: "
                                 f"{first_line(error)}") from None
        return next((log_position(e["message_id"]) for e in entries
                     if _text(e["message_id"]) not in mine), None)

    async def _add(self, key: str, payloads: Sequence[bytes]) -> None:
        RedisError = _errors()[0]  # noqa: N806

        try:
            for start in range(0, len(payloads), _CHUNK):
                pipe = self._redis.pipeline(transaction=False)
                for payload in payloads[start:start + _CHUNK]:
                    pipe.xadd(key, {_FIELD: payload})
                await pipe.execute()
        except RedisError as error:
            raise TransportError(f"{self.describe()}: XADD to '{key}' failed: "
                                 f"{first_line(error)}") from None

    async def dead_letter(self, records: Sequence[bytes]) -> None:
        await self._add(self.dead_key, records)

    async def publish(self, payloads: Sequence[bytes]) -> None:
        await self._add(self.key, payloads)

    async def lag(self) -> Lag:
        RedisError = _errors()[0]  # noqa: N806
        try:
            return await self._lag()
        except RedisError as error:
            raise TransportError(f"{self.describe()}: {first_line(error)}") from None

    async def _lag(self) -> Lag:
        info = await self._redis.xinfo_stream(self.key)
        groups = {_text(g["name"]): g for g in await self._redis.xinfo_groups(self.key)}
        group = groups.get(self.group_name, {})
        length = info["length"]
        read = group.get("entries-read") or 0
        pending = group.get("lag")
        pending = max(0, length - read) if pending is None else pending
        unacked = group.get("pending", 0)
        last_acked = None
        if group:
            summary = await self._redis.xpending(self.key, self.group_name)
            upto = summary.get("min") if unacked else group.get("last-delivered-id")
            if upto:
                entries = await self._redis.xrevrange(self.key, max=_text(upto), count=2)
                entries = [e for e in entries if not unacked or e[0] != upto]
                last_acked = entries[0][1].get(_FIELD) if entries else None
        consumers = await self._redis.xinfo_consumers(self.key, self.group_name) \
            if group else []
        newest = info.get("last-generated-id")
        return Lag(messages=length, pending=pending, unacked=unacked,
                   acked_position=max(0, read - unacked),
                   last_published_at=_entry_time(newest) if length else None,
                   last_acked=last_acked, dead_letters=await self._redis.xlen(self.dead_key),
                   consumers=sum(1 for c in consumers
                                 if c.get("idle", 0) < _LIVE_SECONDS * 1000))

    async def read_from(self, start: datetime, batch: int) -> AsyncIterator[list[Delivery]]:
        newest = await self._redis.xrevrange(self.key, count=1)
        if not newest:
            return
        end = newest[0][0]
        cursor = f"{int(start.timestamp() * 1000)}-0"
        while True:
            entries = await self._redis.xrange(self.key, min=cursor, max=end, count=batch)
            if not entries:
                return
            yield [_delivery(i, f, 1) for i, f in entries]
            cursor = "(" + _text(entries[-1][0])

    async def dead_letters(self, limit: int) -> list[bytes]:
        entries = await self._redis.xrevrange(self.dead_key, count=limit)
        return [fields.get(_FIELD, b"") for _, fields in reversed(entries)]

    async def delete(self) -> None:
        await self._redis.delete(self.key, self.dead_key)

    async def close(self) -> None:
        if self._redis is not None:
            await self._redis.aclose()
            self._redis = None


def _errors() -> tuple[type[Exception], type[Exception]]:
    exceptions = require("redis.exceptions", extra="redis")
    return exceptions.RedisError, exceptions.ResponseError


def _delivery(entry_id: Any, fields: dict, delivered: int) -> Delivery:
    return Delivery(data=fields.get(_FIELD, b""), position=_text(entry_id),
                    delivered=delivered, published_at=_entry_time(entry_id), handle=entry_id,
                    log_position=log_position(entry_id))


def log_position(entry_id: Any) -> int:
    """An entry id ``<ms>-<seq>`` as one increasing integer (a sequence within one
    millisecond stays below 2^22, four million entries)."""
    millis, _, seq = _text(entry_id).partition("-")
    return int(millis) << 22 | min(int(seq or 0), (1 << 22) - 1)


def _entry_time(entry_id: Any) -> datetime | None:
    """An entry id's first part is the milliseconds since the epoch when it was added."""
    if not entry_id:
        return None
    millis = int(_text(entry_id).split("-")[0])
    return datetime.fromtimestamp(millis / 1000, tz=timezone.utc)


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _public(url: str) -> str:
    """The URL without a password (for messages)."""
    if "@" not in url:
        return url
    scheme, _, rest = url.partition("://")
    return f"{scheme}://***@{rest.rpartition('@')[2]}"
