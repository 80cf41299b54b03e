"""Alert settings: the ``alerts`` block of the project config (``vars.featureops.alerts`` in
dbt_project.yml or ``alerts:`` in featureops.yml).

Nothing secret is written here. A webhook's URL (a Slack incoming-webhook URL is itself a
credential), its extra header values and its signing secret are *names of environment
variables*, read when an alert is sent; a literal ``url`` is refused, so the URL is never
committed. A command hook's argv is not secret; what it needs it reads from its
environment.
"""

from __future__ import annotations

import re
import shlex
from datetime import timedelta
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from featureops.durations import parse_duration
from featureops.exceptions import FeatureopsError
from featureops.project import Project
from featureops.settings import load_settings

Level = Literal["warning", "critical"]
#: Worse to the right.
LEVEL_RANK = {"warning": 1, "critical": 2}
ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class AlertConfigError(FeatureopsError):
    """The alerts settings are invalid."""


def _env_name(value: str) -> str:
    if "://" in value:
        raise ValueError("name the environment variable that holds the URL, not the URL "
                         "itself (it must never be committed)")
    if not ENV_NAME.fullmatch(value):
        raise ValueError(f"'{value}' is not an environment variable name")
    return value


def _duration(value: str) -> str:
    parse_duration(value)  # ValueError: one line naming the field
    return value


class _Channel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str | None = Field(default=None, description="Names the channel in messages and in "
                             "the suppression state [default: its type, numbered if repeated].")
    min_level: Level | None = Field(default=None, description="Least level sent to this "
                                    "channel [default: alerts.min_level].")


class _UrlChannel(_Channel):
    url_env: str = Field(description="Environment variable holding the URL.")

    @model_validator(mode="before")
    @classmethod
    def _no_literal_url(cls, data: Any) -> Any:
        if isinstance(data, dict) and "url" in data:
            raise ValueError("url: a webhook URL is a secret: put it in an environment "
                             "variable and give that variable's name as url_env")
        return data

    _check_url_env = field_validator("url_env")(_env_name)


class WebhookChannel(_UrlChannel):
    """POST of the documented JSON body (docs/alerts.md)."""

    type: Literal["webhook"]
    headers_env: dict[str, str] = Field(
        default_factory=dict, description="Extra headers: header name -> environment "
        "variable holding its value (e.g. Authorization: ALERTS_AUTH_HEADER).")
    secret_env: str | None = Field(
        default=None, description="Environment variable holding an HMAC-SHA256 key: the "
        "body is signed in X-Featureops-Signature-256.")

    @field_validator("headers_env")
    @classmethod
    def _header_envs(cls, value: dict[str, str]) -> dict[str, str]:
        for header, env in value.items():
            if not re.fullmatch(r"[A-Za-z0-9-]+", header):
                raise ValueError(f"'{header}' is not an HTTP header name")
            _env_name(env)
        return value

    @field_validator("secret_env")
    @classmethod
    def _secret_env(cls, value: str | None) -> str | None:
        return None if value is None else _env_name(value)


class SlackChannel(_UrlChannel):
    """POST of a Slack incoming-webhook body (``text`` + ``blocks``)."""

    type: Literal["slack"]


class CommandChannel(_Channel):
    """A program run once per message, the JSON body on its stdin (no shell)."""

    type: Literal["command"]
    command: list[str] = Field(min_length=1, description="argv, or one string split like a "
                               "shell would (no shell runs it); relative to the project.")

    @field_validator("command", mode="before")
    @classmethod
    def _split(cls, value: Any) -> Any:
        return shlex.split(value) if isinstance(value, str) else value


Channel = Annotated[WebhookChannel | SlackChannel | CommandChannel,
                    Field(discriminator="type")]


class ServerAlerts(BaseModel):
    """What the feature server alerts on, from the values it answers."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = Field(default=True, description="Alert from featureops serve.")
    interval: str = Field(default="1m", description="How often the served values are judged.")
    max_outside_ttl_share: float = Field(
        default=0.5, gt=0, le=1, description="Share of a view's values served outside its "
        "ttl in one interval from which it alerts (single old entities are normal).")

    _check_interval = field_validator("interval")(_duration)

    @property
    def interval_seconds(self) -> float:
        return parse_duration(self.interval).total_seconds()


class AlertSettings(BaseModel):
    """``vars.featureops.alerts`` (or ``alerts:`` in featureops.yml)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = Field(default=True, description="Deliver by default (--alert/--no-alert "
                          "override it per run).")
    channels: list[Channel] = Field(default_factory=list)
    min_level: Level = Field(default="warning", description="Least level delivered.")
    suppress_for: str = Field(default="4h", description="A standing problem is sent again "
                              "at most this often (sooner if its level rises).")
    state: str = Field(default="data/alerts/state.json",
                       description="Suppression state, relative to the project.")
    timeout_seconds: float = Field(default=5.0, gt=0, le=120,
                                   description="Per attempt, per message.")
    retries: int = Field(default=2, ge=0, le=10, description="Further attempts after a "
                         "failure that may pass (timeouts, 5xx, 429, a command's exit).")
    backoff_seconds: float = Field(default=1.0, ge=0, le=60,
                                   description="Wait before the first retry; doubled each time.")
    fail_on_delivery_error: bool = Field(
        default=False, description="Exit 2 when a message could not be delivered (by "
        "default a warning only: the check's exit code is unchanged).")
    server: ServerAlerts = Field(default_factory=ServerAlerts)

    _check_suppress = field_validator("suppress_for")(_duration)

    @model_validator(mode="after")
    def _unique_names(self) -> AlertSettings:
        names = [name for name, _ in self.named_channels()]
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            raise ValueError(f"channels: the name {duplicates[0]!r} is used twice; give "
                             "each channel its own name")
        return self

    @property
    def suppression(self) -> timedelta:
        return parse_duration(self.suppress_for)

    def named_channels(self) -> list[tuple[str, WebhookChannel | SlackChannel | CommandChannel]]:
        """Each channel with its name: its own, else its type (``slack-2`` for a second)."""
        seen: dict[str, int] = {}
        named = []
        for channel in self.channels:
            if channel.name:
                named.append((channel.name, channel))
                continue
            seen[channel.type] = seen.get(channel.type, 0) + 1
            count = seen[channel.type]
            named.append((channel.type if count == 1 else f"{channel.type}-{count}", channel))
        return named


def load_alert_settings(project: Project) -> AlertSettings:
    """The project's alerts settings, or a one-line error naming the file and field."""
    return load_settings(project, "alerts", AlertSettings, AlertConfigError)
