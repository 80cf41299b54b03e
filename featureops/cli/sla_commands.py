"""`featureops sla`: freshness, completeness and availability of the feature views."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

import click

from featureops.cli.alerting import alert_option, send_alerts
from featureops.cli.options import console, json_option, new_table, print_json, project_options

if TYPE_CHECKING:
    from featureops.project import Project


@click.command()
@click.argument("views", nargs=-1)
@project_options
@click.option("--warehouse", type=click.Path(dir_okay=False), default=None,
              help="A DuckDB file dbt built [default: the selected dbt target's "
                   "warehouse: DuckDB, Postgres or Spark].")
@click.option("--metrics", default=None, metavar="URL|FILE",
              help="The feature server's /metrics (URL, or a saved Prometheus text file).")
@click.option("--run-results", type=click.Path(dir_okay=False), default=None,
              help="run_results.json of the last build [default: beside the manifest].")
@click.option("--history", type=click.Path(dir_okay=False), default=None,
              help="JSON-lines history of violations and builds [default: sla.history].")
@click.option("--no-record", is_flag=True, help="Do not append to the history.")
@click.option("--no-online", is_flag=True, help="Do not open the online store.")
@click.option("--now", type=click.DateTime(formats=["%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S",
                                                    "%Y-%m-%d"]),
              default=None, help="Evaluate as of this UTC time [default: now].")
@alert_option
@json_option
def sla(views: tuple[str, ...], project: Project, warehouse: str | None, metrics: str | None,
        run_results: str | None, history: str | None, no_record: bool, no_online: bool,
        now: datetime | None, alert: bool | None, as_json: bool) -> None:
    """Check each feature view's SLA: freshness in the warehouse and the online store,
    completeness against the previous build, serving availability.

    Exit 1 when a critical SLA (of a view that is not experimental or deprecated) is broken.
    Violations go to the alert channels (docs/alerts.md) unless --no-alert.
    """
    from featureops.alerts.findings import from_sla
    from featureops.catalog import FeatureCatalog
    from featureops.sla import SlaHistory, collect_sources, evaluate, load_sla_settings

    catalog = FeatureCatalog.from_manifest(project.manifest)
    settings = load_sla_settings(project)
    moment = (now.replace(tzinfo=timezone.utc) if now else datetime.now(timezone.utc))
    history_path = Path(history or settings.history)
    if not history_path.is_absolute():
        history_path = project.project_dir / history_path
    sources = collect_sources(project, catalog, warehouse=warehouse, metrics=metrics,
                              run_results=run_results, online=not no_online)
    try:
        report = evaluate(catalog, sources, settings, now=moment,
                          history=None if no_record else SlaHistory(history_path),
                          views=views or None)
    finally:
        sources.close()
    if as_json:
        print_json(report.to_dict() | {"history": None if no_record else str(history_path)})
    else:
        _print(report, None if no_record else history_path)
    if send_alerts(project, lambda: from_sla(report), alert):
        raise click.exceptions.Exit(2)
    if report.critical_violations:
        raise click.exceptions.Exit(1)


def _print(report, history_path: Path | None) -> None:
    table = new_table(title=f"SLA as of {report.checked_at:%Y-%m-%d %H:%M:%S} UTC")
    for header in ("view", "sla", "status", "observed", "threshold", "detail"):
        table.add_column(header, overflow="fold")
    styles = {"ok": "green", "violated": "bold red", "unknown": "yellow"}
    for result in report.results:
        status = result.status + (" (critical)" if result.status == "violated"
                                  and result.critical else "")
        table.add_row(result.view, result.sla, f"[{styles[result.status]}]{status}[/]",
                      result.observed, result.threshold, result.detail)
    out = console()
    out.print(table)
    summary = (f"{len(report.violations)} violation(s), {len(report.critical_violations)} "
               "critical")
    if history_path and report.violations:
        summary += f"; recorded in {history_path}"
    out.print(summary)


COMMANDS = [sla]
