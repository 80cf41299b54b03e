"""Kappa replay (``featureops stream replay --from T``): rebuild streaming views' state from
the retained log into a new state version, then make it live in one atomic step.

Per view, ``StreamState.begin_replay`` starts an empty version that live workers feed too
(their batches land in both; event ids make the overlap harmless); the log is read from
arrival time ``T`` to its end when the replay started (JetStream by start time, Redis
Streams by entry-id range), outside the consumer group, through the workers' own batch
processing (validation, dbt's SQL, ``apply_replayed``); then ``publish_replay`` flips the
live pointer. Anything that stops the replay before the flip (an error, Ctrl-C, SIGTERM)
aborts the new version: the old one keeps serving. A replay killed outright (SIGKILL)
leaves its version unpublished, so the old one keeps serving too.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

import pyarrow as pa

from featureops.durations import parse_duration
from featureops.exceptions import FeatureopsError
from featureops.project import Project
from featureops.streaming.state import ApplyResult, StreamState, StreamStateError, open_state
from featureops.streaming.transports import Transport, open_transport
from featureops.streaming.transports.config import StreamingSettings, load_streaming_settings
from featureops.streaming.windows import StreamingView
from featureops.streaming.worker import Pipeline, build_pipelines, process_batch


class ReplayError(FeatureopsError):
    """A replay that cannot start or was stopped (nothing published)."""


def parse_start(text: str, now: datetime | None = None) -> datetime:
    """``--from``: an ISO 8601 time (no offset means UTC) or a duration ago (``2d``);
    a one-line ReplayError naming the option otherwise."""
    now = now or datetime.now(timezone.utc)
    try:
        return now - parse_duration(text)
    except ValueError:
        pass
    try:
        start = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ReplayError(f"--from {text!r} is neither an ISO 8601 time "
                          "(2026-11-01T00:00:00Z) nor a duration ago (90m, 2d)") from None
    start = start if start.tzinfo else start.replace(tzinfo=timezone.utc)
    if start > now:
        raise ReplayError(f"--from {text!r} is in the future; the log holds nothing after now")
    return start


class _IntoReplay:
    """The state as process_batch sees it: each view's rows go to its replay version."""

    def __init__(self, state: StreamState, versions: dict[str, str]) -> None:
        self.state = state
        self.versions = versions

    def apply(self, view: StreamingView, rows: pa.Table) -> ApplyResult:
        return self.state.apply_replayed(view, self.versions[view.name], rows)


@dataclass
class SourceReplay:
    """What the replay read from one source's log."""

    source: str
    messages: int = 0
    applied: int = 0
    duplicates: int = 0
    too_late: int = 0
    not_counted: Counter = field(default_factory=Counter)  # dead-letter reason -> events


def replay_log(project: Project, start: datetime, transport: str | None = None,
               sources: Sequence[str] = (), views: Sequence[str] = (),
               batch_size: int | None = None, console: Any = None,
               on_begin: Callable[[str, str], None] | None = None) -> dict[str, Any]:
    """Replay the log from ``start`` into new state versions of the chosen views (default:
    every streaming view), publish them, and return what was read, per source.
    ``on_begin(view, version)`` is told each version before the log is read (what to
    abort should the process be killed)."""
    from featureops.request_time.lookups import WarehouseLookups

    settings = load_streaming_settings(project, transport)
    if batch_size is not None:
        settings = settings.model_copy(update={"batch_size": batch_size})
    chosen = _chosen_views(project, views)
    pipelines = build_pipelines(project.manifest, chosen, WarehouseLookups(project), settings,
                                sources)
    state = open_state(project)
    versions: dict[str, str] = {}
    published: dict[str, str] = {}
    started = time.monotonic()
    try:
        for view in (v for p in pipelines for v in p.views):
            versions[view.name] = _begin(state, view)
            if on_begin is not None:
                on_begin(view.name, versions[view.name])
        read = asyncio.run(_read_logs(pipelines, settings, _IntoReplay(state, versions),
                                      start, console))
        for pipeline in pipelines:
            for view in pipeline.views:
                state.publish_replay(view, versions[view.name])
                published[view.name] = versions.pop(view.name)
    finally:
        for name, version in versions.items():  # not published: the old version serves
            view = next(v for p in pipelines for v in p.views if v.name == name)
            # a store gone meanwhile keeps the unpublished version: harmless, never live
            with contextlib.suppress(FeatureopsError):
                state.abort_replay(view, version)
        state.close()
        for pipeline in pipelines:
            pipeline.close()
    return {"transport": settings.transport, "from": start.isoformat(),
            "seconds": round(time.monotonic() - started, 3), "published": published,
            "sources": [
                {"source": r.source, "messages": r.messages, "applied": r.applied,
                 "duplicates": r.duplicates, "too_late": r.too_late,
                 "not_counted": dict(r.not_counted)} for r in read]}


