"""A brute-force point-in-time join in plain Python: the oracle the SQL is checked against.

Written from the definition in docs/training-sets.md, row by row, with no shared code with
the macros: for each spine row and view, scan every view row and keep the best candidate.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any


@dataclass
class OracleView:
    name: str
    entities: list[str]
    timestamp: str
    features: list[str]
    rows: list[dict[str, Any]]
    created_timestamp: str | None = None
    ttl: timedelta | None = None
    aliases: dict[str, str] = field(default_factory=dict)

    def alias(self, feature: str) -> str:
        return self.aliases.get(feature, feature)


def as_utc_naive(value: datetime | None) -> datetime | None:
    """An instant as naive UTC (naive values are UTC already)."""
    if value is None or value.tzinfo is None:
        return value
    return value.astimezone(timezone.utc).replace(tzinfo=None)


def point_in_time(spine: Sequence[dict[str, Any]], timestamp: str, views: Sequence[OracleView],
                  *, exclusive: bool = False,
                  exclude_created_after: bool = False) -> list[dict[str, Any]]:
    """One output dict per spine row, in spine order: the spine row plus every feature."""
    # Rows grouped by entity key only to keep large checks fast; the scan is unchanged.
    by_key = [_rows_by_key(view) for view in views]
    out = []
    for spine_row in spine:
        row = dict(spine_row)
        at = as_utc_naive(spine_row[timestamp])
        for view, index in zip(views, by_key, strict=True):
            candidates = index.get(tuple(spine_row[key] for key in view.entities), [])
            best = _best_row(view, candidates, spine_row, at, exclusive, exclude_created_after)
            for feature in view.features:
                row[view.alias(feature)] = None if best is None else best[feature]
        out.append(row)
    return out


def _rows_by_key(view: OracleView) -> dict[tuple[Any, ...], list[dict[str, Any]]]:
    index: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
    for candidate in view.rows:
        index.setdefault(tuple(candidate[key] for key in view.entities), []).append(candidate)
    return index


def _best_row(view: OracleView, candidates: list[dict[str, Any]], spine_row: dict[str, Any],
              at: datetime | None, exclusive: bool,
              exclude_created_after: bool) -> dict[str, Any] | None:
    if at is None or any(spine_row[key] is None for key in view.entities):
        return None
    best, best_order = None, None
    for candidate in candidates:
        if any(candidate[key] != spine_row[key] for key in view.entities):
            continue
        ts = as_utc_naive(candidate[view.timestamp])
        if ts is None or (ts >= at if exclusive else ts > at):
            continue
        if view.ttl is not None and ts < at - view.ttl:
            continue
        created = (as_utc_naive(candidate[view.created_timestamp])
                   if view.created_timestamp else None)
        if exclude_created_after and view.created_timestamp and (created is None
                                                                 or created > at):
            continue
        # Latest timestamp wins; among equal timestamps the latest created (None loses).
        order = (ts, created is not None, created or datetime.min)
        if best_order is None or order > best_order:
            best, best_order = candidate, order
    return best
