"""The streaming views' aggregate state in the online store: the interface the workers
apply event rows through, and how the project's store is opened for it.

A worker hands each batch of input-model rows (one row per event, with the event's id in
``__event_id``) to ``StreamState.apply``. The call is atomic (all of the batch's effects
or none) and idempotent per event id (a redelivered event changes nothing and is counted
as a duplicate), so a worker acknowledges a batch only after ``apply`` returned and keeps
nothing a crash could lose. The state design (what is stored, how it merges with the batch
layer) is docs/decisions/0060-streaming-window-state.md.

Lateness is judged in log order, not in the order batches are applied (several workers
apply batches in any order, a dead worker's batch comes back after newer ones): an event
at log position ``p`` with time ``t`` is too late when an applied event *earlier in the
log* is newer than ``t + allowed_lateness``. Each state version keeps the *log frontier*
for it: the applied events that are newer than every applied event before them in the
log (so the newest event before ``p`` is one ordered lookup). Events older than the
*floor* (the watermark at the batch's start minus the lateness and the longest window)
are too late as well: events below it are pruned, and a pruned id can no longer be told
from a new one. Rows without a log position (direct calls, tests) are judged against the
watermark at the batch's start minus the lateness.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import pyarrow as pa
import pyarrow.compute as pc

from featureops.exceptions import FeatureopsError
from featureops.online.encoding import encode_key_columns
from featureops.streaming.merge import EntityEvents

if TYPE_CHECKING:  # windows.py loads sqlglot: only the parsing needs it
    from featureops.streaming.windows import StreamingView

#: The column of an event row that holds its event id (unique per event of a source).
EVENT_ID_COLUMN = "__event_id"
#: The column of an event row that holds its place in the log (an integer growing along
#: the log: a NATS stream sequence, a Redis entry id); lateness is judged in that order.
LOG_POSITION_COLUMN = "__log_position"


class StreamStateError(FeatureopsError):
    """Rows that cannot be applied to a view's state (message names the view and column)."""


@dataclass(frozen=True)
class ApplyResult:
    """What one ``apply`` call did with its rows."""

    applied: int        # events counted for the first time
    duplicates: int     # events whose id was already applied (redeliveries): no effect
    too_late: int       # events too late (the module's docstring): not counted
    #: Ids of the too-late events, for the worker to report (dead letters, status).
    too_late_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class StreamRead:
    """The events of some entities a read found, for merge.merged_values."""

    boundary_micros: int | None          # the online version's edge boundary; None: no edge
    edge: dict[str, EntityEvents]        # canonical key -> the batch edge's events
    stream: dict[str, EntityEvents]      # canonical key -> the stream's events
    watermark_micros: int | None         # newest event time applied (None: none yet)


class StreamState(Protocol):
    """Aggregate state of streaming views in one online store."""

    def apply(self, view: StreamingView, rows: pa.Table) -> ApplyResult:
        """Count ``rows`` (the input model's columns, at least ``view.input_columns``, plus
        ``__event_id``) into the view's windows, atomically; idempotent per event id.
        Applied to the live state version and to one a replay is building."""
        ...

    def apply_replayed(self, view: StreamingView, version: str, rows: pa.Table
                       ) -> ApplyResult:
        """``apply`` into the replay version ``version`` only (events read from the log)."""
        ...

    def read(self, view: StreamingView, online_version: str | None, keys: list[str],
             since_micros: int, until_micros: int) -> StreamRead:
        """Events of ``keys`` (canonical) with time in ``[since, until)``: the batch edge of
        ``online_version`` and the live stream version's."""
        ...

    def write_edge(self, view: StreamingView, online_version: str, boundary_micros: int,
                   rows: pa.Table) -> int:
        """Store the batch edge of an online version (input-model rows below the boundary,
        no event ids), replacing any; return the rows kept. Called before the version's
        pointer flips."""
        ...

    def drop_edges(self, view: StreamingView, keep: Sequence[str]) -> list[str]:
        """Delete the edges of online versions not in ``keep``; return their versions."""
        ...

    def begin_replay(self, view: StreamingView) -> str:
        """Start a new, empty state version that apply also feeds; return its id."""
        ...

    def publish_replay(self, view: StreamingView, version: str) -> None:
        """Make a replayed version live in one atomic step (the old one is dropped)."""
        ...

    def abort_replay(self, view: StreamingView, version: str) -> None:
        """Drop a replay version that will not be published."""
        ...

    def close(self) -> None:
        """Release connections."""
        ...


def check_rows(view: StreamingView, rows: pa.Table, with_ids: bool = True) -> None:
    """Raise StreamStateError when ``rows`` lacks a column the view's state needs."""
    needed = (*view.input_columns, EVENT_ID_COLUMN) if with_ids else view.input_columns
    missing = [name for name in needed if name not in rows.column_names]
    if missing:
        raise StreamStateError(
            f"streaming view '{view.name}': event rows lack column(s) {', '.join(missing)} "
            f"(the columns of model '{view.input_model}' plus {EVENT_ID_COLUMN})")


