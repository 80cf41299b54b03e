"""The embedded online store: one SQLite file in the project (apsw, so sqlite-vec loads).

Each view version is a table ``fo__<view>__<version>`` (entity key, feature timestamp,
encoded record), plus one sqlite-vec ``vec0`` table per fixed-size embedding feature.
``featureops_live`` is the pointer; flipping it is one transaction, and WAL mode gives
every read transaction a snapshot, so a reader sees one version, never a mix.
``featureops_pushed`` is the push log (the newest pushed record per entity and layout),
written in each push's transaction and merged into a new version in the transaction that
publishes it; ``featureops_journal`` holds incremental runs that overlap a build.

Readers never wait on writers in WAL mode, so reads use a busy timeout of milliseconds
(``read_busy_timeout_ms``) and are safe on a server's event loop; a write waits at most
``write_busy_timeout_ms`` for another writer's lock, then fails with StoreBusyError
(nothing written; the server answers 503 with Retry-After).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Literal

import apsw
import numpy as np
import orjson
import sqlite_vec
from pydantic import Field

from featureops.online.base import (
    BUILD_LOCK_SECONDS,
    MaterializationInProgressError,
    OnlineStore,
    StoreBusyError,
    StoreUnavailableError,
    VersionBuild,
    VersionState,
    ViewSnapshot,
    check_layout,
    new_state,
)
from featureops.online.config import StoreConfigBase
from featureops.online.encoding import EncodedBatch, RecordCodec
from featureops.online.layout import RecordLayout
from featureops.online.vectors import NULL_STRING, check_filters, filter_fields, vector_field
from featureops.spec import IDENTIFIER_PATTERN

_SCHEMA = """
create table if not exists featureops_versions (
    view text not null, version integer not null, status text not null,
    heartbeat real, state text not null, primary key (view, version)
);
create table if not exists featureops_live (
    view text primary key, version integer not null, max_event_micros integer
);
create table if not exists featureops_journal (
    view text not null, version integer not null, entity_key text not null,
    event_micros integer not null, value blob not null
);
create table if not exists featureops_pushed (
    view text not null, layout text not null, entity_key text not null,
    event_micros integer not null, value blob not null,
    primary key (view, layout, entity_key)
) without rowid;
"""
#: Keep the newest pushed record per entity (an equal timestamp is a no-op, as in versions).
_LOG_PUSH = (
    "insert into featureops_pushed values (?, ?, ?, ?, ?) "
    "on conflict (view, layout, entity_key) do update set event_micros = "
    "excluded.event_micros, value = excluded.value "
    "where excluded.event_micros > featureops_pushed.event_micros"
)
_SQL_TYPES = {"int": "integer", "float": "float", "bool": "integer", "string": "text"}


class SqliteOnlineStoreConfig(StoreConfigBase):
    """``online_store`` block for SQLite."""

    type: Literal["sqlite", "featureops.online.sqlite.SqliteOnlineStore"] = "sqlite"
    path: str = "data/online_store.db"
    embedding_dtype: Literal["float32", "float16"] = "float32"
    #: How long a write waits for another writer's lock before StoreBusyError.
    write_busy_timeout_ms: int = Field(default=5000, ge=0)
    #: How long a read waits on a lock: WAL readers do not wait on writers, so this only
    #: covers rare moments (WAL recovery, an exclusive locking mode) and stays short.
    read_busy_timeout_ms: int = Field(default=50, ge=0)


def version_table(view: str, version: int | str) -> str:
    """The quoted table of one view version (the view name validated first)."""
    if not IDENTIFIER_PATTERN.fullmatch(view):
        raise ValueError(f"view name {view!r} is not an identifier")
    return f'"fo__{view}__{int(version)}"'


def _vec_table(view: str, version: int | str, feature_index: int) -> str:
    return version_table(view, version)[:-1] + f'__vec{feature_index}"'


def _now() -> float:
    return time.time()


class SqliteOnlineStore(OnlineStore):
    """Online store in a local SQLite file."""

    inline_reads = True

    def __init__(self, config: SqliteOnlineStoreConfig, project_dir: Path) -> None:
        super().__init__(config, project_dir)
        path = Path(config.path)
        self.path = path if path.is_absolute() else project_dir / path
        self._local = threading.local()
        self._connections: list[apsw.Connection] = []
        self._lock = threading.Lock()
        self._states: dict[tuple[str, int], VersionState] = {}

    def describe(self) -> str:
        return f"SQLite {self.path}"

    # --- connections ------------------------------------------------------------------

    @property
    def conn(self) -> apsw.Connection:
        """One connection per thread: SQLite transactions belong to a connection."""
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._connect()
            self._local.conn = conn
            with self._lock:
                self._connections.append(conn)
        return conn

    def _connect(self) -> apsw.Connection:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = apsw.Connection(str(self.path))
            # Set-up takes no lock on a store that exists, so connecting never waits for
            # another process's write.
            conn.set_busy_timeout(self.config.write_busy_timeout_ms)
            conn.enable_load_extension(True)
            conn.load_extension(sqlite_vec.loadable_path())
            conn.enable_load_extension(False)
            if not conn.execute("select 1 from sqlite_schema limit 1").fetchall():
                # before the first table only (it takes the write lock): dropped versions
                # give their space back
                conn.execute("pragma auto_vacuum = incremental")
            conn.execute("pragma journal_mode = wal")
            conn.execute("pragma synchronous = normal")
            conn.execute("pragma cache_size = -65536")
            conn.execute(_SCHEMA)
            conn.set_busy_timeout(self.config.read_busy_timeout_ms)
        except (OSError, apsw.Error) as error:
            raise StoreUnavailableError(f"SQLite online store {self.path}: {error}") from None
        return conn

    def close(self) -> None:
        with self._lock:
            for conn in self._connections:
                conn.close()
            self._connections.clear()
        self._local = threading.local()

    def ping(self) -> None:
        try:
            self.conn.execute("select 1").fetchall()
        except apsw.Error as error:
            raise StoreUnavailableError(f"SQLite online store {self.path}: {error}") from None

    def _write(self) -> _WriteTransaction:
        return _WriteTransaction(self.conn, self.config, self.path)

    def write_transaction(self) -> _WriteTransaction:
        """A write transaction on this thread's connection, for state kept in the same
        file (featureops.streaming.state_sqlite)."""
        return self._write()

    # --- infrastructure ---------------------------------------------------------------

    def update(self, views: Sequence[str]) -> None:
        for view in views:
            version_table(view, 0)  # validates the name
        self.ping()  # creates the file and the catalog tables

    def teardown(self, views: Sequence[str]) -> None:
        with self._write():
            for view in views:
                versions = [v for (v,) in self.conn.execute(
                    "select version from featureops_versions where view = ?", (view,))]
                for version in versions:
                    self._drop_tables(view, version)
                for table in ("featureops_versions", "featureops_live", "featureops_journal",
                              "featureops_pushed"):
                    self.conn.execute(f"delete from {table} where view = ?", (view,))
        self._vacuum()

    def _drop_tables(self, view: str, version: int) -> None:
        self.conn.execute(f"drop table if exists {version_table(view, version)}")
        state = self._stored_state(view, version)
        for index, spec in enumerate(state.layout.fields) if state else ():
            if spec.kind == "vector":
                self.conn.execute(f"drop table if exists {_vec_table(view, version, index)}")

    def _vacuum(self) -> None:
        with self._write():
            self.conn.execute("pragma incremental_vacuum")

    # --- versions ---------------------------------------------------------------------

    def begin_version(self, view: str, layout: RecordLayout) -> VersionBuild:
        with self._write():
            running = self.conn.execute(
                "select version, heartbeat from featureops_versions where view = ? and "
                "status = 'building' and heartbeat > ?", (view, _now() - BUILD_LOCK_SECONDS),
            ).fetchall()
            if running:
                raise MaterializationInProgressError(
                    f"feature view '{view}' is being materialized by another run (version "
                    f"{running[0][0]} in {self.path}); wait for it to finish, or retry in "
                    f"{BUILD_LOCK_SECONDS} s if that run died"
                )
            (last,) = self.conn.execute(
                "select coalesce(max(version), 0) from featureops_versions where view = ?",
                (view,),
            ).fetchone()
            version = last + 1
            build = VersionBuild(view, str(version), layout)
            state = new_state(build, None, "building", datetime.now(timezone.utc))
            self.conn.execute("insert into featureops_versions values (?, ?, 'building', ?, ?)",
                              (view, version, _now(), state.to_json()))
            self._create_version_tables(view, version, layout)
        return build

    def _create_version_tables(self, view: str, version: int, layout: RecordLayout) -> None:
        self.conn.execute(
            f"create table {version_table(view, version)} (entity_key text primary key, "
            "event_micros integer not null, value blob not null) without rowid"
        )
        metadata = "".join(f", m{i} {_SQL_TYPES[f.kind]}"
                           for i, f in enumerate(filter_fields(layout)))
        for index, spec in enumerate(layout.fields):
            if spec.kind == "vector" and spec.dim:
                self.conn.execute(
                    f"create virtual table {_vec_table(view, version, index)} using vec0("
                    f"entity_key text primary key, embedding float[{spec.dim}] "
                    f"distance_metric=cosine{metadata})"
                )

    def heartbeat(self, build: VersionBuild) -> None:
        with self._write():
            self.conn.execute(
                "update featureops_versions set heartbeat = ? where view = ? and version = ?",
                (_now(), build.view, int(build.version)))

    def write_batch(self, build: VersionBuild, batch: EncodedBatch) -> None:
        table = version_table(build.view, build.version)
        with self._write():
            self.conn.executemany(
                f"insert into {table} values (?, ?, ?)",
                zip(batch.keys.to_pylist(), batch.event_micros.tolist(),
                    batch.values.to_pylist(), strict=True),
            )
            self._index_vectors(build.view, int(build.version), build.layout, batch)
            self.conn.execute(
                "update featureops_versions set heartbeat = ? where view = ? and version = ?",
                (_now(), build.view, int(build.version)))
        build.track(batch)

    def publish_version(self, build: VersionBuild, end_time: datetime | None,
                        mode: str = "full") -> VersionState:
        view, version = build.view, int(build.version)
        with self._write():
            # Pushes cannot interleave: they wait for this transaction's write lock.
            replay = self._unsuperseded_pushes(view, version, build.layout)
            live = self.live_state(view)
            if live is None or live.layout == build.layout:
                # journaled rows were written in the live version's layout
                replay += self.conn.execute(
                    "select entity_key, event_micros, value from featureops_journal "
                    "where view = ? and version = ? order by rowid", (view, version)).fetchall()
            if replay:
                self._upsert_rows(view, version, build.layout, replay)
                build.max_event_micros = max([build.max_event_micros or 0]
                                             + [row[1] for row in replay])
            (rows,) = self.conn.execute(
                f"select count(*) from {version_table(view, version)}").fetchone()
            build.rows = rows
            state = new_state(build, end_time, mode, datetime.now(timezone.utc))
            self.conn.execute("update featureops_versions set status = 'retired' "
                              "where view = ? and status = 'live'", (view,))
            self.conn.execute("update featureops_versions set status = 'live', state = ? "
                              "where view = ? and version = ?", (state.to_json(), view, version))
            self.conn.execute("insert or replace into featureops_live values (?, ?, ?)",
                              (view, version, state.max_event_micros))
            self.conn.execute("delete from featureops_journal where view = ? and version = ?",
                              (view, version))
        return state

    def _unsuperseded_pushes(self, view: str, version: int, layout: RecordLayout
                             ) -> list[tuple[str, int, bytes]]:
        """The push log's records newer than the version's warehouse rows, after dropping
        the entries those rows supersede (strictly newer) and those of another layout."""
        table = version_table(view, version)
        self.conn.execute(
            "delete from featureops_pushed as p where p.view = ? and (p.layout <> ? or "
            f"p.event_micros < (select t.event_micros from {table} as t "
            "where t.entity_key = p.entity_key))", (view, layout.fingerprint))
        return self.conn.execute(
            "select p.entity_key, p.event_micros, p.value from featureops_pushed as p "
            f"where p.view = ? and not exists (select 1 from {table} as t where "
            "t.entity_key = p.entity_key and t.event_micros >= p.event_micros)",
            (view,)).fetchall()

    def abort_version(self, build: VersionBuild) -> None:
        with self._write():
            self._drop_tables(build.view, int(build.version))
            self.conn.execute("delete from featureops_versions where view = ? and version = ?",
                              (build.view, int(build.version)))
            self.conn.execute("delete from featureops_journal where view = ? and version = ?",
                              (build.view, int(build.version)))

    def live_state(self, view: str) -> VersionState | None:
        row = self.conn.execute(
            "select v.state, l.max_event_micros from featureops_live l join featureops_versions "
            "v using (view, version) where l.view = ?", (view,)).fetchone()
        if row is None:
            return None
        state = VersionState.from_json(row[0])
        return VersionState(**{**state.__dict__, "max_event_micros": row[1]})

    def cleanup(self, view: str) -> list[str]:
        with self._write():
            dead = [version for (version,) in self.conn.execute(
                "select version from featureops_versions where view = ? and (status = 'retired' "
                "or (status = 'building' and heartbeat <= ?))",
                (view, _now() - BUILD_LOCK_SECONDS))]
            for version in dead:
                self._drop_tables(view, version)
                self.conn.execute("delete from featureops_versions where view = ? and version = ?",
                                  (view, version))
                self.conn.execute("delete from featureops_journal where view = ? and version = ?",
                                  (view, version))
        if dead:
            self._vacuum()
        return [str(version) for version in dead]

    def _stored_state(self, view: str, version: int) -> VersionState | None:
        row = self.conn.execute("select state from featureops_versions where view = ? and "
                                "version = ?", (view, version)).fetchone()
        return VersionState.from_json(row[0]) if row else None

    # --- upserts (incremental runs, pushes) -------------------------------------------

    def upsert(self, view: str, layout: RecordLayout, batches: Iterable[EncodedBatch],
               end_time: datetime | None = None, *, pushed: bool = True) -> int:
        with self._write():
            live = self.live_state(view)
            check_layout(view, live, layout)
            if live is None:
                live = self._create_live(view, layout)
            version = int(live.version)
            building = [v for (v,) in self.conn.execute(
                "select version from featureops_versions where view = ? and status = 'building'",
                (view,))]
            written = 0
            newest = live.max_event_micros
            for batch in batches:
                rows = list(zip(batch.keys.to_pylist(), batch.event_micros.tolist(),
                                batch.values.to_pylist(), strict=True))
                written += self._upsert_rows(view, version, layout, rows)
                if pushed:  # publishing merges the log: pushes made during a build too
                    fingerprint = layout.fingerprint
                    self.conn.executemany(_LOG_PUSH, ((view, fingerprint, *row)
                                                      for row in rows))
                else:
                    self._journal(view, building, rows)
                batch_newest = batch.max_event_micros()
                if batch_newest is not None:
                    newest = max(batch_newest, newest if newest is not None else batch_newest)
            self.conn.execute("update featureops_live set max_event_micros = ? where view = ?",
                              (newest, view))
            if end_time is not None:
                state = VersionState(**{**live.__dict__, "end_time": end_time,
                                        "mode": "incremental", "max_event_micros": newest})
                self.conn.execute("update featureops_versions set state = ? where view = ? and "
                                  "version = ?", (state.to_json(), view, version))
        return written

    def _journal(self, view: str, building: list[int], rows: list[tuple[str, int, bytes]]
                 ) -> None:
        """Keep an incremental run's rows for the builds running now (their publish
        replays them: the warehouse rows they read may be older)."""
        for build_version in building:
            self.conn.executemany("insert into featureops_journal values (?, ?, ?, ?, ?)",
                                  ((view, build_version, *row) for row in rows))

    def _create_live(self, view: str, layout: RecordLayout) -> VersionState:
        (last,) = self.conn.execute(
            "select coalesce(max(version), 0) from featureops_versions where view = ?",
            (view,)).fetchone()
        build = VersionBuild(view, str(last + 1), layout)
        state = new_state(build, None, "push", datetime.now(timezone.utc))
        self._create_version_tables(view, last + 1, layout)
        self.conn.execute("insert into featureops_versions values (?, ?, 'live', null, ?)",
                          (view, last + 1, state.to_json()))
        self.conn.execute("insert into featureops_live values (?, ?, null)", (view, last + 1))
        return state

    def _upsert_rows(self, view: str, version: int, layout: RecordLayout,
                     rows: list[tuple[str, int, bytes]]) -> int:
        """Newest feature timestamp wins; returns how many rows changed."""
        table = version_table(view, version)
        before = self.conn.total_changes()
        self.conn.executemany(
            f"insert into {table} values (?, ?, ?) on conflict (entity_key) do update set "
            "event_micros = excluded.event_micros, value = excluded.value "
            f"where excluded.event_micros > {table}.event_micros", rows)
        changed = self.conn.total_changes() - before
        if any(f.kind == "vector" and f.dim for f in layout.fields):
            keys = [row[0] for row in rows]
            self._reindex_keys(view, version, layout, keys)
        return changed

    # --- vector indexes ---------------------------------------------------------------

    def _index_vectors(self, view: str, version: int, layout: RecordLayout,
                       batch: EncodedBatch) -> None:
        vectors = [(i, f) for i, f in enumerate(layout.fields) if f.kind == "vector" and f.dim]
        if not vectors or batch.source is None:
            return
        keys = batch.keys.to_pylist()
        metadata = [[_metadata_value(value, f.kind)
                     for value in batch.source.column(f.name).to_pylist()]
                    for f in filter_fields(layout)]
        for index, spec in vectors:
            column = batch.source.column(spec.name)
            rows = [
                (key, np.asarray(vector, dtype=np.float32).tobytes(), *meta)
                for key, vector, *meta in zip(keys, column.to_pylist(), *metadata, strict=True)
                if vector is not None
            ]
            self._insert_vectors(view, version, index, len(metadata), rows)

    def _insert_vectors(self, view: str, version: int, index: int, n_meta: int,
                        rows: Iterable[tuple[Any, ...]]) -> None:
        columns = "".join(f", m{i}" for i in range(n_meta))
        marks = ", ?" * n_meta
        self.conn.executemany(
            f"insert into {_vec_table(view, version, index)} (entity_key, embedding{columns}) "
            f"values (?, ?{marks})", rows)

    def _reindex_keys(self, view: str, version: int, layout: RecordLayout,
                      keys: list[str]) -> None:
        """Rebuild the vector rows of upserted keys from their stored records."""
        codec = RecordCodec(layout)
        meta_fields = filter_fields(layout)
        positions = [layout.fields.index(f) for f in meta_fields]
        stored = dict(self.conn.execute(
            f"select entity_key, value from {version_table(view, version)} where entity_key in "
            "(select value from json_each(?))", (orjson.dumps(keys).decode(),)))
        for index, spec in enumerate(layout.fields):
            if spec.kind != "vector" or not spec.dim:
                continue
            table = _vec_table(view, version, index)
            self.conn.executemany(f"delete from {table} where entity_key = ?",
                                  ((key,) for key in stored))
            rows = []
            for key, record in stored.items():
                values = codec.decode(record)[1]
                if values[index] is not None:
                    rows.append((key, np.asarray(values[index], np.float32).tobytes(),
                                 *(_metadata_value(values[p], layout.fields[p].kind)
                                   for p in positions)))
            self._insert_vectors(view, version, index, len(meta_fields), rows)

    def find_similar(self, view: str, feature: str, vector: np.ndarray, k: int,
                     filters: dict[str, Any] | None = None,
                     fresh: bool = True) -> list[tuple[str, float]]:
        # always fresh: the vec0 indexes change in the writes' own transactions
        try:
            return self._nearest(view, feature, vector, k, filters)
        except apsw.BusyError as error:
            raise StoreUnavailableError(f"SQLite online store {self.path}: {error}") from None

    def _nearest(self, view: str, feature: str, vector: np.ndarray, k: int,
                 filters: dict[str, Any] | None) -> list[tuple[str, float]]:
        with _Transaction(self.conn, "begin"):
            live = self.live_state(view)
            if live is None:
                return []
            spec = vector_field(live.layout, view, feature)
            if not spec.dim:
                raise NotImplementedError(
                    f"{self.name} indexes fixed-size embeddings only; '{view}:{feature}' has a "
                    "variable length (declare it as real[N] in the contract)")
            index = live.layout.fields.index(spec)
            conditions = "".join(f" and m{position} = ?" for position, _, _ in
                                 check_filters(live.layout, view, filters))
            values = [_sqlite_value(value) for _, _, value in
                      check_filters(live.layout, view, filters)]
            rows = self.conn.execute(
                f"select entity_key, distance from {_vec_table(view, live.version, index)} "
                f"where embedding match ? and k = ?{conditions} order by distance",
                (np.asarray(vector, np.float32).tobytes(), k, *values)).fetchall()
        return [(key, float(distance)) for key, distance in rows]

    # --- reads ------------------------------------------------------------------------

    def read(self, requests: Sequence[tuple[str, Sequence[str]]]) -> list[ViewSnapshot]:
        conn = self.conn
        snapshots = []
        try:
            with _Transaction(conn, "begin"):
                for view, keys in requests:
                    snapshots.append(self._read_view(conn, view, keys))
        except apsw.Error as error:
            raise StoreUnavailableError(f"SQLite online store {self.path}: {error}") from None
        return snapshots

    def _read_view(self, conn: apsw.Connection, view: str, keys: Sequence[str]) -> ViewSnapshot:
        pointer = conn.execute("select version, max_event_micros from featureops_live "
                               "where view = ?", (view,)).fetchone()
        if pointer is None:
            return ViewSnapshot(None, [None] * len(keys))
        version, max_event = pointer
        state = self._states.get((view, version))
        if state is None:
            state = self._stored_state(view, version)
            self._states[(view, version)] = state
        table = version_table(view, version)
        if len(keys) == 1:
            row = conn.execute(f"select value from {table} where entity_key = ?",
                               (keys[0],)).fetchone()
            records = [row[0] if row else None]
        else:
            found = dict(conn.execute(
                f"select entity_key, value from {table} where entity_key in "
                "(select value from json_each(?))", (orjson.dumps(list(keys)).decode(),)))
            records = [found.get(key) for key in keys]
        return ViewSnapshot(state, records, max_event)


class _Transaction:
    """``with``-block transaction on an apsw connection (commit, or roll back on error)."""

    def __init__(self, conn: apsw.Connection, begin: str) -> None:
        self.conn, self.begin = conn, begin

    def __enter__(self) -> apsw.Connection:
        self.conn.execute(self.begin)
        return self.conn

    def __exit__(self, exc_type: Any, *_: Any) -> None:
        self.conn.execute("rollback" if exc_type else "commit")


class _WriteTransaction(_Transaction):
    """``begin immediate`` that waits ``write_busy_timeout_ms`` for another writer, then
    raises StoreBusyError; the connection goes back to the short read timeout after."""

    def __init__(self, conn: apsw.Connection, config: SqliteOnlineStoreConfig,
                 path: Path) -> None:
        super().__init__(conn, "begin immediate")
        self.config, self.path = config, path

    def __enter__(self) -> apsw.Connection:
        self.conn.set_busy_timeout(self.config.write_busy_timeout_ms)
        try:
            return super().__enter__()
        except apsw.BusyError:
            self.conn.set_busy_timeout(self.config.read_busy_timeout_ms)
            raise StoreBusyError(
                f"SQLite online store {self.path} is locked by another writer (waited "
                f"{self.config.write_busy_timeout_ms / 1000:g} s); nothing was written, "
                "retry") from None

    def __exit__(self, exc_type: Any, *rest: Any) -> None:
        try:
            super().__exit__(exc_type, *rest)
        finally:
            self.conn.set_busy_timeout(self.config.read_busy_timeout_ms)


# sqlite-vec metadata columns cannot hold NULL: a null feature is stored as a value that no
# accepted filter can equal (filters are finite and type-checked).
_NULL_METADATA = {"int": -(2**63), "float": float("-inf"), "bool": -1, "string": NULL_STRING}


def _metadata_value(value: Any, kind: str) -> Any:
    if value is None:
        return _NULL_METADATA[kind]
    return _sqlite_value(value)


def _sqlite_value(value: Any) -> Any:
    return int(value) if isinstance(value, bool) else value
