"""Raw event messages -> validated rows of a stream source, and dead letters for the rest.

A message is one JSON object with the dbt source's column names. It is checked against
the source table's contract (featureops.contracts.rules.source_rules: each column's
``data_type`` and its error-severity ``not_null`` / ``accepted_values`` /
``accepted_range`` tests; the event id, event time and entity keys required) by the same
validator ``featureops push`` uses, strictly: a field the table does not have is refused
too. A message that fails becomes a dead letter carrying the reason, the problems and the
original bytes, so nothing is dropped silently and a fixed producer's events can be
published again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

import orjson
import pyarrow as pa

from featureops.contracts.rules import source_rules
from featureops.contracts.validation import STRICT, Problem, RecordValidator
from featureops.manifest import Manifest
from featureops.streaming.sources import StreamSource

#: Dead-letter reasons.
INVALID_JSON, INVALID, DROPPED, FANNED_OUT, TOO_LATE = (
    "invalid_json", "invalid_event", "dropped_by_model", "fanned_out", "too_late")
#: How far ahead of the worker's clock an event time may be (clock skew between hosts);
#: later is refused: it would read as fresh until the clock caught up with it.
DEFAULT_MAX_FUTURE = timedelta(minutes=5)


@dataclass(frozen=True)
class DeadLetter:
    """Why one message was not counted, with the message itself."""

    reason: str
    message: str
    payload: bytes
    problems: tuple[Problem, ...] = ()
    event_id: str | None = None

    def to_json(self, source: str, position: str) -> bytes:
        """The dead-letter record published to the source's dead-letter subject/stream."""
        try:
            event: Any = orjson.loads(self.payload)
        except orjson.JSONDecodeError:
            event = None
        return orjson.dumps({
            "source": source, "position": position, "reason": self.reason,
            "message": self.message, "event_id": self.event_id,
            "problems": [p.to_dict() for p in self.problems],
            "event": event, "raw": None if event is not None else
            self.payload.decode("utf-8", errors="replace"),
            "dead_lettered_at": datetime.now(timezone.utc).isoformat(timespec="milliseconds"),
        })


@dataclass
class DecodedBatch:
    """The valid events of a batch as Arrow rows, and what became of each message."""

    rows: pa.Table
    event_ids: list[str]
    #: message index -> the row index of its event; a redelivered copy within the batch
    #: maps to its first copy's row.
    row_of: dict[int, int] = field(default_factory=dict)
    dead: dict[int, DeadLetter] = field(default_factory=dict)
    duplicates: int = 0   # copies of an event already in the batch


class EventDecoder:
    """Validates a stream source's messages; compiled once per source."""

    def __init__(self, manifest: Manifest, source: StreamSource,
                 max_future: timedelta = DEFAULT_MAX_FUTURE) -> None:
        self.source = source
        self.max_future = max_future
        self.validator = RecordValidator(source_rules(manifest, source.table, source.required),
                                         STRICT)
        self.validator.event_time = source.event_time
        self.schema = self.validator.arrow_schema

    def decode(self, payloads: Sequence[bytes], now: datetime | None = None) -> DecodedBatch:
        latest = (now or datetime.now(timezone.utc)) + self.max_future
        accepted: list[dict[str, Any]] = []
        batch = DecodedBatch(self.schema.empty_table(), [])
        first: dict[str, int] = {}
        for index, payload in enumerate(payloads):
            try:
                record = orjson.loads(payload)
            except orjson.JSONDecodeError as error:
                batch.dead[index] = DeadLetter(INVALID_JSON, f"not JSON: {error}", payload)
                continue
            outcome = self.validator.validate(record, latest)
            event_id = _event_id(record, self.source.event_id)
            if outcome.row is None:
                shown = "; ".join(f"{p.field or 'event'}: {p.message}" for p in outcome.errors)
                batch.dead[index] = DeadLetter(INVALID, shown, payload, outcome.errors,
                                               event_id)
                continue
            event_id = str(outcome.row[self.source.event_id])  # as the models will carry it
            if event_id in first:
                batch.row_of[index] = first[event_id]
                batch.duplicates += 1
                continue
            first[event_id] = batch.row_of[index] = len(accepted)
            accepted.append(outcome.row)
            batch.event_ids.append(event_id)
        batch.rows = self.validator.to_arrow(accepted)
        return batch


def _event_id(record: Any, column: str) -> str | None:
    value = record.get(column) if isinstance(record, dict) else None
    return None if value is None or isinstance(value, (dict, list)) else str(value)


def encode_event(row: dict[str, Any]) -> bytes:
    """One event as producers publish it: JSON with ISO-8601 timestamps (naive is UTC)."""
    return orjson.dumps(row, option=orjson.OPT_NAIVE_UTC | orjson.OPT_SERIALIZE_NUMPY)
