"""The online-store plug-in interface (STYLE.md convention 19, Feast's shape).

A store holds, per feature view, immutable *versions* of the view's latest records and a
*live pointer*. Full materialization writes a new version and flips the pointer in one
atomic step, so readers see the old values or the new ones, never a mix; a version whose
writer died is never pointed at and is removed by the next cleanup. Incremental runs and
pushes upsert into the live version atomically per call (a newer feature timestamp wins).
Every push is also kept in the view's *push log* (the newest pushed record per entity), and
publishing a full run merges the log into the new version (newest wins) in the same
atomic step as the flip, so an acknowledged push survives every later materialization
unless the warehouse holds a newer value for its entity; log entries the warehouse has
superseded are dropped then. See docs/decisions/0021-online-versions-and-atomic-writes.md.

Orchestration (batching, progress, retries) lives in ``materialize.py`` and ``push.py``,
never here. See docs/decisions/0020-online-store-interface.md.
"""

from __future__ import annotations

import asyncio
import json
from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np

from featureops.exceptions import FeatureopsError
from featureops.online.encoding import EncodedBatch, datetime_to_micros, micros_to_datetime
from featureops.online.layout import RecordLayout

#: A build whose writer has not touched its lock for this long is considered dead.
BUILD_LOCK_SECONDS = 30


class OnlineStoreError(FeatureopsError):
    """Base class of online-store errors."""


class StoreUnavailableError(OnlineStoreError):
    """The store cannot be reached (Redis down, file unreadable); the reason is the message."""


class StoreBusyError(StoreUnavailableError):
    """The store is up but could not take this call in time (another writer holds the
    SQLite lock, a publish changed the live version under a write); nothing was written
    and retrying shortly succeeds."""


class NodeUnavailableError(StoreUnavailableError):
    """One node of a clustered store cannot be reached (a Redis Cluster master is down or
    restarting): the views it serves are unavailable, the others still answer, so the
    feature server answers 503 for this request without failing the rest."""


class MaterializationInProgressError(OnlineStoreError):
    """Another run is building a version of the same view."""


class LayoutMismatchError(OnlineStoreError):
    """Records do not match the layout of the live version."""


@dataclass(frozen=True)
class VersionState:
    """What a store knows about one version of a view."""

    view: str
    version: str
    layout: RecordLayout
    end_time: datetime | None = None  # materialization end time: the incremental watermark
    rows: int = 0
    max_event_micros: int | None = None  # newest feature timestamp (view freshness)
    created_at: datetime | None = None
    mode: str = "full"

    @property
    def max_event_at(self) -> datetime | None:
        return None if self.max_event_micros is None else micros_to_datetime(self.max_event_micros)

    def to_json(self) -> str:
        return json.dumps({
            "view": self.view,
            "version": self.version,
            "layout": self.layout.to_json(),
            "end_time": self.end_time.isoformat() if self.end_time else None,
            "rows": self.rows,
            "max_event_micros": self.max_event_micros,
            "created_at": self.created_at.isoformat() if self.created_at else None,
            "mode": self.mode,
        }, sort_keys=True)

    @classmethod
    def from_json(cls, text: str | bytes) -> VersionState:
        data = json.loads(text)
        return cls(
            view=data["view"],
            version=data["version"],
            layout=RecordLayout.from_json(data["layout"]),
            end_time=_parse_time(data.get("end_time")),
            rows=data.get("rows", 0),
            max_event_micros=data.get("max_event_micros"),
            created_at=_parse_time(data.get("created_at")),
            mode=data.get("mode", "full"),
        )


