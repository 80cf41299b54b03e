"""Thresholds of ``featureops advise``: ``vars.featureops.advise`` in dbt_project.yml (or
``advise:`` in featureops.yml). Each default is documented rule by rule in docs/advise.md."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from featureops.durations import parse_duration
from featureops.exceptions import FeatureopsError
from featureops.project import Project
from featureops.settings import load_settings
from featureops.spec import Duration

GIB = 1024 ** 3


class AdviseConfigError(FeatureopsError):
    """The advise settings or one of its inputs cannot be read."""


class AdviseSettings(BaseModel):
    """``vars.featureops.advise``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # architecture
    batch_interval: Duration = Field(
        default="1h", description="Shortest schedule the batch pipeline (dbt build + "
                                  "materialize) runs on.")
    stream_first_below: Duration = Field(
        default="5m", description="SLA at or under which a stream-first (Kappa) design is "
                                  "considered.")
    min_events_per_sla: float = Field(
        default=1.0, ge=0, description="New feature rows expected within one SLA period "
                                       "below which a fresher pipeline has nothing to deliver.")
    event_rate_window: Duration = Field(
        default="7d", description="Window before the newest feature timestamp over which the "
                                  "row rate is measured.")
    late_after: Duration = Field(
        default="1m", description="A row is late when its created_timestamp is more than "
                                  "this after its timestamp (the view's "
                                  "streaming.allowed_lateness wins).")
    max_late_share: float = Field(
        default=0.01, ge=0, le=1, description="Late share at or under which a stream alone "
                                              "is trusted (Kappa).")
    # online store
    sqlite_max_bytes: int = Field(default=8 * GIB, gt=0,
                                  description="Record bytes one SQLite file serves well.")
    sqlite_max_read_qps: float = Field(default=2_000, gt=0,
                                       description="Lookups per second for one SQLite host.")
    sqlite_max_write_qps: float = Field(default=200, gt=0,
                                        description="Pushes per second SQLite's single writer "
                                                    "takes without blocking.")
    sqlite_max_stream_qps: float = Field(
        default=5_000, gt=0, description="Stream events per second one SQLite file takes "
        "(workers apply them in batches, one transaction each: benchmarks/bench_stream.py "
        "measured 20k/s for one worker; half of that, and half again for other writers).")
    redis_node_bytes: int = Field(default=16 * GIB, gt=0,
                                  description="maxmemory of one Redis node.")
    redis_headroom: float = Field(default=0.3, ge=0, lt=1,
                                  description="Share of a node's memory kept free.")
    redis_max_qps_per_node: float = Field(default=50_000, gt=0,
                                          description="Lookups per second one Redis node "
                                                      "serves.")
    redis_key_overhead_bytes: int = Field(
        default=64, ge=0, description="Per-key bytes Redis adds to a record (dict entry, "
                                      "object and key headers) when sizes come from SQLite.")
    redis_fragmentation: float = Field(default=1.2, ge=1,
                                       description="Allocator overhead on the data.")
    # warehouse
    max_build_seconds: float = Field(default=1800, gt=0,
                                     description="dbt build time above which one node is "
                                                 "outgrown.")
    single_node_max_bytes: int = Field(default=1024 * GIB, gt=0,
                                       description="Warehouse size above which one node is "
                                                   "outgrown.")

    def seconds(self, name: str) -> float:
        """A duration setting in seconds."""
        return parse_duration(getattr(self, name)).total_seconds()

    def delta(self, name: str) -> timedelta:
        return parse_duration(getattr(self, name))

    def to_dict(self) -> dict[str, Any]:
        return self.model_dump()


def load_advise_settings(project: Project) -> AdviseSettings:
    """The project's advise thresholds, or a one-line error naming the file and field."""
    return load_settings(project, "advise", AdviseSettings, AdviseConfigError)