def lateness_floor(view: StreamingView, watermark: int | None) -> int | None:
    """Events older than this are too late whatever their log position (they may have been
    pruned); None before any event was applied."""
    if watermark is None:
        return None
    return watermark - view.allowed_lateness_micros - view.widths_micros[0]


@dataclass(frozen=True)
class EventRows:
    """A batch of event rows reduced to what the state stores: canonical entity keys (the
    online store's), event times in microseconds, ids and the aggregated columns' values
    (Python ints/floats, None for null), in batch order."""

    keys: list[str]
    micros: list[int]
    ids: list[str]
    values: dict[str, list[int | float | None]]
    #: Each row's place in the log (``__log_position``); None where the rows carry none.
    positions: list[int | None] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.keys)

    def log_order(self) -> list[int]:
        """Row indices in log order (rows without a position last, in batch order): the
        order ``apply`` judges them in, so a row is judged after the log-earlier rows of
        its own batch."""
        return sorted(range(len(self)), key=lambda i: (
            self.positions[i] is None, self.positions[i] or 0, i))

    def row_values(self, index: int) -> list[int | float | None]:
        """The aggregated columns' values of one row, in ``values`` order."""
        return [column[index] for column in self.values.values()]


def event_rows(view: StreamingView, rows: pa.Table, with_ids: bool = True) -> EventRows:
    """Check and reduce ``rows`` for ``view``; one-line StreamStateError on bad rows.
    Batch-edge rows come without ids (``with_ids=False``; ``ids`` is then empty)."""
    check_rows(view, rows, with_ids)
    where = f"streaming view '{view.name}'"
    required = (*view.entity_columns, view.event_time_column)
    for name in (*required, EVENT_ID_COLUMN) if with_ids else required:
        if rows.column(name).null_count:
            raise StreamStateError(f"{where}: column '{name}' is null in an event row")
    key_columns = [rows.column(name).combine_chunks() for name in view.entity_columns]
    kinds = ["int" if pa.types.is_integer(c.type) else "string" for c in key_columns]
    time = rows.column(view.event_time_column)
    if pa.types.is_timestamp(time.type):
        time = pc.cast(pc.cast(time, pa.timestamp("us", time.type.tz)), pa.int64())
    elif not pa.types.is_integer(time.type):
        raise StreamStateError(f"{where}: event time '{view.event_time_column}' is "
                               f"{time.type}, not a timestamp")
    ids = rows.column(EVENT_ID_COLUMN) if with_ids else pa.chunked_array([], pa.string())
    if not (pa.types.is_string(ids.type) or pa.types.is_large_string(ids.type)):
        raise StreamStateError(f"{where}: {EVENT_ID_COLUMN} is {ids.type}, not a string")
    values = {}
    for column in dict.fromkeys(w.column for w in view.windows):
        data = rows.column(column)
        numeric = (pa.types.is_integer(data.type) or pa.types.is_floating(data.type)
                   or pa.types.is_decimal(data.type))
        if not numeric:
            aggregates = {w.aggregate for w in view.windows if w.column == column}
            if aggregates != {"count"}:
                raise StreamStateError(f"{where}: column '{column}' is {data.type}; streaming "
                                       "sums, averages, minima and maxima need numbers")
            data = pc.if_else(pc.is_null(data), None, 1)  # only null or not matters
        elif pa.types.is_decimal(data.type):
            data = pc.cast(data, pa.float64())
        values[column] = data.to_pylist()
    positions: list[int | None] = [None] * rows.num_rows
    if LOG_POSITION_COLUMN in rows.column_names:
        column = rows.column(LOG_POSITION_COLUMN)
        if not pa.types.is_integer(column.type):
            raise StreamStateError(f"{where}: {LOG_POSITION_COLUMN} is {column.type}, "
                                   "not an integer")
        positions = column.to_pylist()
    return EventRows(keys=encode_key_columns(key_columns, kinds).to_pylist(),
                     micros=time.to_pylist(), ids=ids.to_pylist(), values=values,
                     positions=positions)


def open_state(project: Any, config: Any = None) -> StreamState:
    """The streaming state in the project's configured online store (SQLite or Redis), or
    in the one ``config`` describes."""
    from featureops.online.config import load_store_config

    config = config if config is not None else load_store_config(project)
    if config.type == "sqlite":
        from featureops.streaming.state_sqlite import SqliteStreamState
        return SqliteStreamState(config, Path(project.project_dir))
    if config.type == "redis":
        from featureops.streaming.state_redis import RedisStreamState
        return RedisStreamState(config, Path(project.project_dir))
    raise StreamStateError(f"online store '{config.type}' keeps no streaming state; "
                           "streaming views need the sqlite or redis store")
