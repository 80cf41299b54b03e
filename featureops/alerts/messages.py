"""Alert messages: all that changed on one table in one run of one source, for one channel,
as the generic JSON body (docs/alerts.md documents it) or a Slack incoming-webhook body."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from featureops.alerts.config import LEVEL_RANK
from featureops.alerts.problems import Problem

SCHEMA = "featureops.alert/v1"
#: Slack refuses a section text longer than 3,000 characters.
SLACK_SECTION_LIMIT = 3000


@dataclass(frozen=True)
class Firing:
    problem: Problem
    first_seen: str
    new: bool  # never sent to this channel before (or resolved since)


@dataclass(frozen=True)
class Resolved:
    key: str
    check: str
    level: str  # the level it was last sent at
    summary: str  # as last seen
    first_seen: str


@dataclass(frozen=True)
class AlertMessage:
    project: str
    source: str
    table: str
    sent_at: datetime
    firing: tuple[Firing, ...] = ()
    resolved: tuple[Resolved, ...] = ()

    @property
    def status(self) -> str:
        return "firing" if self.firing else "resolved"

    @property
    def level(self) -> str:
        if not self.firing:
            return "ok"
        return max((f.problem.level for f in self.firing), key=LEVEL_RANK.__getitem__)

    @property
    def title(self) -> str:
        where = f"{self.table} (featureops {self.source}, {self.project})"
        if not self.firing:
            return f"RESOLVED {where}: {_count(len(self.resolved), 'problem')} cleared"
        text = f"{self.level.upper()} {where}: {_count(len(self.firing), 'problem')}"
        return text + (f", {len(self.resolved)} resolved" if self.resolved else "")

    def lines(self) -> list[str]:
        """The message in plain text, one line per problem."""
        lines = [f"{f.problem.level} {f.problem.check}{' (new)' if f.new else ''}: "
                 f"{f.problem.summary}" for f in self.firing]
        lines += [f"resolved {r.check}: {r.summary}" for r in self.resolved]
        return lines

    def to_dict(self) -> dict[str, Any]:
        """The generic webhook (and command hook) body."""
        return {
            "schema": SCHEMA,
            "project": self.project,
            "source": self.source,
            "table": self.table,
            "status": self.status,
            "level": self.level,
            "title": self.title,
            "sent_at": self.sent_at.isoformat(),
            "problems": [{"key": f.problem.key, "check": f.problem.check,
                          "level": f.problem.level, "summary": f.problem.summary,
                          "first_seen": f.first_seen, "new": f.new,
                          "details": _jsonable(f.problem.details)} for f in self.firing],
            "resolved": [{"key": r.key, "check": r.check, "level": r.level,
                          "summary": r.summary, "first_seen": r.first_seen,
                          "resolved_at": self.sent_at.isoformat()} for r in self.resolved],
        }


def slack_body(message: AlertMessage) -> dict[str, Any]:
    """``text`` (the notification line) and one mrkdwn section with every problem."""
    icon = {"critical": ":rotating_light:", "warning": ":warning:", "ok": ":white_check_mark:"}
    lines = [f"{icon[message.level]} *{_escape(message.title)}*"]
    lines += [f"• {_escape(line)}" for line in message.lines()]
    text = "\n".join(lines)
    if len(text) > SLACK_SECTION_LIMIT:
        text = text[: SLACK_SECTION_LIMIT - 2] + " …"
    return {"text": message.title,
            "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": text}}]}


def _escape(text: str) -> str:
    """Slack's three control characters (https://api.slack.com/reference/surfaces/formatting)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def _jsonable(value: Any) -> Any:
    """Details as strict JSON: NaN and infinities (what pandas reads a null as) become
    null, anything else unknown its string."""
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if value is None or isinstance(value, str | int | bool):
        return value
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)
