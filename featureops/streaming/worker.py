"""The stream worker: take a batch from a source's log, validate it, turn it into input-model
rows, apply them to every streaming view the source feeds, then acknowledge.

Order of effects per batch, which is what makes a crash harmless:

1. decode and validate (featureops.streaming.events); transform (…transform);
2. ``state.apply`` per view: atomic and idempotent per event id (featureops.streaming.state);
3. publish the batch's dead letters (invalid events, events the models dropped or fanned
   out, events too late for a view), confirmed by the log server;
4. acknowledge every message of the batch, but for deferred too-late ones (below).

A too-late verdict is final only once no earlier message of the log is still held by
another worker: a dead worker's batch may hold the first publication of an event whose
re-publication, later in the log, is judged first (and is too late at its own place). Such
messages are left unacknowledged: they come back after ``ack_wait``, when the earlier
messages have been applied, and are judged again (a duplicate then). The last delivery
``max_deliveries`` allows is judged for good.

A worker killed anywhere before 4 leaves its messages unacknowledged: the log hands them
to a worker again after ``ack_wait`` and the state counts what it already has as
duplicates. A batch whose apply fails (the store is down) is not acknowledged either, and
comes back. A message delivered ``max_deliveries`` times without being acknowledged is
dead-lettered (reason ``max_deliveries``) instead of blocking its source for ever. The
worker itself keeps nothing but counters.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

import orjson
import pyarrow as pa

from featureops.exceptions import FeatureopsError
from featureops.manifest import Manifest
from featureops.online.base import StoreUnavailableError
from featureops.request_time.executor import LookupSource
from featureops.streaming.events import (
    DROPPED,
    FANNED_OUT,
    TOO_LATE,
    DeadLetter,
    DecodedBatch,
    EventDecoder,
)
from featureops.streaming.sources import StreamSource, stream_sources
from featureops.streaming.state import EVENT_ID_COLUMN, LOG_POSITION_COLUMN, StreamState
from featureops.streaming.transform import EventTransform, build_chain
from featureops.streaming.transports.base import Delivery, Lag, Transport, TransportError
from featureops.streaming.transports.config import StreamingSettings
from featureops.streaming.windows import StreamingView

logger = logging.getLogger(__name__)

MAX_DELIVERIES = "max_deliveries"


class WorkerError(FeatureopsError):
    """The worker cannot start (nothing to consume, an unknown source...)."""


@dataclass
class SourceStats:
    """Counters of one source since the worker started (for the progress display)."""

    received: int = 0
    applied: int = 0
    duplicates: int = 0
    too_late: int = 0
    dead_letters: int = 0
    deferred: int = 0          # too-late messages left for a later judgment (module doc)
    failed_batches: int = 0
    last_event_time: datetime | None = None
    last_error: str = ""


@dataclass
class Pipeline:
    """Everything one source's batches go through, built once per worker."""

    source: StreamSource
    decoder: EventDecoder
    views: tuple[StreamingView, ...]
    transforms: dict[str, EventTransform]           # by input model
    stats: SourceStats = field(default_factory=SourceStats)

    def close(self) -> None:
        for transform in self.transforms.values():
            transform.close()


def build_pipelines(manifest: Manifest, views: Sequence[StreamingView],
                    lookups: LookupSource, settings: StreamingSettings,
                    only: Sequence[str] = ()) -> list[Pipeline]:
    """One pipeline per stream source feeding at least one of ``views`` (or those in
    ``only``); errors name the source or model."""
    sources = stream_sources(manifest)
    by_source: dict[str, list[StreamingView]] = defaultdict(list)
    for view in views:
        if view.source not in sources:
            known = ", ".join(sorted(sources)) or "none"
            raise WorkerError(f"feature view '{view.name}' streams from '{view.source}', "
                              f"which no dbt source declares (meta.featureops.stream; "
                              f"declared: {known})")
        by_source[view.source].append(view)
    unknown = [name for name in only if name not in by_source]
    if unknown:
        raise WorkerError(f"no streaming view reads source(s) {', '.join(unknown)} "
                          f"(sources feeding views: {', '.join(sorted(by_source)) or 'none'})")
    pipelines = []
    for name in sorted(by_source):
        if only and name not in only:
            continue
        source = sources[name]
        decoder = EventDecoder(manifest, source, settings.max_future)
        transforms = {}
        for view in by_source[name]:
            if view.input_model not in transforms:
                chain = build_chain(manifest, source, view.input_model)
                transforms[view.input_model] = EventTransform(chain, lookups, decoder.schema)
        pipelines.append(Pipeline(source, decoder, tuple(by_source[name]), transforms))
    if not pipelines:
        raise WorkerError("no feature view is marked for streaming (meta.featureops.streaming)")
    return pipelines


