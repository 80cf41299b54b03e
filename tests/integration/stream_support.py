"""Helpers for the stream ingest tests: a worker over a project's streaming views, its
transports connected, closed afterwards."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from featureops.project import Project
from featureops.request_time.lookups import WarehouseLookups
from featureops.streaming.runner import _views
from featureops.streaming.transports import open_transport
from featureops.streaming.transports.config import load_streaming_settings
from featureops.streaming.worker import Worker, build_pipelines


@asynccontextmanager
async def started_worker(project: Project, state: Any) -> AsyncIterator[Worker]:
    """A Worker for every source of the project's streaming views (not running yet)."""
    settings = load_streaming_settings(project)
    pipelines = build_pipelines(project.manifest, _views(project), WarehouseLookups(project),
                                settings)
    transports = [open_transport(settings, p.source) for p in pipelines]
    try:
        for transport in transports:
            await transport.connect()
        yield Worker(pipelines, transports, state, settings)
    finally:
        for transport in transports:
            await transport.close()
        for pipeline in pipelines:
            pipeline.close()
