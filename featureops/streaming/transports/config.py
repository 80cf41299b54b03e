"""The ``streaming`` settings block: which log server the workers read, how they batch and
when a message counts as abandoned. In ``featureops.yml`` (top-level ``streaming:``) or
``vars: featureops: streaming:`` in dbt_project.yml::

    streaming:
      transport: nats          # nats (JetStream) | redis (Redis Streams)
      group: featureops        # consumer group: workers sharing it share the messages
      ack_wait: 30s            # a message unacknowledged this long goes to another worker
      batch_size: 500
      max_wait_ms: 200         # how long a worker waits to fill a batch
      max_deliveries: 20       # then the message is dead-lettered (0: never)
      max_future_skew: 5m      # event times further ahead of the clock are refused
      subject_prefix: ""       # e.g. "staging." to keep environments apart on one server

Connection settings come from the environment only (``FEATUREOPS_NATS_URL``,
``FEATUREOPS_STREAM_REDIS_URL``; names configurable), never from committed files.
``FEATUREOPS_STREAM_TRANSPORT`` overrides ``transport``, ``FEATUREOPS_STREAM_SUBJECT_PREFIX``
``subject_prefix``.
"""

from __future__ import annotations

import os
import re
from datetime import timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from featureops.durations import parse_duration
from featureops.exceptions import FeatureopsError
from featureops.project import Project
from featureops.settings import load_settings
from featureops.spec import Duration, Identifier

TRANSPORT_ENV = "FEATUREOPS_STREAM_TRANSPORT"
PREFIX_ENV = "FEATUREOPS_STREAM_SUBJECT_PREFIX"
_PREFIX = re.compile(r"([A-Za-z0-9_-]+\.)*")
TRANSPORTS = ("nats", "redis")


class StreamingSettingsError(FeatureopsError):
    """The streaming settings block is invalid (message names the file and key)."""


class StreamingSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    transport: Literal["nats", "redis"] = "nats"
    group: Identifier = "featureops"
    ack_wait: Duration = "30s"
    batch_size: int = Field(default=500, ge=1, le=10_000)
    max_wait_ms: int = Field(default=200, ge=1, le=60_000)
    max_deliveries: int = Field(default=20, ge=0)
    max_future_skew: Duration = "5m"
    nats_url_env: str = "FEATUREOPS_NATS_URL"
    redis_url_env: str = "FEATUREOPS_STREAM_REDIS_URL"
    subject_prefix: str = ""

    @property
    def ack_wait_seconds(self) -> float:
        return parse_duration(self.ack_wait).total_seconds()

    @property
    def max_future(self) -> timedelta:
        return parse_duration(self.max_future_skew)


def load_streaming_settings(project: Project, transport: str | None = None
                            ) -> StreamingSettings:
    """The project's settings; ``transport`` (a CLI option) or the environment override."""
    settings = load_settings(project, "streaming", StreamingSettings, StreamingSettingsError)
    chosen = transport or os.environ.get(TRANSPORT_ENV)
    if chosen:
        if chosen not in TRANSPORTS:
            raise StreamingSettingsError(f"transport '{chosen}' is not one of "
                                         f"{', '.join(TRANSPORTS)} ({TRANSPORT_ENV} or "
                                         "--transport)")
        settings = settings.model_copy(update={"transport": chosen})
    prefix = os.environ.get(PREFIX_ENV, settings.subject_prefix)
    if not _PREFIX.fullmatch(prefix):
        raise StreamingSettingsError(f"subject prefix '{prefix}' must be dot-terminated "
                                     "tokens of letters, digits, _ and - (e.g. 'staging.')")
    return settings.model_copy(update={"subject_prefix": prefix})
