"""The lookups (seeds) of request-time views, read from the warehouse dbt built.

They are copied into the in-process session once, then again when the warehouse changes: a
DuckDB file's size and modification time are its build fingerprint (a stat, checked at
most every ``check_seconds``). The warehouse is opened only to copy, never held open, so a
``dbt build`` can take its write lock meanwhile.
"""

from __future__ import annotations

import os
import time
from collections.abc import Hashable, Sequence
from pathlib import Path

import pyarrow as pa

from featureops.engines.base import quote_identifier
from featureops.exceptions import FeatureopsError
from featureops.project import Project


class WarehouseLookups:
    """Reads lookup relations from ``project``'s warehouse (featureops.engines)."""

    def __init__(self, project: Project, check_seconds: float = 1.0) -> None:
        self.project = project
        self.check_seconds = check_seconds
        self._path: Path | None = None
        self._checked_at = 0.0
        self._fingerprint: Hashable = None

    def load(self, relation_names: Sequence[str]) -> dict[str, pa.Table]:
        from featureops.engines.target import open_engine

        with open_engine(self.project) as engine:
            self._path = getattr(engine, "path", None)
            tables = {name: engine.to_arrow(f"select * from {name}") for name in relation_names}
        self._fingerprint = self._stat()
        self._checked_at = time.monotonic()
        return tables

    def sample(self, relation_name: str, columns: Sequence[str], limit: int) -> pa.Table | None:
        """Up to ``limit`` rows of the input relation dbt built (the equivalence guard's
        rows), or None when the warehouse cannot give them (not built, columns differ)."""
        from featureops.engines.target import open_engine

        chosen = ", ".join(quote_identifier(name) for name in columns)
        try:
            with open_engine(self.project) as engine:
                return engine.to_arrow(f"select {chosen} from {relation_name} "
                                       f"limit {int(limit)}")
        except FeatureopsError:
            return None

    def due(self) -> bool:
        """Whether ``changed`` would look at the warehouse now (pure CPU: a clock read)."""
        return self._path is not None and \
            time.monotonic() - self._checked_at >= self.check_seconds

    def changed(self) -> bool:
        """Whether the warehouse was rebuilt since the last load (cheap; rate-limited)."""
        now = time.monotonic()
        if self._path is None or now - self._checked_at < self.check_seconds:
            return False
        self._checked_at = now
        return self._stat() != self._fingerprint

    def _stat(self) -> Hashable:
        if self._path is None:
            return None
        try:
            info = os.stat(self._path)
        except OSError:
            return None
        return (info.st_size, info.st_mtime_ns)
