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


def open_warehouse(project: Project, warehouse: str | os.PathLike[str] | Engine | None,
                   database: str | None,
                   memory_limit: str | None = None) -> tuple[Engine, bool]:
    """An open engine for ``warehouse`` (a DuckDB file path, None for the selected dbt
    target's warehouse, or an engine the caller opened), and whether the caller must
    close it."""
    if warehouse is None or isinstance(warehouse, (str, os.PathLike)):
        return open_engine(project, warehouse=warehouse, database=database,
                           memory_limit=memory_limit), True
    return warehouse, False
