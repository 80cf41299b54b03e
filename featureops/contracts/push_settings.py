"""Push settings: the ``push`` block of the project config (``vars.featureops.push`` in
dbt_project.yml or ``push:`` in featureops.yml)."""

from __future__ import annotations

from datetime import timedelta

from pydantic import BaseModel, ConfigDict, Field, field_validator

from featureops.durations import parse_duration
from featureops.project import Project
from featureops.settings import load_settings


class PushSettings(BaseModel):
    """What ``featureops push`` and ``POST /push/{view}`` accept."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    max_future_skew: str = Field(
        default="5m", description="How far past the clock of the pushing process an event "
        "time may be (producers' clocks drift); a later one is rejected.")

    @field_validator("max_future_skew")
    @classmethod
    def _duration(cls, value: str) -> str:
        parse_duration(value)  # ValueError: a one-line message naming the field
        return value

    @property
    def future_skew(self) -> timedelta:
        return parse_duration(self.max_future_skew)


def load_push_settings(project: Project) -> PushSettings:
    return load_settings(project, "push", PushSettings)
