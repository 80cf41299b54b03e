"""``featureops materialize``: the latest row per entity within ttl, as of an end time,
from the warehouse into the online store.

Full runs write a new version and publish it atomically (readers never see a mix; a run
killed midway leaves the previous version serving; the next run removes the orphan).
Incremental runs read only rows newer than the live version's watermark (the previous
run's end time) and upsert them into the live version in one atomic step; they fall back
to a full run when there is no live version or the view's columns changed.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from rich.console import Console
from rich.progress import BarColumn, Progress, ProgressColumn, Task, TextColumn, TimeElapsedColumn
from rich.text import Text

from featureops.catalog import FeatureCatalog, FeatureView
from featureops.exceptions import FeatureopsError
from featureops.online.base import OnlineStore, VersionBuild
from featureops.online.config import open_online_store
from featureops.online.encoding import EncodedBatch, to_utc
from featureops.online.layout import RecordLayout, layout_from_schema
from featureops.online.pipeline import encoded, prefetch
from featureops.online.warehouse import Warehouse, Window, default_end_time
from featureops.project import Project

if TYPE_CHECKING:
    from featureops.streaming.batch_edge import BatchEdges

Mode = Literal["full", "incremental"]
DEFAULT_BATCH_SIZE = 65_536


class NotOnlineError(FeatureopsError):
    """A selected feature view is not marked ``online: true``."""


@dataclass
class MaterializeResult:
    view: str
    mode: str  # full | incremental | up_to_date
    rows: int = 0
    version: str | None = None
    seconds: float = 0.0
    removed_versions: list[str] = field(default_factory=list)
    note: str = ""

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds if self.seconds > 0 else 0.0


def online_views(catalog: FeatureCatalog, select: Sequence[str] = ()) -> list[FeatureView]:
    """The selected views (all online views when none), each checked to be online."""
    if not select:
        return [view for view in catalog.views.values() if view.spec.online]
    views = []
    for name in select:
        view = catalog.view(name)
        if not view.spec.online:
            raise NotOnlineError(
                f"feature view '{name}' is not online: set meta.featureops.online: true in "
                f"{view.model.yaml_path or view.model.original_file_path}"
            )
        views.append(view)
    return views


def materialize(project: Project, *, select: Sequence[str] = (), mode: Mode = "full",
                end_time: datetime | None = None, store: OnlineStore | None = None,
                batch_size: int = DEFAULT_BATCH_SIZE, progress: bool = True,
                console: Console | None = None,
                warehouse: str | Path | None = None) -> list[MaterializeResult]:
    """Materialize the selected online views; return one result per view."""
    views = online_views(FeatureCatalog.from_manifest(project.manifest), select)
    end = to_utc(end_time or default_end_time())
    own_store = store is None
    store = store or open_online_store(project)
    # imported here: streaming imports the online store, never the other way at import
    # time (an import cycle otherwise)
    from featureops.streaming.batch_edge import BatchEdges

    edges = BatchEdges(project, store.config)
    try:
        with Warehouse.for_project(project, warehouse) as source, \
                _progress(console, progress) as bar:
            return [_materialize_view(view, source, store, mode, end, batch_size, bar, edges)
                    for view in views]
    finally:
        edges.close()
        if own_store:
            store.close()


def _materialize_view(view: FeatureView, warehouse: Warehouse, store: OnlineStore,
                      mode: Mode, end: datetime, batch_size: int,
                      bar: Progress, edges: BatchEdges) -> MaterializeResult:
    started = time.perf_counter()
    where = f"feature view '{view.name}'"
    features = tuple(f.name for f in view.features)
    layout = layout_from_schema(warehouse.schema(view), view.entities, features,
                                vector_dtype=store.config.embedding_dtype, where=f"{where}: ")
    store.update([view.name])
    live = store.live_state(view.name)
    note = ""
    if mode == "incremental":
        if live is None or live.end_time is None or live.layout != layout:
            reason = ("no materialized version" if live is None or live.end_time is None
                      else "its columns changed")
            mode, note = "full", f"full run: {reason}"
        elif end <= live.end_time:
            return MaterializeResult(view.name, "up_to_date", version=live.version,
                                     note=f"watermark {live.end_time:%Y-%m-%d %H:%M:%S} "
                                          "is not before the end time")
    window = Window.for_view(view, end, live.end_time if mode == "incremental" and live else None)
    columns = (*view.entities, view.timestamp, *features)
    query = warehouse.latest_query(view, window, columns)
    # the count is a second pass over the window: only for a bar that is shown
    total = None if bar.disable else warehouse.count_entities(view, window)
    task = bar.add_task(view.name, total=total)
    batches = _advancing(prefetch(encoded(warehouse.batches(query, batch_size, view), layout,
                                          view.timestamp, where)), bar, task)
    if mode == "incremental":
        rows = store.upsert(view.name, layout, batches, end_time=end, pushed=False)
        result = MaterializeResult(view.name, mode, rows, live.version if live else None)
    else:
        streaming = edges.streaming(view)
        # a streaming view's version carries its batch edge, stored before the flip
        before_publish = None if streaming is None else (
            lambda version: edges.write(streaming, view, warehouse, version, end))
        result = _full(view.name, store, layout, batches, end, before_publish)
        if streaming is not None:
            edges.prune(streaming, [v for v in (result.version, live and live.version) if v])
    result.seconds = time.perf_counter() - started
    result.note = note
    result.removed_versions = store.cleanup(view.name)
    return result


def _full(view: str, store: OnlineStore, layout: RecordLayout, batches: Iterable[EncodedBatch],
          end: datetime, before_publish: Callable[[str], object] | None = None
          ) -> MaterializeResult:
    build = store.begin_version(view, layout)
    try:
        for batch in batches:
            store.write_batch(build, batch)
        if before_publish is not None:
            before_publish(build.version)
        state = store.publish_version(build, end, "full")
    except BaseException:
        _abort_quietly(store, build)
        raise
    return MaterializeResult(view, "full", state.rows, state.version)


def _abort_quietly(store: OnlineStore, build: VersionBuild) -> None:
    """Drop a failed build; if even that fails, the next run's cleanup will."""
    with contextlib.suppress(Exception):  # the original error is the one to report
        store.abort_version(build)


def _advancing(batches: Iterator[EncodedBatch], bar: Progress, task: int
               ) -> Iterator[EncodedBatch]:
    for batch in batches:
        yield batch
        bar.advance(task, len(batch))


class _RateColumn(ProgressColumn):
    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text(f"{speed:,.0f} rows/s" if speed else "", style="progress.data.speed")


def _progress(console: Console | None, enabled: bool) -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"), BarColumn(),
        TextColumn("{task.completed:,}/{task.total:,} rows"), _RateColumn(), TimeElapsedColumn(),
        console=console, disable=not enabled, transient=False,
    )
