"""What ``featureops stream run|status|publish`` do, apart from rendering: starting
workers with signal handling and a live display, reading every source's lag, publishing
a file's events."""

from __future__ import annotations

import asyncio
import signal
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import orjson

from featureops.exceptions import FeatureopsError
from featureops.project import Project
from featureops.streaming.events import encode_event
from featureops.streaming.sources import StreamSource, stream_source, stream_sources
from featureops.streaming.transports import Lag, Transport, open_transport
from featureops.streaming.transports.config import StreamingSettings, load_streaming_settings
from featureops.streaming.worker import Pipeline, Worker, build_pipelines, dead_letter_reasons

#: Dead letters read to count reasons by (the newest).
REASON_SAMPLE = 1000
_PUBLISH_CHUNK = 1000


def _views(project: Project) -> list[Any]:
    from featureops.catalog import FeatureCatalog
    from featureops.streaming.windows import streaming_views

    manifest = project.manifest
    return streaming_views(manifest, FeatureCatalog.from_manifest(manifest))


def run_workers(project: Project, transport: str | None = None, sources: Sequence[str] = (),
                batch_size: int | None = None, until_idle: bool = False,
                display: Any = None) -> dict[str, Any]:
    """Run a worker over the project's streaming views until stopped (or idle); return
    its counters per source."""
    from featureops.request_time.lookups import WarehouseLookups
    from featureops.streaming.state import open_state

    settings = load_streaming_settings(project, transport)
    if batch_size is not None:
        settings = settings.model_copy(update={"batch_size": batch_size})
    pipelines = build_pipelines(project.manifest, _views(project), WarehouseLookups(project),
                                settings, sources)
    state = open_state(project)
    try:
        seconds = asyncio.run(_run(pipelines, settings, state, until_idle, display))
    finally:
        state.close()
        for pipeline in pipelines:
            pipeline.close()
    # seconds: from the worker's start (connected, lookups copied) to its end
    return {"transport": settings.transport, "seconds": round(seconds, 3), "sources": [
        {"source": p.source.name, "received": p.stats.received, "applied": p.stats.applied,
         "duplicates": p.stats.duplicates, "too_late": p.stats.too_late,
         "deferred": p.stats.deferred, "dead_letters": p.stats.dead_letters,
         "failed_batches": p.stats.failed_batches,
         "last_event_time": _iso(p.stats.last_event_time)} for p in pipelines]}


async def _run(pipelines: list[Pipeline], settings: StreamingSettings, state: Any,
               until_idle: bool, display: Any) -> float:
    transports = [open_transport(settings, p.source) for p in pipelines]
    try:
        for transport in transports:
            await transport.connect()
        worker = Worker(pipelines, transports, state, settings)
        loop = asyncio.get_running_loop()

        def stop() -> None:
            worker.stop.set()
            for sig in (signal.SIGINT, signal.SIGTERM):  # a second signal acts at once
                loop.remove_signal_handler(sig)

        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop)
        if display is None:
            await worker.run(until_idle)
        else:
            await _with_display(worker, until_idle, display)
        return time.monotonic() - worker.started
    finally:
        for transport in transports:
            await transport.close()


async def _with_display(worker: Worker, until_idle: bool, console: Any) -> None:
    """Run the worker under a live table of progress and lag, refreshed every second."""
    from rich.live import Live

    with Live(_progress_table(worker, {}), console=console, refresh_per_second=2) as live:
        running = asyncio.ensure_future(worker.run(until_idle))
        while not running.done():
            lags = {}
            for pipeline, transport in zip(worker.pipelines, worker.transports, strict=True):
                try:
                    lags[pipeline.source.name] = await transport.lag()
                except Exception:  # noqa: BLE001 - the display must not stop the worker
                    continue
            live.update(_progress_table(worker, lags))
            await asyncio.wait([running], timeout=1.0)
        live.update(_progress_table(worker, {}))
        running.result()


def _progress_table(worker: Worker, lags: dict[str, Lag]) -> Any:
    from featureops.cli.options import new_table

    elapsed = max(time.monotonic() - worker.started, 1e-9)
    table = new_table(title="featureops stream run" + (" (stopping)" if worker.stop.is_set()
                                                        else ""))
    for column in ("source", "received", "applied", "duplicates", "too late", "dead letters",
                   "events/s", "lag", "last event time"):
        table.add_column(column)
    for pipeline in worker.pipelines:
        stats = pipeline.stats
        lag = lags.get(pipeline.source.name)
        table.add_row(pipeline.source.name, str(stats.received), str(stats.applied),
                      str(stats.duplicates), str(stats.too_late), str(stats.dead_letters),
                      f"{stats.received / elapsed:.0f}", "-" if lag is None else str(lag.pending),
                      _iso(stats.last_event_time) or "-")
    return table


