"""Streaming state in the SQLite online store's file (docs/decisions/0060-...).

Per view: ``featureops_stream_versions`` (the live state version, one a replay builds,
their watermarks and columns); per state version a table ``fs__<view>__<n>`` of events
(event id as primary key, entity key, event time, the aggregated columns) and one
``fl__<view>__<n>`` of its log frontier (lateness in log order); per online
version a table ``fe__<view>__<online version>`` holding that version's batch edge, and its
boundary in ``featureops_stream_edges``. ``apply`` is one ``begin immediate`` transaction:
the ids it finds are duplicates, the events it inserts carry their ids, so a batch counts
once however often it is delivered. Readers see a WAL snapshot.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import apsw
import pyarrow as pa

from featureops.online.base import StoreUnavailableError
from featureops.online.sqlite import SqliteOnlineStore, SqliteOnlineStoreConfig
from featureops.spec import IDENTIFIER_PATTERN
from featureops.streaming.merge import EntityEvents
from featureops.streaming.state import (
    ApplyResult,
    EventRows,
    StreamRead,
    StreamStateError,
    event_rows,
    lateness_floor,
)
from featureops.streaming.windows import StreamingView

_SCHEMA = """
create table if not exists featureops_stream_versions (
    view text not null, version integer not null, status text not null,
    watermark integer, columns text not null, created_at real not null,
    primary key (view, version)
);
create table if not exists featureops_stream_edges (
    view text not null, online_version text not null, boundary integer not null,
    columns text not null, rows integer not null, primary key (view, online_version)
);
"""
_CHUNK = 500  # host parameters per `in (...)` lookup
_VERSION = re.compile(r"[A-Za-z0-9_]{1,64}")


def _name(value: str, what: str) -> str:
    if not IDENTIFIER_PATTERN.fullmatch(value):
        raise StreamStateError(f"{what} {value!r} is not an identifier")
    return value


def events_table(view: str, version: int) -> str:
    return f'"fs__{_name(view, "view name")}__{int(version)}"'


def frontier_table(view: str, version: int) -> str:
    return f'"fl__{_name(view, "view name")}__{int(version)}"'


def edge_table(view: str, online_version: str) -> str:
    if not _VERSION.fullmatch(online_version):
        raise StreamStateError(f"online version {online_version!r} is not a version id")
    return f'"fe__{_name(view, "view name")}__{online_version}"'


def value_columns(view: StreamingView) -> list[str]:
    """The aggregated columns, in the order rows store them."""
    return [_name(c, f"view '{view.name}' column") for c in
            dict.fromkeys(w.column for w in view.windows)]


def _column_defs(view: StreamingView) -> str:
    return ", ".join(f'"v_{c}"' for c in value_columns(view))


class SqliteStreamState:
    """StreamState in the SQLite online store's file."""

    def __init__(self, config: SqliteOnlineStoreConfig, project_dir: Path) -> None:
        self.store = SqliteOnlineStore(config, project_dir)
        self._ready = False

    @property
    def conn(self) -> apsw.Connection:
        conn = self.store.conn
        if not self._ready:
            try:
                conn.execute(_SCHEMA)
            except apsw.Error as error:
                raise StoreUnavailableError(f"SQLite online store {self.store.path}: "
                                            f"{error}") from None
            self._ready = True
        return conn

    def close(self) -> None:
        self.store.close()

    # --- apply ------------------------------------------------------------------------

    def apply(self, view: StreamingView, rows: pa.Table) -> ApplyResult:
        events = event_rows(view, rows)
        _ = self.conn  # the schema exists before the write transaction starts
        with self.store.write_transaction():
            versions = self._versions(view, ("live", "building"))
            if not any(status == "live" for _, status, _ in versions):
                versions.append((self._create(view, "live"), "live", None))
            results = {status: self._apply_to(view, version, watermark, events)
                       for version, status, watermark in versions}
        return results["live"]

    def apply_replayed(self, view: StreamingView, version: str, rows: pa.Table) -> ApplyResult:
        events = event_rows(view, rows)
        _ = self.conn
        with self.store.write_transaction():
            building = [(v, w) for v, s, w in self._versions(view, ("building",))
                        if str(v) == version]
            if not building:
                raise StreamStateError(f"streaming view '{view.name}': no replay version "
                                       f"{version} is being built")
            return self._apply_to(view, building[0][0], building[0][1], events)

    def _apply_to(self, view: StreamingView, version: int, watermark: int | None,
                  events: EventRows) -> ApplyResult:
        table = events_table(view.name, version)
        frontier = _LogFrontier(self.conn, frontier_table(view.name, version))
        present = set(self._present_ids(table, events.ids))
        lateness = view.allowed_lateness_micros
        floor = lateness_floor(view, watermark)
        limit = None if watermark is None else watermark - lateness  # rows without position
        applied, duplicates, late = [], 0, []
        for index in events.log_order():
            event_id, micros = events.ids[index], events.micros[index]
            position = events.positions[index]
            if event_id in present:
                duplicates += 1
                continue
            if floor is not None and micros < floor:
                late.append(event_id)
                continue
            if position is None:
                if limit is not None and micros < limit:
                    late.append(event_id)
                    continue
            else:
                before = frontier.newest_before(position)
                if before is not None and micros < before - lateness:
                    late.append(event_id)
                    continue
                frontier.add(position, micros, before)
            present.add(event_id)
            applied.append((event_id, events.keys[index], micros, *events.row_values(index)))
        if applied:
            marks = ", ".join("?" * (3 + len(events.values)))
            self.conn.executemany(f"insert into {table} values ({marks})", applied)
            newest = max(row[2] for row in applied)
            watermark = newest if watermark is None else max(watermark, newest)
            self.conn.execute("update featureops_stream_versions set watermark = ? "
                              "where view = ? and version = ?", (watermark, view.name, version))
            # older events can no longer be in a window, and their redeliveries are too late
            horizon = lateness_floor(view, watermark)
            self.conn.execute(f"delete from {table} where event_micros < ?", (horizon,))
            frontier.forget_up_to(horizon + lateness)
        return ApplyResult(len(applied), duplicates, len(late), tuple(late))

    def _present_ids(self, table: str, ids: Sequence[str]) -> Iterator[str]:
        unique = list(dict.fromkeys(ids))
        for start in range(0, len(unique), _CHUNK):
            chunk = unique[start:start + _CHUNK]
            marks = ", ".join("?" * len(chunk))
            for (event_id,) in self.conn.execute(
                    f"select event_id from {table} where event_id in ({marks})", chunk):
                yield event_id

    # --- versions -----------------------------------------------------------------------

    def _versions(self, view: StreamingView, statuses: Sequence[str]
                  ) -> list[tuple[int, str, int | None]]:
        marks = ", ".join("?" * len(statuses))
        found = self.conn.execute(
            "select version, status, watermark, columns from featureops_stream_versions "
            f"where view = ? and status in ({marks}) order by version",
            (view.name, *statuses)).fetchall()
        for version, _, _, columns in found:
            if json.loads(columns) != value_columns(view):
                raise StreamStateError(
                    f"streaming view '{view.name}': state version {version} holds columns "
                    f"{', '.join(json.loads(columns))}, the view now aggregates "
                    f"{', '.join(value_columns(view))}; run `featureops stream replay` to "
                    "rebuild it from the log")
        return [(version, status, watermark) for version, status, watermark, _ in found]

    def _create(self, view: StreamingView, status: str) -> int:
        (last,) = self.conn.execute(
            "select coalesce(max(version), 0) from featureops_stream_versions where view = ?",
            (view.name,)).fetchone()
        version = last + 1
        table = events_table(view.name, version)
        self.conn.execute(
            f"create table {table} (event_id text primary key, entity_key text not null, "
            f"event_micros integer not null, {_column_defs(view)}) without rowid")
        self.conn.execute(f'create index "{table[1:-1]}__entity" on {table} '
                          "(entity_key, event_micros)")
        self.conn.execute(f'create index "{table[1:-1]}__time" on {table} (event_micros)')
        self.conn.execute("insert into featureops_stream_versions values (?, ?, ?, ?, ?, ?)",
                          (view.name, version, status, None, json.dumps(value_columns(view)),
                           time.time()))
        return version

    def begin_replay(self, view: StreamingView) -> str:
        with self.store.write_transaction():
            if self._versions(view, ("building",)):
                raise StreamStateError(f"streaming view '{view.name}' is already being "
                                       "replayed; abort that replay first")
            return str(self._create(view, "building"))

    def publish_replay(self, view: StreamingView, version: str) -> None:
        with self.store.write_transaction():
            current = self._versions(view, ("live", "building"))
            if (int(version), "building", ) not in [(v, s) for v, s, _ in current]:
                raise StreamStateError(f"streaming view '{view.name}': no replay version "
                                       f"{version} is being built")
            for old, status, _ in current:
                if status == "live":
                    self._drop(view, old)
            self.conn.execute("update featureops_stream_versions set status = 'live' "
                              "where view = ? and version = ?", (view.name, int(version)))

    def abort_replay(self, view: StreamingView, version: str) -> None:
        with self.store.write_transaction():
            self._drop(view, int(version))

    def _drop(self, view: StreamingView, version: int) -> None:
        self.conn.execute(f"drop table if exists {events_table(view.name, version)}")
        self.conn.execute(f"drop table if exists {frontier_table(view.name, version)}")
        self.conn.execute("delete from featureops_stream_versions where view = ? and "
                          "version = ?", (view.name, version))

    # --- the batch edge ---------------------------------------------------------------

    def write_edge(self, view: StreamingView, online_version: str, boundary_micros: int,
                   rows: pa.Table) -> int:
        events = event_rows(view, rows, with_ids=False)
        horizon = boundary_micros - view.widths_micros[0]
        kept = [(events.keys[i], events.micros[i], *events.row_values(i))
                for i in range(len(events)) if horizon <= events.micros[i] < boundary_micros]
        table = edge_table(view.name, online_version)
        conn = self.conn
        with self.store.write_transaction():  # readers see the old edge or the whole new one
            conn.execute(f"drop table if exists {table}")
            conn.execute(f"create table {table} (entity_key text not null, "
                         f"event_micros integer not null, {_column_defs(view)})")
            conn.executemany(f"insert into {table} values "
                             f"({', '.join('?' * (2 + len(events.values)))})", kept)
            conn.execute(f'create index "{table[1:-1]}__entity" on {table} '
                         "(entity_key, event_micros)")
            conn.execute("insert or replace into featureops_stream_edges values "
                         "(?, ?, ?, ?, ?)", (view.name, online_version, boundary_micros,
                                              json.dumps(value_columns(view)), len(kept)))
        return len(kept)

    def drop_edges(self, view: StreamingView, keep: Sequence[str]) -> list[str]:
        """Delete the edges of online versions not in ``keep``; return their versions."""
        with self.store.write_transaction():
            found = [v for (v,) in self.conn.execute(
                "select online_version from featureops_stream_edges where view = ?",
                (view.name,))]
            dropped = [v for v in found if v not in keep]
            for version in dropped:
                self.conn.execute(f"drop table if exists {edge_table(view.name, version)}")
                self.conn.execute("delete from featureops_stream_edges where view = ? and "
                                  "online_version = ?", (view.name, version))
        return dropped

    # --- reads ------------------------------------------------------------------------

    def read(self, view: StreamingView, online_version: str | None, keys: list[str],
             since_micros: int, until_micros: int) -> StreamRead:
        conn = self.conn
        columns = value_columns(view)
        with _ReadTransaction(conn):
            boundary, edge = None, {}
            if online_version is not None:
                found = conn.execute(
                    "select boundary, columns from featureops_stream_edges where view = ? "
                    "and online_version = ?", (view.name, online_version)).fetchone()
                if found is not None and json.loads(found[1]) == columns:
                    boundary = found[0]
                    edge = self._events(edge_table(view.name, online_version), columns,
                                        keys, since_micros, min(until_micros, boundary))
            live = self._versions(view, ("live",))
            stream, watermark = {}, None
            if live:
                version, _, watermark = live[0]
                start = since_micros if boundary is None else max(since_micros, boundary)
                stream = self._events(events_table(view.name, version), columns, keys,
                                      start, until_micros)
        return StreamRead(boundary, edge, stream, watermark)

    def _events(self, table: str, columns: list[str], keys: list[str], since: int,
                until: int) -> dict[str, EntityEvents]:
        out: dict[str, EntityEvents] = {}
        if since >= until:
            return out
        selected = ", ".join(f'"v_{c}"' for c in columns)
        query = (f"select event_micros, {selected} from {table} where entity_key = ? "
                 "and event_micros >= ? and event_micros < ?")
        for key in dict.fromkeys(keys):
            events = EntityEvents(values={c: [] for c in columns})
            for micros, *values in self.conn.execute(query, (key, since, until)):
                events.add(micros, dict(zip(columns, values, strict=True)))
            if events.micros:
                out[key] = events
        return out