def _parse_time(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


@dataclass
class VersionBuild:
    """A version being written by one materialization run (holds the view's build lock)."""

    view: str
    version: str
    layout: RecordLayout
    rows: int = 0
    max_event_micros: int | None = None
    handle: Any = field(default=None, repr=False)  # store-private

    def track(self, batch: EncodedBatch) -> None:
        self.rows += len(batch)
        newest = batch.max_event_micros()
        if newest is not None:
            self.max_event_micros = max(newest, self.max_event_micros or newest)


@dataclass(frozen=True)
class ViewSnapshot:
    """One view's records for the requested keys, all read from the same version."""

    state: VersionState | None  # None: the view was never materialized
    records: list[bytes | None]
    max_event_micros: int | None = None  # freshness of the version at read time


class OnlineStore(ABC):
    """Base class of every online store. Subclasses are ``<Name>OnlineStore`` in
    ``featureops/online/<name>.py`` with a ``<Name>OnlineStoreConfig``."""

    #: True when reads never wait on the network or on writers (a local file in WAL mode
    #: with a busy timeout of milliseconds): a server may then run them on its event loop.
    #: Stores whose reads can wait (a round trip to a server that may hang) keep False and
    #: are read through ``read_async`` with a deadline.
    inline_reads: bool = False
    #: True when views live on nodes that fail independently (a Redis Cluster): one read
    #: missing its deadline says nothing of reads of other views.
    partitioned: bool = False

    def __init__(self, config: Any, project_dir: Path) -> None:
        self.config = config
        self.project_dir = project_dir

    @property
    def name(self) -> str:
        return type(self).__name__

    # --- the four Feast-shaped operations ---------------------------------------------

    @abstractmethod
    def update(self, views: Sequence[str]) -> None:
        """Create whatever the store needs for these views (idempotent)."""

    @abstractmethod
    def write_batch(self, build: VersionBuild, batch: EncodedBatch) -> None:
        """Write records into a version being built (not visible to readers yet)."""

    @abstractmethod
    def read(self, requests: Sequence[tuple[str, Sequence[str]]]) -> list[ViewSnapshot]:
        """For each (view, canonical keys), the live version's records: one consistent
        snapshot per request, never records of two versions."""

    @abstractmethod
    def teardown(self, views: Sequence[str]) -> None:
        """Delete every version, pointer and journal of these views."""

    # --- versions ---------------------------------------------------------------------

    @abstractmethod
    def begin_version(self, view: str, layout: RecordLayout) -> VersionBuild:
        """Start a new version; raise MaterializationInProgressError if one is building."""

    @abstractmethod
    def heartbeat(self, build: VersionBuild) -> None:
        """Keep the build lock alive (called between batches)."""

    @abstractmethod
    def publish_version(self, build: VersionBuild, end_time: datetime | None,
                        mode: str = "full") -> VersionState:
        """Merge every acknowledged push whose record is newer than the version's (the
        push log, including pushes arriving while this runs), then make the version live,
        in one atomic step. Pushes made under another layout are not merged."""

    @abstractmethod
    def abort_version(self, build: VersionBuild) -> None:
        """Drop a version that will not be published and release the lock."""

    @abstractmethod
    def live_state(self, view: str) -> VersionState | None:
        """The live version of a view, or None when it was never materialized."""

    @abstractmethod
    def cleanup(self, view: str) -> list[str]:
        """Delete versions that are neither live nor being built, and push-log entries
        the live version holds a newer record for (unless publishing already dropped
        them); return the deleted versions' ids."""

    @abstractmethod
    def upsert(self, view: str, layout: RecordLayout, batches: Iterable[EncodedBatch],
               end_time: datetime | None = None, *, pushed: bool = True) -> int:
        """Write records into the live version, all batches atomically, a newer feature
        timestamp winning (an equal one is a no-op). Creates the live version when the view
        has none. ``end_time`` advances the incremental watermark in the same step.
        ``pushed`` records (not from the warehouse) also go to the push log in the same
        step, so later full runs keep them; incremental runs pass False.
        Return the number of records that were newer than the stored ones."""

    # --- for event loops ----------------------------------------------------------------

    async def read_async(self, requests: Sequence[tuple[str, Sequence[str]]]
                         ) -> list[ViewSnapshot]:
        """``read`` without blocking the calling event loop: on a worker thread by default;
        stores with an asyncio client override it."""
        return await asyncio.to_thread(self.read, requests)

    async def ping_async(self) -> None:
        """``ping`` without blocking the calling event loop."""
        await asyncio.to_thread(self.ping)

    async def close_async(self) -> None:  # noqa: B027 - optional hook
        """Release connections bound to the running event loop (``read_async``'s)."""

    # --- optional capabilities --------------------------------------------------------

    def find_similar(self, view: str, feature: str, vector: np.ndarray, k: int,
                     filters: dict[str, Any] | None = None,
                     fresh: bool = True) -> list[tuple[str, float]]:
        """The k nearest entity keys to ``vector`` by cosine distance. A store that caches
        a search index may answer from its previous index while a newer one loads when
        ``fresh`` is False (a server does not let one search wait for a reload)."""
        raise NotImplementedError(f"{self.name} does not support similarity search")

    def ping(self) -> None:  # noqa: B027 - optional hook, nothing to check by default
        """Raise StoreUnavailableError when the store cannot be reached."""

    def close(self) -> None:  # noqa: B027 - optional hook, nothing to release by default
        """Release connections."""

    def describe(self) -> str:
        """Where the data lives, for messages (never includes secrets)."""
        return self.name


def check_layout(view: str, live: VersionState | None, layout: RecordLayout) -> None:
    """Refuse records whose layout differs from the live version's."""
    if live is not None and live.layout != layout:
        raise LayoutMismatchError(
            f"feature view '{view}': the records' columns or types differ from the live "
            f"version {live.version} ({', '.join(live.layout.feature_names)}); run "
            f"`featureops materialize --select {view} --full` after changing the contract"
        )


def new_state(build: VersionBuild, end_time: datetime | None, mode: str,
              created_at: datetime) -> VersionState:
    return VersionState(view=build.view, version=build.version, layout=build.layout,
                        end_time=end_time, rows=build.rows,
                        max_event_micros=build.max_event_micros, created_at=created_at,
                        mode=mode)


def micros_or_none(value: datetime | None) -> int | None:
    return None if value is None else datetime_to_micros(value)
