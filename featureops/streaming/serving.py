"""Serving a streaming view: its windows as of the lookup's instant, from the batch edge of
the live online version and the stream's events (docs/decisions/0060-...).

Until the view's stream has started (no live state version: no worker applied an event and
no replay was published), the view is answered from its batch records like any view. Once
it has, every window is computed as of ``now``: the value's timestamp is ``now``; an entity
is found when it has a batch record or events in either layer; the status is ``stale`` when
neither the batch version's newest timestamp nor the stream's watermark is within the
view's freshness SLA.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from featureops.online.base import VersionState, ViewSnapshot
from featureops.online.encoding import micros_to_datetime
from featureops.project import Project
from featureops.streaming.merge import merged_values
from featureops.streaming.state import StreamRead, StreamState, open_state

if TYPE_CHECKING:
    from featureops.streaming.windows import StreamingView


#: How long a view whose stream has not started is answered from its batch records without
#: asking the stream state again (lookups of a view nobody streams pay nothing extra).
IDLE_RECHECK_SECONDS = 1.0


class StreamLayer:
    """The stream state of one client's store, opened on first use."""

    def __init__(self, project: Project, store_config: Any) -> None:
        self.project = project
        self.store_config = store_config
        self._state: StreamState | None = None
        self._idle_until: dict[str, float] = {}  # view -> when to ask the state again

    def idle(self, view: StreamingView) -> bool:
        """True while the view's stream is known not to have started (rechecked every
        IDLE_RECHECK_SECONDS)."""
        return time.monotonic() < self._idle_until.get(view.name, 0.0)

    def read(self, view: StreamingView, live: VersionState | None, keys: list[str],
             now: int) -> MergedView | None:
        """The stream's part for ``keys`` as of ``now``; None while the stream has not
        started (the batch records answer)."""
        if self.idle(view):
            return None
        if self._state is None:
            self._state = open_state(self.project, self.store_config)
        read = self._state.read(view, live.version if live else None, keys,
                                now - view.widths_micros[0], now)
        if read.watermark_micros is None:
            self._idle_until[view.name] = time.monotonic() + IDLE_RECHECK_SECONDS
            return None
        self._idle_until.pop(view.name, None)
        return MergedView(view, read, keys)

    def close(self) -> None:
        if self._state is not None:
            self._state.close()


@dataclass
class MergedView:
    """One streaming view's events for a lookup's entities."""

    view: StreamingView
    read: StreamRead
    keys: list[str]

    def columns(self, features: Sequence[str], snapshot: ViewSnapshot, now: int,
                freshness: timedelta | None) -> list[Any]:
        from featureops.online.sdk import NOT_FOUND, PRESENT, STALE, FeatureColumn

        newest = max((t for t in (snapshot.max_event_micros, self.read.watermark_micros)
                      if t is not None), default=None)
        status = PRESENT
        if freshness is not None and (newest is None or now - newest > _micros(freshness)):
            status = STALE
        at = micros_to_datetime(now)
        rows, events, statuses, micros = [], [], [], []
        for key, record in zip(self.keys, snapshot.records, strict=True):
            edge, stream = self.read.edge.get(key), self.read.stream.get(key)
            if record is None and edge is None and stream is None:
                rows.append(None)
                events.append(None)
                statuses.append(NOT_FOUND)
                micros.append(None)
                continue
            rows.append(merged_values(self.view, now, edge, self.read.boundary_micros, stream))
            events.append(at)
            statuses.append(status)
            micros.append(now)
        kinds = ({f.name: f.kind for f in snapshot.state.layout.fields}
                 if snapshot.state is not None else {})
        windows = {w.name for w in self.view.windows}
        return [FeatureColumn([None if row is None else row[name] for row in rows]
                              if name in windows else [None] * len(rows),
                              events, statuses, kinds.get(name), micros)
                for name in features]


def _micros(delta: timedelta) -> int:
    return int(delta.total_seconds() * 1_000_000)
