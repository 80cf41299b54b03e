"""The engine a training set or a leakage check runs in: one the caller opened, or the
warehouse of the project's selected dbt target (featureops.engines).

Every engine runs in UTC: a spine with time-zone-aware timestamps is compared with the
views' UTC timestamps as instants, never through a machine's local zone.
"""

from __future__ import annotations

import os

from featureops.engines import Engine, open_engine
from featureops.project import Project

#: What the offline API accepts as an open warehouse.
Warehouse = Engine
#: The default memory budget of a DuckDB session opened for a training set or a leakage
#: check: a quarter of the machine's memory, at most this. DuckDB's own default (80% of
#: it) let the 10M-row benchmark's join peak at 2.2 GB on a machine shared with serving;
#: past the budget DuckDB spills to disk (docs/training-sets.md, "Memory").
MEMORY_BUDGET_CAP_MB = 2048


def default_memory_limit() -> str:
    """The memory budget for ``memory_limit=None``, as a DuckDB size ("2048MB")."""
    try:
        total_mb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 2**20
    except (AttributeError, ValueError, OSError):  # no sysconf (Windows): the cap
        total_mb = 4 * MEMORY_BUDGET_CAP_MB
    return f"{max(min(total_mb // 4, MEMORY_BUDGET_CAP_MB), 256)}MB"


def open_warehouse(project: Project, warehouse: str | os.PathLike[str] | Engine | None,
                   database: str | None,
                   memory_limit: str | None = None) -> tuple[Engine, bool]:
    """An open engine for ``warehouse`` (a DuckDB file path, None for the selected dbt
    target's warehouse, or an engine the caller opened), and whether the caller must
    close it. ``memory_limit``: DuckDB's budget (default: :func:`default_memory_limit`)."""
    if warehouse is None or isinstance(warehouse, (str, os.PathLike)):
        return open_engine(project, warehouse=warehouse, database=database,
                           memory_limit=memory_limit or default_memory_limit()), True
    return warehouse, False