def _begin(state: StreamState, view: StreamingView) -> str:
    try:
        return state.begin_replay(view)
    except StreamStateError as error:
        raise ReplayError(f"{error} (a replay killed outright leaves its version behind: "
                          f"`featureops stream replay --abort VERSION --view {view.name}`, "
                          "VERSION from its 'building' line)") from None


def abort_replay(project: Project, view_name: str, version: str) -> None:
    """Drop the unpublished state version of a replay that was killed."""
    (view,) = _chosen_views(project, [view_name])
    state = open_state(project)
    try:
        state.abort_replay(view, version)
    finally:
        state.close()


def _chosen_views(project: Project, names: Sequence[str]) -> list[StreamingView]:
    from featureops.catalog import FeatureCatalog
    from featureops.streaming.windows import streaming_views

    every = streaming_views(project.manifest, FeatureCatalog.from_manifest(project.manifest))
    if not names:
        return every
    by_name = {view.name: view for view in every}
    unknown = [name for name in names if name not in by_name]
    if unknown:
        raise ReplayError(f"--view {', '.join(unknown)}: not a streaming feature view "
                          f"(streaming views: {', '.join(sorted(by_name)) or 'none'})")
    return [by_name[name] for name in dict.fromkeys(names)]


async def _read_logs(pipelines: list[Pipeline], settings: StreamingSettings,
                     target: _IntoReplay, start: datetime, console: Any
                     ) -> list[SourceReplay]:
    transports = [open_transport(settings, p.source) for p in pipelines]
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    progress = _Progress(console, [p.source.name for p in pipelines])
    try:
        with progress:
            results = []
            for pipeline, transport in zip(pipelines, transports, strict=True):
                await transport.connect()
                results.append(await _read_log(pipeline, transport, settings, target, start,
                                               stop, progress))
            _check(stop)  # a signal during the last batch stops it too
            return results
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
        for transport in transports:
            await transport.close()


async def _read_log(pipeline: Pipeline, transport: Transport, settings: StreamingSettings,
                    target: _IntoReplay, start: datetime, stop: asyncio.Event,
                    progress: _Progress) -> SourceReplay:
    report = SourceReplay(pipeline.source.name)
    async for deliveries in transport.read_from(start, settings.batch_size):
        _check(stop)
        # blocking (DuckDB and the store): off the loop, like the workers' batches
        outcome = await asyncio.to_thread(process_batch, pipeline, target, deliveries)
        report.messages += len(deliveries)
        report.applied += outcome.applied
        report.duplicates += outcome.duplicates
        report.too_late += outcome.too_late
        report.not_counted.update(letter.reason for _, letter in outcome.dead)
        progress.advance(report.source, len(deliveries))
    return report


def _check(stop: asyncio.Event) -> None:
    if stop.is_set():
        raise ReplayError("replay stopped by a signal: nothing published, the live state "
                          "keeps serving")


class _Progress:
    """Messages read per source, with rich (nothing without a console)."""

    def __init__(self, console: Any, sources: Sequence[str]) -> None:
        self.bar: Any = None
        self.tasks: dict[str, Any] = {}
        if console is None:
            return
        from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

        self.bar = Progress(SpinnerColumn(), TextColumn("replaying {task.description}: "
                                                        "{task.completed:,.0f} messages"),
                            TimeElapsedColumn(), console=console)
        self.tasks = {name: self.bar.add_task(name, total=None) for name in sources}

    def __enter__(self) -> _Progress:
        if self.bar is not None:
            self.bar.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        if self.bar is not None:
            self.bar.stop()

    def advance(self, source: str, count: int) -> None:
        if self.bar is not None:
            self.bar.advance(self.tasks[source], count)
