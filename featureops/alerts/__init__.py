"""Alerts that reach people: findings of `featureops monitor` and `featureops sla`, and the
staleness the feature server sees, delivered to webhooks, Slack and command hooks, grouped
per table, suppressed while a problem stands, and followed by a "resolved" message
(docs/alerts.md).

- ``config``: the ``alerts`` settings block;
- ``problems``: problems and evaluations (what one run found and judged);
- ``findings``: monitor and sla results as evaluations; ``served``: the server's;
- ``state``: what was sent where (a JSON file, locked, written whole);
- ``messages``: the JSON and Slack bodies; ``channels``: delivery;
- ``dispatch``: suppression, grouping, resolution.
"""

from featureops.alerts.config import AlertConfigError, AlertSettings, load_alert_settings
from featureops.alerts.dispatch import AlertDispatcher, DispatchOutcome
from featureops.alerts.problems import Evaluation, Problem

__all__ = ["AlertConfigError", "AlertDispatcher", "AlertSettings", "DispatchOutcome",
           "Evaluation", "Problem", "load_alert_settings"]
