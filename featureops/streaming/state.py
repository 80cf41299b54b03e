"""The streaming views' aggregate state in the online store: the interface the workers
apply event rows through, and how the project's store is opened for it.

A worker hands each batch of input-model rows (one row per event, with the event's id in
``__event_id``) to ``StreamState.apply``. The call is atomic (all of the batch's effects
or none) and idempotent per event id (a redelivered event changes nothing and is counted
as a duplicate), so a worker acknowledges a batch only after ``apply`` returned and keeps
nothing a crash could lose. The state design (what is stored, how it merges with the batch
layer) is docs/decisions/0060-streaming-window-state.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import pyarrow as pa

from featureops.exceptions import FeatureopsError
from featureops.streaming.windows import StreamingView

#: The column of an event row that holds its event id (unique per event of a source).
EVENT_ID_COLUMN = "__event_id"


class StreamStateError(FeatureopsError):
    """Rows that cannot be applied to a view's state (message names the view and column)."""


@dataclass(frozen=True)
class ApplyResult:
    """What one ``apply`` call did with its rows."""

    applied: int        # events counted for the first time
    duplicates: int     # events whose id was already applied (redeliveries): no effect
    too_late: int       # events older than the view's allowed lateness: not counted
    #: Ids of the too-late events, for the worker to report (dead letters, status).
    too_late_ids: tuple[str, ...] = ()


class StreamState(Protocol):
    """Aggregate state of streaming views in one online store."""

    def apply(self, view: StreamingView, rows: pa.Table) -> ApplyResult:
        """Count ``rows`` (the input model's columns, at least ``view.input_columns``, plus
        ``__event_id``) into the view's windows, atomically; idempotent per event id."""
        ...

    def close(self) -> None:
        """Release connections."""
        ...


def check_rows(view: StreamingView, rows: pa.Table) -> None:
    """Raise StreamStateError when ``rows`` lacks a column the view's state needs."""
    missing = [name for name in (*view.input_columns, EVENT_ID_COLUMN)
               if name not in rows.column_names]
    if missing:
        raise StreamStateError(
            f"streaming view '{view.name}': event rows lack column(s) {', '.join(missing)} "
            f"(the columns of model '{view.input_model}' plus {EVENT_ID_COLUMN})")


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
        return RedisStreamState(config)
    raise StreamStateError(f"online store '{config.type}' keeps no streaming state; "
                           "streaming views need the sqlite or redis store")
