"""Alerts from the feature server: the values it answered, judged per view.

The server counts every value it serves by view and status
(``featureops_feature_values_total{view,status}`` in ``/metrics``). Every
``alerts.server.interval`` a background task reads those counters, takes the difference
with its previous reading and judges each view that answered values in between:

- ``served_stale`` (warning): values were served ``stale``, i.e. the view's newest feature
  timestamp is older than its ``sla.freshness``: the pipeline feeding it is behind;
- ``served_outside_ttl`` (critical): at least ``max_outside_ttl_share`` of its values were
  withheld as older than the ttl (a few old entities are normal, most are not).

A view that answered nothing in the interval is not judged. Reading the counters is cheap
and runs on the event loop; delivery (HTTP, commands, the state file) runs on a worker
thread, so requests never wait for it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine, Mapping
from typing import Any

from featureops.alerts.config import ServerAlerts, load_alert_settings
from featureops.alerts.dispatch import AlertDispatcher
from featureops.alerts.problems import Evaluation, Problem, problem_key
from featureops.project import Project

STALE_CHECK, OUTSIDE_TTL_CHECK = "served_stale", "served_outside_ttl"
logger = logging.getLogger(__name__)
Totals = Mapping[tuple[str, str], float]  # (view, status) -> values served so far


class ServedValuesJudge:
    """Turns successive readings of the served-values counters into evaluations."""

    def __init__(self, max_outside_ttl_share: float) -> None:
        self.max_outside_ttl_share = max_outside_ttl_share
        self._previous: dict[tuple[str, str], float] = {}

    def judge(self, totals: Totals) -> Evaluation:
        served: dict[str, dict[str, float]] = {}
        for (view, status), total in totals.items():
            served.setdefault(view, {})[status] = total - self._previous.get((view, status), 0)
        self._previous = dict(totals)
        problems, judged = [], []
        for view, counts in sorted(served.items()):
            values = sum(counts.values())
            if values <= 0:
                continue
            judged += [problem_key("server", view, STALE_CHECK),
                       problem_key("server", view, OUTSIDE_TTL_CHECK)]
            stale, outside = counts.get("stale", 0), counts.get("outside_ttl", 0)
            shares = {"values": int(values), "stale": int(stale), "outside_ttl": int(outside)}
            if stale > 0:
                problems.append(Problem(
                    "server", view, STALE_CHECK, "warning",
                    f"{int(stale):,} of {int(values):,} values served stale (the view is "
                    "older than its sla.freshness)", shares))
            if outside / values >= self.max_outside_ttl_share:
                problems.append(Problem(
                    "server", view, OUTSIDE_TTL_CHECK, "critical",
                    f"{int(outside):,} of {int(values):,} values withheld as outside the ttl "
                    f"({outside / values:.0%} >= {self.max_outside_ttl_share:.0%})", shares))
        return Evaluation.of("server", problems, judged)


def served_totals(counter: Any) -> dict[tuple[str, str], float]:
    """(view, status) -> count from a prometheus_client Counter labelled view and status."""
    totals = {}
    for family in counter.collect():
        for sample in family.samples:
            if sample.name.endswith("_total"):
                totals[(sample.labels["view"], sample.labels["status"])] = sample.value
    return totals


async def watch_served_values(counter: Any, dispatcher: AlertDispatcher,
                              settings: ServerAlerts) -> None:
    """Judge and alert every interval until cancelled."""
    judge = ServedValuesJudge(settings.max_outside_ttl_share)
    judge.judge(served_totals(counter))  # what was served before start is not judged
    while True:
        await asyncio.sleep(settings.interval_seconds)
        evaluation = judge.judge(served_totals(counter))
        if not evaluation.judged:
            continue
        try:
            outcome = await asyncio.to_thread(dispatcher.dispatch, evaluation)
        except Exception as error:  # noqa: BLE001 - alerting must never take serving down
            logger.warning("alerts: served values not alerted on: %s", error)
            continue
        for warning in outcome.warnings:
            logger.warning("%s", warning)


def served_value_alerts(project: Project, counter: Any
                        ) -> Callable[[], Coroutine[Any, Any, None]] | None:
    """The server's alert task (started by its lifespan), or None when alerts are off or
    have no channel. Invalid settings raise here, when the app is built."""
    settings = load_alert_settings(project)
    if not (settings.enabled and settings.server.enabled and settings.channels):
        return None
    dispatcher = AlertDispatcher.for_project(project, settings)
    return lambda: watch_served_values(counter, dispatcher, settings.server)
