"""What a stream transport offers the workers: a shared, durable read position on a
source's log (JetStream durable consumer, Redis Streams consumer group), acks, redelivery
of what a worker took and never acknowledged, dead letters, and lag for ``status``.

Several workers on several machines open the same transport for a source and share its
messages: the log server hands each message to one of them, and hands it again after
``ack_wait`` when no ack came (the worker died or lost its connection). Nothing of ours
coordinates them.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from featureops.exceptions import FeatureopsError
from featureops.streaming.sources import StreamSource

#: What dead letters are published under: the source's subject plus this suffix.
DEAD_LETTER_SUFFIX = ".dead_letters"


class TransportError(FeatureopsError):
    """The log server is unreachable or refused a request (message names it)."""


@dataclass(frozen=True)
class Delivery:
    """One message as a worker received it."""

    data: bytes
    position: str          # stream sequence (NATS) or entry id (Redis): where it is in the log
    delivered: int         # how many times it was handed out (1: the first time)
    published_at: datetime | None
    handle: Any = None     # what ``ack`` needs
    #: ``position`` as an integer that grows along the log (a stream sequence; a Redis
    #: entry id's milliseconds << 22 | its sequence): the order events arrived in.
    log_position: int = 0


@dataclass(frozen=True)
class Lag:
    """A source's log and its consumer group, for ``featureops stream status``."""

    messages: int              # retained in the log
    pending: int               # not yet handed to any worker
    unacked: int               # handed out, not acknowledged yet
    acked_position: int        # messages acknowledged in order so far (a counter)
    last_published_at: datetime | None
    last_acked: bytes | None   # the newest acknowledged message (for its event time)
    dead_letters: int
    consumers: int


class Transport(ABC):
    """One source's log on one server, as seen by one worker (open with ``connect``)."""

    def __init__(self, source: StreamSource, group: str, ack_wait_seconds: float) -> None:
        self.source = source
        self.group = group
        self.ack_wait_seconds = ack_wait_seconds

    @property
    def dead_letter_subject(self) -> str:
        return self.source.subject + DEAD_LETTER_SUFFIX

    @abstractmethod
    def describe(self) -> str:
        """The server and log in words, for messages."""

    @abstractmethod
    async def connect(self) -> None:
        """Connect, and create the log, dead-letter log and consumer group if missing."""

    @abstractmethod
    async def fetch(self, batch: int, timeout: float) -> list[Delivery]:
        """Up to ``batch`` messages for this worker (unacknowledged ones of dead workers
        first); empty after ``timeout`` seconds without any."""

    @abstractmethod
    async def ack(self, deliveries: Sequence[Delivery]) -> None:
        """Acknowledge: the group will not hand these out again. Returns once the server
        has them (a lost ack only means a redelivery, which the state ignores)."""

    @abstractmethod
    async def earliest_unacked(self, own: Sequence[Delivery]) -> int | None:
        """The log position of the earliest message the group has handed out and nobody
        has acknowledged, other than ``own`` (or a lower bound of it where the server
        tells no more); None when there is none."""

    @abstractmethod
    async def dead_letter(self, records: Sequence[bytes]) -> None:
        """Publish dead-letter records, confirmed by the server, before their messages are
        acknowledged."""

    @abstractmethod
    async def publish(self, payloads: Sequence[bytes]) -> None:
        """Publish events (the producer side: ``featureops stream publish``), confirmed."""

    @abstractmethod
    async def lag(self) -> Lag:
        """The group's position in the log."""

    @abstractmethod
    def read_from(self, start: datetime, batch: int) -> AsyncIterator[list[Delivery]]:
        """The retained log from arrival time ``start`` up to its end when called, in
        order, outside the consumer group (replay); nothing is acknowledged."""

    @abstractmethod
    async def dead_letters(self, limit: int) -> list[bytes]:
        """The newest dead-letter records, oldest first."""

    @abstractmethod
    async def delete(self) -> None:
        """Delete the log, its dead letters and the group (decommissioning, tests)."""

    @abstractmethod
    async def close(self) -> None:
        """Disconnect (unacknowledged messages go back to the group after ack_wait)."""
