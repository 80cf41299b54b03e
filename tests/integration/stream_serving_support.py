"""Helpers for the tests of serving streamed windows: the example's streaming view, its
input-model rows as event rows (the oracle's inputs) and dbt's rows of the view, and an
online store of either kind on a private file or prefix."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from featureops.catalog import FeatureCatalog
from featureops.online.base import OnlineStore
from featureops.project import Project
from featureops.streaming.state import EVENT_ID_COLUMN
from featureops.streaming.windows import StreamingView, streaming_view
from tests.integration.online_support import drop_prefix, redis_store, sqlite_store
from tests.services import require_redis

VIEW = "feat_user__spend_windows"
EPOCH = datetime(1970, 1, 1)


def micros(value: datetime) -> int:
    """A naive or aware UTC datetime in microseconds since the epoch."""
    return (value.replace(tzinfo=None) - EPOCH) // timedelta(microseconds=1)


def online_store(kind: str, tmp_path: Path) -> Iterator[OnlineStore]:
    """A fixture body: a SQLite store in ``tmp_path`` or Redis under a private prefix
    (dropped after)."""
    if kind == "redis":
        require_redis()
        store = redis_store()
    else:
        store = sqlite_store(tmp_path / "online.db")
    yield store
    drop_prefix(store)


def view_rows(build: Any, project: Project) -> tuple[StreamingView, pa.Table, list[dict]]:
    """The streaming view, its input model's rows in event-time order with the event id
    column the state needs, and dbt's rows of the view."""
    view = streaming_view(project.manifest,
                          FeatureCatalog.from_manifest(project.manifest).view(VIEW))
    with duckdb.connect(str(build.duckdb_path), read_only=True) as conn:
        inputs = conn.sql(f"select *, cast(transaction_id as varchar) as {EVENT_ID_COLUMN} "
                          f"from main.{view.input_model} order by event_at").to_arrow_table()
        dbt_rows = conn.sql(f"select * from main.{VIEW}").to_arrow_table().to_pylist()
    return view, inputs, dbt_rows