@dataclass
class BatchOutcome:
    """What one batch did, before its dead letters are published and it is acked."""

    applied: int = 0
    duplicates: int = 0
    dead: list[tuple[int, DeadLetter]] = field(default_factory=list)
    last_event_time: datetime | None = None
    #: The message index of each too-late verdict (one per event and view).
    late_messages: list[int] = field(default_factory=list)

    @property
    def too_late(self) -> int:
        return len(self.late_messages)

    def defer(self, indices: set[int]) -> None:
        """Take the messages at ``indices`` out of this batch's results: they are neither
        dead-lettered nor acknowledged, and are judged again when they come back."""
        self.late_messages = [i for i in self.late_messages if i not in indices]
        self.dead = [(index, letter) for index, letter in self.dead if index not in indices]


def process_batch(pipeline: Pipeline, state: StreamState, deliveries: Sequence[Delivery],
                  max_deliveries: int = 0) -> BatchOutcome:
    """Steps 1-2 for one batch (blocking: DuckDB and the store). Raises when the state
    cannot be applied; nothing is then acknowledged."""
    outcome = BatchOutcome()
    payloads = []
    indices = []  # message index of each payload decoded
    for index, delivery in enumerate(deliveries):
        if max_deliveries and delivery.delivered > max_deliveries:
            outcome.dead.append((index, DeadLetter(
                MAX_DELIVERIES, f"delivered {delivery.delivered} times without being "
                "acknowledged (a worker failed on it each time; see the worker's log)",
                delivery.data)))
            continue
        payloads.append(delivery.data)
        indices.append(index)
    decoded = pipeline.decoder.decode(payloads)
    outcome.dead.extend((indices[i], letter) for i, letter in decoded.dead.items())
    outcome.duplicates += decoded.duplicates
    if not decoded.event_ids:
        return outcome
    first_message = _first_message(decoded, indices)
    for model, transform in pipeline.transforms.items():
        result = transform.rows(decoded.rows, decoded.event_ids)
        for reason, ids in ((DROPPED, result.dropped), (FANNED_OUT, result.fanned_out)):
            what = "gave no row" if reason == DROPPED else "gave several rows"
            for event_id in ids:
                index = first_message[event_id]
                outcome.dead.append((index, DeadLetter(
                    reason, f"model '{model}' {what} for this event (its filters or joins); "
                    "the views reading it do not count it", deliveries[index].data,
                    event_id=event_id)))
        # each row's place in the log (its first message's): the state judges lateness
        # in that order, whichever worker applies it when
        positions = [deliveries[first_message[i]].log_position
                     for i in result.rows.column(EVENT_ID_COLUMN).to_pylist()]
        rows = result.rows.append_column(LOG_POSITION_COLUMN, pa.array(positions, pa.int64()))
        for view in (v for v in pipeline.views if v.input_model == model):
            applied = state.apply(view, rows)
            outcome.applied += applied.applied
            outcome.duplicates += applied.duplicates
            for event_id in applied.too_late_ids:
                index = first_message[event_id]
                outcome.late_messages.append(index)
                outcome.dead.append((index, DeadLetter(
                    TOO_LATE, f"older than view '{view.name}' accepts (more than the "
                    f"allowed lateness, {view.allowed_lateness_micros // 1_000_000}s, "
                    "behind an event before it in the log, or older than the state keeps)",
                    deliveries[index].data, event_id=event_id)))
    times = decoded.rows.column(pipeline.source.event_time)
    if len(times):
        newest = max((t for t in times.to_pylist() if t is not None), default=None)
        outcome.last_event_time = newest
    return outcome


