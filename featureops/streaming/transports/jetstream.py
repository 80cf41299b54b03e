"""NATS JetStream as a stream source's log (nats-py).

Per source: a file-backed stream ``FEATUREOPS_<SUBJECT>`` holding its subject (limits
retention: the log is kept for replay, trimmed only by the server's limits), a stream
``FEATUREOPS_<SUBJECT>_DEAD_LETTERS`` for ``<subject>.dead_letters``, and a durable pull
consumer (the group) with explicit acks: every worker pulling from it gets different
messages, one not acked within ``ack_wait`` is delivered again, and a restarted worker
continues from the consumer's position, which the server keeps. The client reconnects
by itself when the server restarts (``max_reconnect_attempts=-1``); a fetch meanwhile
returns nothing.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import AsyncIterator, Sequence
from datetime import datetime, timezone

from featureops.engines.base import first_line
from featureops.streaming.sources import StreamSource
from featureops.streaming.transports.base import Delivery, Lag, Transport, TransportError

logger = logging.getLogger(__name__)

DEFAULT_URL = "nats://127.0.0.1:4222"
#: Publishes (and acks) in flight at once.
_WINDOW = 256


class JetStreamTransport(Transport):
    def __init__(self, source: StreamSource, group: str, ack_wait_seconds: float,
                 url_env: str = "FEATUREOPS_NATS_URL", url: str | None = None) -> None:
        super().__init__(source, group, ack_wait_seconds)
        self.url = url or os.environ.get(url_env) or DEFAULT_URL
        # named after the subject, so a prefixed subject gets a stream of its own
        self.stream = "FEATUREOPS_" + source.subject.replace(".", "_").replace("-", "_").upper()
        self.dead_stream = f"{self.stream}_DEAD_LETTERS"
        self.durable = f"{group}_{source.name}"
        self._nc = None
        self._js = None
        self._sub = None

    def describe(self) -> str:
        return f"NATS JetStream {self.url} stream {self.stream}"

    async def connect(self) -> None:
        import nats
        from nats.errors import Error as NatsError

        async def on_error(error: Exception) -> None:
            logger.warning("%s: %s", self.describe(), first_line(error))

        try:
            self._nc = await nats.connect(
                self.url, name=f"featureops-{self.source.name}", connect_timeout=3,
                allow_reconnect=True, max_reconnect_attempts=-1, reconnect_time_wait=0.5,
                error_cb=on_error)
        except (OSError, NatsError, asyncio.TimeoutError) as error:
            raise TransportError(f"{self.describe()}: cannot connect: "
                                 f"{first_line(error) or type(error).__name__}") from None
        self._js = self._nc.jetstream()
        await self._ensure_stream(self.stream, self.source.subject)
        await self._ensure_stream(self.dead_stream, self.dead_letter_subject)

    async def _ensure_stream(self, name: str, subject: str) -> None:
        from nats.js.api import RetentionPolicy, StorageType, StreamConfig
        from nats.js.errors import NotFoundError

        try:
            info = await self._js.stream_info(name)
        except NotFoundError:
            await self._js.add_stream(StreamConfig(
                name=name, subjects=[subject], retention=RetentionPolicy.LIMITS,
                storage=StorageType.FILE))
            return
        if subject not in (info.config.subjects or []):
            raise TransportError(f"{self.describe()}: stream {name} exists without subject "
                                 f"'{subject}' (it has {info.config.subjects})")

    async def _subscription(self):
        if self._sub is None:
            from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy

            self._sub = await self._js.pull_subscribe(
                self.source.subject, durable=self.durable, stream=self.stream,
                config=ConsumerConfig(ack_policy=AckPolicy.EXPLICIT,
                                      deliver_policy=DeliverPolicy.ALL,
                                      ack_wait=self.ack_wait_seconds,
                                      max_ack_pending=100_000))
        return self._sub

    async def fetch(self, batch: int, timeout: float) -> list[Delivery]:
        from nats.errors import Error as NatsError

        try:
            sub = await self._subscription()
            messages = await sub.fetch(batch, timeout=timeout)
        except (asyncio.TimeoutError, NatsError) as error:
            if not isinstance(error, asyncio.TimeoutError) and \
                    type(error).__name__ != "TimeoutError":
                logger.info("%s: fetch failed (%s); retrying", self.describe(),
                            first_line(error) or type(error).__name__)
                await asyncio.sleep(min(timeout, 0.5))
            return []
        return [Delivery(data=m.data, position=str(m.metadata.sequence.stream),
                         delivered=m.metadata.num_delivered,
                         published_at=_utc(m.metadata.timestamp), handle=m,
                         log_position=m.metadata.sequence.stream)
                for m in messages]

    async def ack(self, deliveries: Sequence[Delivery]) -> None:
        from nats.errors import Error as NatsError

        try:
            for start in range(0, len(deliveries), _WINDOW):
                await asyncio.gather(*(d.handle.ack_sync() for d in
                                       deliveries[start:start + _WINDOW]))
        except (asyncio.TimeoutError, NatsError) as error:
            # the unacknowledged rest is delivered again; the state counts it once
            raise TransportError(f"{self.describe()}: ack failed: "
                                 f"{first_line(error) or type(error).__name__}") from None

    async def earliest_unacked(self, own: Sequence[Delivery]) -> int | None:
        from nats.errors import Error as NatsError

        try:
            consumer = await self._js.consumer_info(self.stream, self.durable)
        except (asyncio.TimeoutError, NatsError) as error:
            raise TransportError(f"{self.describe()}: cannot read the consumer's state: "
                                 f"{first_line(error) or type(error).__name__}") from None
        # JetStream tells how many are held and the ack floor, not which: when others hold
        # some, the earliest can be right after the floor
        if consumer.num_ack_pending <= len(own):
            return None
        return (consumer.ack_floor.stream_seq if consumer.ack_floor else 0) + 1

    async def _publish(self, subject: str, payloads: Sequence[bytes]) -> None:
        from nats.errors import Error as NatsError

        try:
            for start in range(0, len(payloads), _WINDOW):
                await asyncio.gather(*(self._js.publish(subject, p, stream=None)
                                       for p in payloads[start:start + _WINDOW]))
        except (asyncio.TimeoutError, NatsError) as error:
            raise TransportError(f"{self.describe()}: publish to '{subject}' failed: "
                                 f"{first_line(error) or type(error).__name__}") from None

    async def dead_letter(self, records: Sequence[bytes]) -> None:
        await self._publish(self.dead_letter_subject, records)

    async def publish(self, payloads: Sequence[bytes]) -> None:
        await self._publish(self.source.subject, payloads)

    async def lag(self) -> Lag:
        from nats.errors import Error as NatsError
        from nats.js.errors import NotFoundError

        try:
            stream = await self._js.stream_info(self.stream)
            dead = await self._js.stream_info(self.dead_stream)
            try:
                consumer = await self._js.consumer_info(self.stream, self.durable)
            except NotFoundError:
                consumer = None
        except (asyncio.TimeoutError, NatsError) as error:
            raise TransportError(f"{self.describe()}: cannot read the stream's state: "
                                 f"{first_line(error) or type(error).__name__}") from None
        acked = consumer.ack_floor.stream_seq if consumer and consumer.ack_floor else 0
        newest = await self._message(stream.state.last_seq)
        last_acked = await self._message(acked)
        return Lag(
            messages=stream.state.messages,
            pending=consumer.num_pending if consumer else stream.state.messages,
            unacked=consumer.num_ack_pending if consumer else 0,
            acked_position=acked,
            last_published_at=_parse_time(newest.time) if newest else None,
            last_acked=last_acked.data if last_acked else None,
            dead_letters=dead.state.messages,
            consumers=consumer.num_waiting if consumer else 0)

    async def _message(self, seq: int):
        from nats.js.errors import NotFoundError

        if not seq:
            return None
        try:
            return await self._js.get_msg(self.stream, seq)
        except NotFoundError:
            return None

    async def read_from(self, start: datetime, batch: int) -> AsyncIterator[list[Delivery]]:
        from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy

        end = (await self._js.stream_info(self.stream)).state.last_seq
        if not end:
            return
        sub = await self._js.pull_subscribe(
            self.source.subject, stream=self.stream,
            config=ConsumerConfig(deliver_policy=DeliverPolicy.BY_START_TIME,
                                  opt_start_time=start.astimezone(timezone.utc).isoformat(),
                                  ack_policy=AckPolicy.NONE, inactive_threshold=60))
        try:
            while True:
                try:
                    messages = await sub.fetch(batch, timeout=2)
                except asyncio.TimeoutError:
                    return  # nothing after start (or the rest was removed meanwhile)
                yield [Delivery(m.data, str(m.metadata.sequence.stream),
                                m.metadata.num_delivered, _utc(m.metadata.timestamp),
                                log_position=m.metadata.sequence.stream)
                       for m in messages if m.metadata.sequence.stream <= end]
                if messages[-1].metadata.sequence.stream >= end:
                    return
        finally:
            await sub.unsubscribe()

    async def dead_letters(self, limit: int) -> list[bytes]:
        from nats.js.errors import NotFoundError

        state = (await self._js.stream_info(self.dead_stream)).state
        found = []
        for seq in range(max(state.first_seq, state.last_seq - limit + 1), state.last_seq + 1):
            try:
                found.append((await self._js.get_msg(self.dead_stream, seq)).data)
            except NotFoundError:
                continue
        return found

    async def delete(self) -> None:
        from nats.js.errors import NotFoundError

        for stream in (self.stream, self.dead_stream):
            try:
                await self._js.delete_stream(stream)
            except NotFoundError:
                continue

    async def close(self) -> None:
        # Acks and publishes were confirmed one by one, so nothing is left to drain (a
        # drain waits out a pull request still open on the server: up to 30 s).
        if self._nc is not None:
            await self._nc.close()
            self._nc, self._sub = None, None


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def _parse_time(value: object) -> datetime | None:
    if isinstance(value, datetime):
        return _utc(value)
    if isinstance(value, str) and value and not value.startswith("0001"):
        try:
            return _utc(datetime.fromisoformat(value.replace("Z", "+00:00")[:32]))
        except ValueError:
            return None
    return None
