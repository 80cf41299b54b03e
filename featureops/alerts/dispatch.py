"""Sending one evaluation's alerts: per channel, one message per table that has a problem
due (new, risen in level, or last sent ``suppress_for`` ago) or a problem resolved since it
was sent there; recorded in the alert state so the next run knows what was sent.

A problem only ever resolves through a run of its own source that judged it; a table's
message carries every problem of that table the channel takes, new or not, so the person
paged sees the whole picture. A channel that failed is tried again on the next run (its
state is left as it was).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from featureops.alerts.channels import Delivery, DeliveryError
from featureops.alerts.config import LEVEL_RANK, AlertSettings
from featureops.alerts.messages import AlertMessage, Firing, Resolved
from featureops.alerts.problems import Evaluation, Problem
from featureops.alerts.state import AlertState, locked_state
from featureops.project import Project


@dataclass
class DispatchOutcome:
    sent: int = 0  # messages delivered
    suppressed: int = 0  # problems not sent again (within suppress_for)
    failed: int = 0  # messages not delivered
    warnings: list[str] = field(default_factory=list)

    def describe(self) -> str:
        text = f"alerts: {self.sent} message(s) sent, {self.suppressed} standing problem(s) " \
               "suppressed"
        return text + (f", {self.failed} not delivered" if self.failed else "")


class AlertDispatcher:
    """Sends evaluations through the configured channels (``clock`` injectable)."""

    def __init__(self, settings: AlertSettings, *, project_dir: Path, project_name: str,
                 delivery: Delivery | None = None,
                 clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc)) -> None:
        self.settings = settings
        self.project_name = project_name
        self.state_path = project_dir / settings.state
        self.delivery = delivery or Delivery(settings.timeout_seconds, settings.retries,
                                             settings.backoff_seconds, project_dir=project_dir)
        self.clock = clock

    @classmethod
    def for_project(cls, project: Project, settings: AlertSettings) -> AlertDispatcher:
        name = project.dbt_config.get("name")
        return cls(settings, project_dir=project.project_dir,
                   project_name=str(name) if name else project.project_dir.name)

    def dispatch(self, evaluation: Evaluation) -> DispatchOutcome:
        outcome = DispatchOutcome()
        now = self.clock()
        with locked_state(self.state_path) as state:
            outcome.warnings.extend(state.warnings)
            current = {p.key: p for p in evaluation.problems}
            _remember(state, evaluation, now)
            for name, channel in self.settings.named_channels():
                least = LEVEL_RANK[channel.min_level or self.settings.min_level]
                plan = _plan(state, evaluation, current, name, least, now,
                             self.settings.suppression)
                outcome.suppressed += plan.suppressed
                for table in sorted(plan.tables):
                    message = AlertMessage(self.project_name, evaluation.source, table, now,
                                           tuple(plan.firing.get(table, ())),
                                           tuple(plan.resolved.get(table, ())))
                    try:
                        self.delivery.send(channel, message)
                    except DeliveryError as error:
                        outcome.failed += 1
                        outcome.warnings.append(f"alerts: {name} ({channel.type}): {table} "
                                                f"not delivered: {error}")
                        continue
                    outcome.sent += 1
                    _record_sent(state, message, name, now)
            _forget_cleared(state, evaluation, current,
                            {name for name, _ in self.settings.named_channels()})
        return outcome


@dataclass
class _Plan:
    firing: dict[str, list[Firing]] = field(default_factory=dict)
    resolved: dict[str, list[Resolved]] = field(default_factory=dict)
    tables: set[str] = field(default_factory=set)  # tables with something to send
    suppressed: int = 0


def _plan(state: AlertState, evaluation: Evaluation, current: dict[str, Problem],
          channel: str, least: int, now: datetime, suppression: timedelta) -> _Plan:
    plan = _Plan()
    for key, record in state.problems.items():
        if record.get("source") != evaluation.source:
            continue  # another source's problems resolve only through its own runs
        sent = record["sent"].get(channel)
        problem = current.get(key)
        if problem is not None and LEVEL_RANK[problem.level] >= least:
            due = (sent is None or LEVEL_RANK[problem.level] > LEVEL_RANK.get(sent["level"], 0)
                   or now - _time(sent["at"]) >= suppression)
            plan.firing.setdefault(problem.table, []).append(
                Firing(problem, record["first_seen"], sent is None))
            if due:
                plan.tables.add(problem.table)
            else:
                plan.suppressed += 1
        elif sent is not None and key in evaluation.judged:
            plan.resolved.setdefault(record["table"], []).append(
                Resolved(key, record["check"], sent["level"], record["summary"],
                         record["first_seen"]))
            plan.tables.add(record["table"])
    for firing in plan.firing.values():  # worst first, then by check
        firing.sort(key=lambda f: (-LEVEL_RANK[f.problem.level], f.problem.check))
    return plan


def _remember(state: AlertState, evaluation: Evaluation, now: datetime) -> None:
    stamp = now.isoformat()
    for problem in evaluation.problems:
        record = state.problems.setdefault(problem.key, {"first_seen": stamp, "sent": {}})
        record.update(source=problem.source, table=problem.table, check=problem.check,
                      level=problem.level, summary=problem.summary, last_seen=stamp)


def _record_sent(state: AlertState, message: AlertMessage, channel: str,
                 now: datetime) -> None:
    for firing in message.firing:
        state.problems[firing.problem.key]["sent"][channel] = {
            "at": now.isoformat(), "level": firing.problem.level}
    for resolved in message.resolved:
        state.problems[resolved.key]["sent"].pop(channel, None)


def _forget_cleared(state: AlertState, evaluation: Evaluation, current: dict[str, Problem],
                    channels: set[str]) -> None:
    """Drop judged-ok problems that no configured channel still has to hear are resolved
    (a channel removed from the settings is not waited for)."""
    for key in [k for k, record in state.problems.items()
                if k in evaluation.judged and k not in current
                and not channels.intersection(record["sent"])]:
        del state.problems[key]


def _time(text: Any) -> datetime:
    try:
        moment = datetime.fromisoformat(str(text))
    except ValueError:
        return datetime.min.replace(tzinfo=timezone.utc)  # unreadable: due again
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
