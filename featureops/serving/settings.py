"""Serving settings: the ``serving`` block of the project config (``vars.featureops.serving``
in dbt_project.yml or ``serving:`` in featureops.yml). Tokens never live here: they come
from ``FEATUREOPS_SERVE_TOKEN`` (comma-separated to allow rotation)."""

from __future__ import annotations

import os

from pydantic import BaseModel, ConfigDict, Field

from featureops.online.config import OnlineConfigError
from featureops.project import Project
from featureops.settings import load_settings

TOKEN_ENV = "FEATUREOPS_SERVE_TOKEN"


class ServingSettings(BaseModel):
    """Limits, logging and plug-ins of ``featureops serve``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    max_entities: int = Field(default=1000, ge=1, description="Entities per request.")
    max_body_bytes: int = Field(default=1_048_576, ge=1024, description="Request body size.")
    max_k: int = Field(default=1000, ge=1, description="Largest k of /similar.")
    log_sample_rate: float = Field(default=1.0, ge=0.0, le=1.0,
                                   description="Share of requests written to the serving log.")
    log_dir: str | None = Field(default=None, description="Serving log directory.")
    log_flush_seconds: float = Field(default=5.0, gt=0, description="Serving log flush period.")
    log_buffer_bytes: int = Field(
        default=8 << 20, ge=0, description="Bytes of responses waiting for the serving "
        "log's writer process (beyond the pipe's 1 MiB); past it responses are dropped from "
        "the log (counted), never waited for.")
    store_retry_seconds: float = Field(
        default=1.0, ge=0, description="After the store fails, answer 503 without retrying "
        "for this long (fast failure while it is down).")
    store_timeout_seconds: float = Field(
        default=0.5, gt=0, description="Longest wait for a lookup from a store whose reads "
        "can wait (Redis); past it the request gets 503 and the circuit opens.")
    store_threads: int = Field(default=8, ge=1, le=256, description="Threads for store calls "
                               "that can take long (similarity searches, pushes).")
    header_timeout_seconds: float = Field(
        default=10.0, gt=0, description="Close a connection whose request headers are not "
        "complete this long after it opened (or after its next request began).")
    # Longer than the idle timeout of common client pools and load balancers (60 s), so a
    # pooled client's connection is never closed under it between bursts; uvicorn's 5 s
    # broke them. Half-open connections are bounded by header_timeout_seconds instead.
    keep_alive_seconds: float = Field(default=75.0, gt=0, description="Close a keep-alive "
                                      "connection idle this long between requests.")
    opentelemetry: bool = Field(
        default=False, description="FastAPI's native OpenTelemetry spans, metrics and logs "
        "(with an OpenTelemetry SDK provider configured); off, FastAPI does not look for "
        "providers on every request (about 10 µs each). /metrics is always on.")
    bundles_dir: str | None = Field(
        default=None, description="Folder of the model bundles requests may name "
        "('bundle': ID), relative to the project; default 'bundles'. "
        "FEATUREOPS_BUNDLES_DIR overrides it.")
    routers: list[str] = Field(default_factory=list,
                               description="Extra routers: 'package.module:factory'.")


def load_serving_settings(project: Project) -> ServingSettings:
    return load_settings(project, "serving", ServingSettings, OnlineConfigError)


def configured_tokens() -> tuple[str, ...]:
    """Accepted bearer tokens (empty: auth off)."""
    raw = os.environ.get(TOKEN_ENV, "")
    return tuple(token.strip() for token in raw.split(",") if token.strip())