class _LogFrontier:
    """A state version's log frontier (featureops.streaming.state): rows (log position,
    event time) whose times grow with their positions. Created on first use, so state
    versions written before it existed gain one."""

    def __init__(self, conn: apsw.Connection, table: str) -> None:
        self.conn, self.table = conn, table
        conn.execute(f"create table if not exists {table} (position integer primary key, "
                     "event_micros integer not null)")
        # the last entry (the newest): events after it in the log, the usual case, need no
        # lookup and have no following entries to remove
        self.tail = conn.execute(f"select position, event_micros from {table} "
                                 "order by position desc limit 1").fetchone()

    def newest_before(self, position: int) -> int | None:
        """The newest event time applied before ``position`` in the log."""
        if self.tail is None or position > self.tail[0]:
            return None if self.tail is None else self.tail[1]
        found = self.conn.execute(f"select event_micros from {self.table} where position < ? "
                                  "order by position desc limit 1", (position,)).fetchone()
        return None if found is None else found[0]

    def add(self, position: int, micros: int, before: int | None) -> None:
        """Record an applied event (``before``: newest_before(position))."""
        if before is not None and before >= micros:
            return  # an earlier event is newer: this one never decides anything
        self.conn.execute(f"insert or replace into {self.table} values (?, ?)",
                          (position, micros))
        if self.tail is None or position > self.tail[0]:
            self.tail = (position, micros)
            return
        # the following entries it is newer than are no longer on the frontier
        self._drop_up_to(micros, after=position)
        self.tail = self.conn.execute(f"select position, event_micros from {self.table} "
                                      "order by position desc limit 1").fetchone()

    def forget_up_to(self, micros: int) -> None:
        """Drop entries no longer deciding anything: times up to ``micros`` (the new floor
        plus the lateness) cannot make an event above the floor too late. They are the
        frontier's first entries, since its times grow."""
        self._drop_up_to(micros, after=None)
        if self.tail is not None and self.tail[1] <= micros:
            self.tail = None

    def _drop_up_to(self, micros: int, after: int | None) -> None:
        """Delete the entries after position ``after`` (from the first: None) while their
        time is at most ``micros``."""
        where = "" if after is None else "where position > ?"
        while True:
            found = self.conn.execute(
                f"select position, event_micros from {self.table} {where} "
                "order by position limit 128", () if after is None else (after,)).fetchall()
            stale = [(p,) for p, m in found if m <= micros]
            if stale:
                self.conn.executemany(f"delete from {self.table} where position = ?", stale)
            if len(stale) < len(found) or not found:
                return


class _ReadTransaction:
    """One WAL snapshot for a read (the edge and the stream seen at the same instant)."""

    def __init__(self, conn: apsw.Connection) -> None:
        self.conn = conn

    def __enter__(self) -> apsw.Connection:
        self.conn.execute("begin")
        return self.conn

    def __exit__(self, *exc: Any) -> None:
        self.conn.execute("commit")
