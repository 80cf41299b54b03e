"""The point-in-time join on DuckDB, one view at a time (docs/training-sets.md, "Memory").

One query with an ASOF JOIN per view holds every view's sorted rows until it ends (2.2 GB
at 10M view rows; benchmarks/bench_training_set.py). Here each view is joined by its own
statement, the same ``point_in_time_join`` macro rendered for that view alone on the
spine's row position, keys and timestamp, into a temporary table of one row per spine
row; the final query gathers those tables by row position. The match is the macro's, so
ttl, ties, created timestamps, ``exclusive`` and ``exclude_created_after`` are unchanged;
only one view's rows are in memory at a time (1.2 GB on the same benchmark, no slower).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from featureops.offline.macros import MacroRenderer, quote_identifier

#: Temporary table of view ``n``'s matches (one row per spine row).
MATCH_TABLE = "__fo_match_{}"


@dataclass(frozen=True)
class StagedJoin:
    """Statements to run first (name, query of a temporary table), then ``sql``."""

    steps: tuple[tuple[str, str], ...]
    sql: str


def staged_join(renderer: MacroRenderer, spine: str, row_column: str, timestamp: str,
                views: Sequence[dict[str, Any]], spine_columns: Sequence[str], *,
                exclusive: bool, exclude_created_after: bool) -> StagedJoin:
    """``spine``: a relation with ``row_column`` (unique) and every spine column."""
    row = quote_identifier(row_column)
    steps, features, joins = [], [], []
    for number, view in enumerate(views, start=1):
        # Only what the match needs travels through the view's sort.
        keys = dict.fromkeys([row_column, *view["entities"], timestamp])
        narrow = f"(select {', '.join(map(quote_identifier, keys))} from {spine})"
        match = renderer.render("point_in_time_join", narrow, timestamp, [view],
                                [row_column], None, exclusive, exclude_created_after)
        table = MATCH_TABLE.format(number)
        steps.append((table, str(match)))
        features += [f"{table}.{quote_identifier(f['alias'])}" for f in view["features"]]
        joins.append(f"left join {table} on {table}.{row} = __fo_spine.{row}")
    columns = [f"__fo_spine.{quote_identifier(c)}" for c in spine_columns] + features
    sql = (f"select {', '.join(columns)}\nfrom {spine} as __fo_spine\n" + "\n".join(joins)
           + f"\norder by __fo_spine.{row}")
    return StagedJoin(tuple(steps), sql)
