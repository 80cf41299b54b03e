"""Helpers for the stream ingest tests: a project directory of their own on a private
subject, its source's log, and a worker over its streaming views."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

from featureops.project import Project
from featureops.request_time.lookups import WarehouseLookups
from featureops.streaming.runner import _views
from featureops.streaming.sources import stream_source
from featureops.streaming.transports import Transport, open_transport
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


SOURCE = "payments_transactions"


def stream_project(directory: Path, build: Any, monkeypatch: pytest.MonkeyPatch,
                   streaming: str, **environment: str) -> Project:
    """A project in ``directory`` (SQLite store there; the ``streaming:`` settings given as
    YAML lines) on ``build``'s manifest and warehouse, publishing under a private subject
    prefix."""
    (directory / "featureops.yml").write_text(
        f"online_store:\n  type: sqlite\n  path: {directory / 'online.db'}\n"
        f"streaming:\n{streaming}")
    (directory / "dbt_project.yml").write_text("name: featureops\nprofile: featureops\n")
    monkeypatch.setenv("FEATUREOPS_DUCKDB_PATH", str(build.duckdb_path))
    monkeypatch.setenv("FEATUREOPS_STREAM_SUBJECT_PREFIX", f"t{uuid.uuid4().hex[:10]}.")
    for name in ("FEATUREOPS_ONLINE_STORE", "FEATUREOPS_STREAM_TRANSPORT"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    return Project.locate(directory, build.manifest_path)


@asynccontextmanager
async def source_log(project: Project) -> AsyncIterator[Transport]:
    """The project's payments_transactions log, connected."""
    transport = open_transport(load_streaming_settings(project),
                               stream_source(project.manifest, SOURCE))
    await transport.connect()
    try:
        yield transport
    finally:
        await transport.close()


async def drop_log(project: Project) -> None:
    async with source_log(project) as transport:
        await transport.delete()