def source_status(project: Project, transport: str | None = None,
                  interval: float = 1.0) -> list[dict[str, Any]]:
    """Every declared stream source's log and group, read twice ``interval`` apart."""
    settings = load_streaming_settings(project, transport)
    sources = stream_sources(project.manifest)
    if not sources:
        raise FeatureopsError(f"{project.manifest.path}: no stream source is declared "
                              "(meta.featureops.stream on a dbt source table)")
    return asyncio.run(_status(settings, list(sources.values()), interval))


async def _status(settings: StreamingSettings, sources: list[StreamSource],
                  interval: float) -> list[dict[str, Any]]:
    transports = [open_transport(settings, source) for source in sources]
    try:
        for transport in transports:
            await transport.connect()
        first = [await t.lag() for t in transports]
        started = time.monotonic()
        await asyncio.sleep(interval)
        second = [await t.lag() for t in transports]
        elapsed = time.monotonic() - started
        rows = []
        for transport, before, after in zip(transports, first, second, strict=True):
            reasons = dead_letter_reasons(await transport.dead_letters(REASON_SAMPLE))
            rows.append({
                "source": transport.source.name, "transport": settings.transport,
                "where": transport.describe(), "messages": after.messages,
                "lag": after.pending, "unacked": after.unacked,
                "events_per_second": max(0, after.acked_position - before.acked_position)
                / elapsed,
                "last_event_time": _event_time(after.last_acked, transport.source),
                "last_published_at": _iso(after.last_published_at),
                "workers": after.consumers, "dead_letters": after.dead_letters,
                "dead_letter_reasons": reasons})
        return rows
    finally:
        for transport in transports:
            await transport.close()


def _event_time(payload: bytes | None, source: StreamSource) -> str | None:
    if not payload:
        return None
    try:
        value = orjson.loads(payload).get(source.event_time)
    except (orjson.JSONDecodeError, AttributeError):
        return None
    return value if isinstance(value, str) else None


def publish_file(project: Project, path: Path, transport: str | None = None,
                 source: str | None = None, offset: int = 0, limit: int | None = None,
                 rate: float | None = None) -> dict[str, Any]:
    """Publish the events of a JSON-lines or Parquet file to a source's log."""
    settings = load_streaming_settings(project, transport)
    chosen = _publish_source(project, source)
    payloads = read_events(path, offset, limit)
    where = asyncio.run(_publish(open_transport(settings, chosen), payloads, rate))
    return {"source": chosen.name, "published": len(payloads), "where": where}


def _publish_source(project: Project, name: str | None) -> StreamSource:
    if name is not None:
        return stream_source(project.manifest, name)
    sources = stream_sources(project.manifest)
    if len(sources) != 1:
        raise FeatureopsError(f"pass --source: the project declares {len(sources)} stream "
                              f"sources ({', '.join(sorted(sources)) or 'none'})")
    return next(iter(sources.values()))


def read_events(path: Path, offset: int = 0, limit: int | None = None) -> list[bytes]:
    """The events of a file as the payloads a producer sends."""
    end = None if limit is None else offset + limit
    if path.suffix.lower() == ".parquet":
        import pyarrow.parquet as pq

        try:
            table = pq.read_table(path)
        except OSError as error:
            raise FeatureopsError(f"cannot read {path}: {error}") from None
        return [encode_event(row) for row in table.slice(offset, None if end is None else
                                                         limit).to_pylist()]
    try:
        lines = path.read_bytes().splitlines()
    except OSError as error:
        raise FeatureopsError(f"cannot read {path}: {error.strerror or error}") from None
    return [line for line in lines if line.strip()][offset:end]


async def _publish(transport: Transport, payloads: list[bytes], rate: float | None) -> str:
    await transport.connect()
    try:
        if rate is None:
            await transport.publish(payloads)
            return transport.describe()
        chunk = max(1, int(rate / 10))
        started = time.monotonic()
        for sent in range(0, len(payloads), chunk):
            await transport.publish(payloads[sent:sent + chunk])
            ahead = (sent + chunk) / rate - (time.monotonic() - started)
            if ahead > 0:
                await asyncio.sleep(ahead)
        return transport.describe()
    finally:
        await transport.close()


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None
