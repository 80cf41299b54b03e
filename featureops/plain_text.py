"""Long terminal listings as plain lines. Past :data:`TABLE_MAX_ROWS` rows a rich table
costs seconds (rich measures and wraps every cell: about 13 s for 11,000 audit findings),
and nobody reads such a table as one: the audit, lineage and impact reports then print one
tab-separated line per row instead."""

from __future__ import annotations

from collections.abc import Iterable

TABLE_MAX_ROWS = 500


def one_line(text: str) -> str:
    """``text`` with every run of whitespace (newlines included) as one space."""
    return " ".join(text.split())


def plain_row(cells: Iterable[str]) -> str:
    """One row as a tab-separated line, each cell on one line."""
    return "\t".join(one_line(cell) for cell in cells)