def _first_message(decoded: DecodedBatch, indices: list[int]) -> dict[str, int]:
    found: dict[str, int] = {}
    for payload_index, row in sorted(decoded.row_of.items()):
        found.setdefault(decoded.event_ids[row], indices[payload_index])
    return found


class Worker:
    """Consumes every pipeline's source until stopped; one asyncio task per source."""

    def __init__(self, pipelines: Sequence[Pipeline], transports: Sequence[Transport],
                 state: StreamState, settings: StreamingSettings) -> None:
        self.pipelines = list(pipelines)
        self.transports = list(transports)
        self.state = state
        self.settings = settings
        self.stop = asyncio.Event()
        self.started = time.monotonic()

    async def run(self, until_idle: bool = False) -> None:
        """Consume until ``stop`` is set (the current batches finish and are acked first),
        or, with ``until_idle``, until no source has messages left for the group."""
        await asyncio.gather(*(self._consume(p, t, until_idle)
                               for p, t in zip(self.pipelines, self.transports, strict=True)))

    async def _consume(self, pipeline: Pipeline, transport: Transport,
                       until_idle: bool) -> None:
        wait = self.settings.max_wait_ms / 1000
        backoff = 0.5
        while not self.stop.is_set():
            try:
                deliveries = await transport.fetch(self.settings.batch_size, wait)
                if not deliveries:
                    if until_idle and _idle(await transport.lag()):
                        return
                    continue
                pipeline.stats.received += len(deliveries)
                outcome = await asyncio.to_thread(process_batch, pipeline, self.state,
                                                  deliveries, self.settings.max_deliveries)
                await self._finish(pipeline, transport, deliveries, outcome)
            except (StoreUnavailableError, TransportError) as error:
                # nothing acknowledged: the log hands the batch out again after ack_wait
                pipeline.stats.failed_batches += 1
                pipeline.stats.last_error = str(error)
                logger.warning("source '%s': %s; retrying in %.1f s", pipeline.source.name,
                               error, backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 10)
                continue
            backoff = 0.5

    async def _finish(self, pipeline: Pipeline, transport: Transport,
                      deliveries: Sequence[Delivery], outcome: BatchOutcome) -> None:
        deferred = await self._deferred(transport, deliveries, outcome)
        outcome.defer(deferred)
        if outcome.dead:
            await transport.dead_letter([
                letter.to_json(pipeline.source.name, deliveries[index].position)
                for index, letter in outcome.dead])
        await transport.ack([d for i, d in enumerate(deliveries) if i not in deferred])
        stats = pipeline.stats
        stats.deferred += len(deferred)
        stats.applied += outcome.applied
        stats.duplicates += outcome.duplicates
        stats.too_late += outcome.too_late
        stats.dead_letters += len(outcome.dead)
        if outcome.last_event_time is not None and (
                stats.last_event_time is None or outcome.last_event_time > stats.last_event_time):
            stats.last_event_time = outcome.last_event_time

    async def _deferred(self, transport: Transport, deliveries: Sequence[Delivery],
                        outcome: BatchOutcome) -> set[int]:
        """The too-late messages whose verdict must wait (the module's docstring): an
        earlier message of the log is held unacknowledged by another worker."""
        limit = self.settings.max_deliveries
        candidates = {index for index in outcome.late_messages
                      if not limit or deliveries[index].delivered < limit}
        if not candidates:
            return set()
        earliest = await transport.earliest_unacked(deliveries)
        if earliest is None:
            return set()
        return {index for index in candidates if deliveries[index].log_position > earliest}


def _idle(lag: Lag) -> bool:
    """Nothing left for the group: none undelivered, none held unacknowledged (a dead
    worker's messages come back after ack_wait, so they are still to do)."""
    return lag.pending == 0 and lag.unacked == 0


def dead_letter_reasons(records: Sequence[bytes]) -> dict[str, int]:
    """How many dead letters each reason has, for ``status``."""
    counts: dict[str, int] = defaultdict(int)
    for record in records:
        try:
            counts[orjson.loads(record).get("reason", "?")] += 1
        except (orjson.JSONDecodeError, AttributeError):
            counts["?"] += 1
    return dict(counts)
