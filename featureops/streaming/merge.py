"""Window values as of an instant, from the batch edge and the stream's events.

The batch layer contributes the events of the online version's edge below its boundary
``B``, the stream those at or after ``B`` (docs/decisions/0060-streaming-window-state.md),
so an event is counted by exactly one layer whichever versions are live. Each window is
then the macro's: ``aggregate(column)`` over the events with time in ``[as_of - w, as_of)``
(events at ``as_of`` itself excluded), nulls ignored, ``coalesce``'s literal for a null.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # windows.py loads sqlglot: only the parsing needs it
    from featureops.streaming.windows import StreamingView, WindowFeature


@dataclass
class EntityEvents:
    """One entity's events from one layer: event times (microseconds) and the aggregated
    columns' values, in any order."""

    micros: list[int] = field(default_factory=list)
    values: dict[str, list[int | float | None]] = field(default_factory=dict)

    def add(self, micros: int, values: dict[str, int | float | None]) -> None:
        self.micros.append(micros)
        for column, value in values.items():
            self.values.setdefault(column, []).append(value)


def merged_values(view: StreamingView, as_of_micros: int, edge: EntityEvents | None,
                  boundary_micros: int | None, stream: EntityEvents | None
                  ) -> dict[str, int | float | None]:
    """Every window of ``view`` as of ``as_of_micros`` for one entity: the edge's events
    below the boundary and the stream's at or after it (all of the stream's when there is
    no batch boundary)."""
    micros, values = _select(view, edge, stream, boundary_micros)
    return {window.name: _window_value(window, as_of_micros, micros, values[window.column])
            for window in view.windows}


def _select(view: StreamingView, edge: EntityEvents | None, stream: EntityEvents | None,
            boundary: int | None) -> tuple[np.ndarray, dict[str, list[int | float | None]]]:
    columns = dict.fromkeys(w.column for w in view.windows)
    parts: list[tuple[EntityEvents, np.ndarray]] = []
    if edge is not None and boundary is not None and edge.micros:
        times = np.asarray(edge.micros, dtype=np.int64)
        parts.append((edge, times < boundary))
    if stream is not None and stream.micros:
        times = np.asarray(stream.micros, dtype=np.int64)
        parts.append((stream, times >= boundary if boundary is not None
                      else np.ones(len(times), dtype=bool)))
    micros = [np.asarray(p.micros, dtype=np.int64)[keep] for p, keep in parts]
    values: dict[str, list[int | float | None]] = {}
    for column in columns:
        merged: list[int | float | None] = []
        for events, keep in parts:
            column_values = events.values.get(column, [])
            merged.extend(v for v, k in zip(column_values, keep, strict=True) if k)
        values[column] = merged
    return (np.concatenate(micros) if micros else np.empty(0, dtype=np.int64)), values


def _window_value(window: WindowFeature, as_of: int, micros: np.ndarray,
                  values: Sequence[int | float | None]) -> int | float | None:
    inside = np.flatnonzero((micros >= as_of - window.width_micros) & (micros < as_of))
    present = [values[i] for i in inside if values[i] is not None]
    result = aggregate(window.aggregate, present)
    if result is None and window.empty_value is not None:
        # coalesce(<double>, 0) is a double in SQL: the literal takes the aggregate's type
        return float(window.empty_value) if window.aggregate in ("sum", "avg") \
            else window.empty_value
    return result


def aggregate(name: str, present: Sequence[int | float]) -> int | float | None:
    """The macro's aggregate over non-null values: count an int, sum and avg floats
    (correctly rounded sums, like DuckDB's compensated fsum/favg), min/max the values'
    type; None for no values (except count)."""
    if name == "count":
        return len(present)
    if not present:
        return None
    if name == "sum":
        return float(_exact_sum(present))
    if name == "avg":
        return float(_exact_sum(present)) / len(present)
    if name == "min":
        return min(present)
    if name == "max":
        return max(present)
    raise ValueError(f"aggregate '{name}' is not one of count, sum, avg, min, max")


def _exact_sum(present: Sequence[int | float]) -> int | float:
    if all(isinstance(v, int) for v in present):
        return sum(present)  # exact; the float conversion rounds once
    return math.fsum(present)
