"""``--alert/--no-alert`` of the check commands (monitor, sla): deliver what a run found to
the project's alert channels (docs/alerts.md), reporting on stderr so ``--json`` output on
stdout stays clean."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from featureops.alerts.problems import Evaluation
    from featureops.project import Project

alert_option: Callable[[Callable[..., Any]], Callable[..., Any]] = click.option(
    "--alert/--no-alert", "alert", default=None,
    help="Send the findings to the alert channels of the project settings (alerts:) "
         "[default: alerts.enabled, when channels are configured].")


def send_alerts(project: Project, evaluation: Callable[[], Evaluation],
                alert: bool | None) -> bool:
    """Deliver unless turned off; True when delivery failed and the settings make that a
    failure of the command (alerts.fail_on_delivery_error). ``evaluation`` is only built
    when something is sent."""
    if alert is False:
        return False
    from featureops.alerts import AlertDispatcher, load_alert_settings

    settings = load_alert_settings(project)
    if alert is None and not (settings.enabled and settings.channels):
        return False
    if not settings.channels:
        raise click.UsageError("--alert: no alert channels are configured (alerts.channels "
                               "in featureops.yml or vars.featureops; see docs/alerts.md)")
    outcome = AlertDispatcher.for_project(project, settings).dispatch(evaluation())
    for warning in outcome.warnings:
        click.echo(f"warning: {warning}", err=True)
    click.echo(outcome.describe(), err=True)
    return bool(outcome.failed) and settings.fail_on_delivery_error
