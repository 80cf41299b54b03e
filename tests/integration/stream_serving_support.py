"""Helpers for the tests of serving streamed windows: the example's streaming view, its
input-model rows as event rows (the oracle's inputs) and dbt's rows of the view, and an
online store of either kind on a private file or prefix."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
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


def served_mismatches(client: Any, view: StreamingView, rows: list[dict]) -> list[tuple]:
    """(user, time, window, served, dbt's) of each window that a lookup of dbt's row's user
    as of its time does not serve as dbt's value (averages to 1e-9), present at that
    instant; an entity not found must have an empty row."""
    wrong = []
    for row in rows:
        at = row["event_at"].replace(tzinfo=timezone.utc)
        answer = client.get_online_features([VIEW], entities={"user_id": [row["user_id"]]},
                                            as_of=at).row(0)
        for window in view.windows:
            served, expected = answer[f"{VIEW}:{window.name}"], row[window.name]
            if served.status == "not_found":
                right = row["transaction_count_30d"] == 0
            elif (served.event_at, served.status) != (at, "present"):
                right = False
            elif window.aggregate == "avg" and expected is not None and served.value is not None:
                right = abs(served.value - expected) <= 1e-9
            else:
                right = served.value == expected
            if not right:
                wrong.append((row["user_id"], at, window.name, served, expected))
    return wrong


def dbt_view_as_of(build: Any, project: Project, user_id: int, extra: list[dict],
                   as_of: datetime) -> dict:
    """dbt's answer for ``user_id`` as of ``as_of``: the view's compiled SQL run by DuckDB
    over the warehouse's input rows of that user plus ``extra`` input rows, with a probe
    row at ``as_of`` whose null amount changes no other row (its frame is the window as
    of that instant, the instant itself excluded as in the macro)."""
    models = {node.name: node for node in project.manifest.models.values()}
    view_node, input_node = models[VIEW], models["int_transactions__enriched"]
    database = input_node.relation_name.split(".")[0].strip('"')
    at = as_of.astimezone(timezone.utc).replace(tzinfo=None)
    with duckdb.connect() as conn:
        conn.execute(f"attach '{build.duckdb_path}' as built (read_only)")
        conn.execute(f'attach \':memory:\' as "{database}"')
        conn.execute(f'use "{database}"')  # however the compiled SQL names its relation
        conn.execute(f"create table {input_node.relation_name} as select * from "
                     f"built.main.int_transactions__enriched where user_id = ?", [user_id])
        for row in [*extra, {"user_id": user_id, "event_at": at}]:
            names = ", ".join(row)
            conn.execute(f"insert into {input_node.relation_name} ({names}) values "
                         f"({', '.join('?' * len(row))})", list(row.values()))
        found = conn.execute(f"select * from ({view_node.compiled_code}) where user_id = ? "
                             "and event_at = ?", [user_id, at])
        names = [d[0] for d in found.description]
        (row,) = found.fetchall()
    return dict(zip(names, row, strict=True))
