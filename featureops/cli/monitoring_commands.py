"""Monitoring commands: monitor (terminal summary), report (HTML dashboard), replay
(a serving workload for the skew monitors) and load-serving-log (for Postgres)."""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click

from featureops.cli.alerting import alert_option, send_alerts
from featureops.cli.options import console, json_option, print_json, project_options

if TYPE_CHECKING:
    from featureops.project import Project

_run_results_option = click.option(
    "--run-results", type=click.Path(dir_okay=False), default=None,
    help="run_results.json of the build to summarize [default: beside the manifest].")


@click.command()
@project_options
@_run_results_option
@click.option("--exit-zero", is_flag=True,
              help="Exit 0 even when something is critical (report without gating).")
@alert_option
@json_option
def monitor(project: Project, run_results: str | None, exit_zero: bool, alert: bool | None,
            as_json: bool) -> None:
    """Summarize the latest monitoring results: health per table and every finding.

    Reads the last dbt build's results and the monitoring models; exit 1 when anything is
    critical (a critical finding or a failed dbt test), unless --exit-zero. A check that had
    too little data to judge says "insufficient data": shown, but not a failure. Exit 2 when
    monitoring is off (vars.featureops.monitoring). Findings go to the alert channels
    (docs/alerts.md) unless --no-alert.
    """
    from featureops.alerts.findings import from_monitoring
    from featureops.monitoring.parts import built_parts
    from featureops.monitoring.summary import summarize
    from featureops.monitoring.terminal import print_summary
    from featureops.monitoring.warehouse import open_warehouse

    built_parts(project)  # monitoring off: say so before looking for a warehouse
    with open_warehouse(project) as warehouse:
        summary = summarize(project, warehouse, run_results)
    if as_json:
        print_json(summary.to_dict())
    else:
        print_summary(summary, console())
    if send_alerts(project, lambda: from_monitoring(summary), alert):
        raise click.exceptions.Exit(2)
    if summary.has_critical and not exit_zero:
        raise click.exceptions.Exit(1)


@click.command()
@project_options
@_run_results_option
@click.option("--out", type=click.Path(dir_okay=False), default="data/reports/monitoring.html",
              show_default=True, help="Where to write the HTML dashboard.")
@click.option("--lineage-page", type=click.Path(dir_okay=False), default=None,
              help="The lineage page to link [default: <project>/data/reports/lineage.html].")
def report(project: Project, run_results: str | None, out: str,
           lineage_page: str | None) -> None:
    """Write the monitoring dashboard: one self-contained HTML file (charts inline, no
    network) with health per table, trends, drift and skew per feature, freshness against
    SLA and the latest dbt test results."""
    from featureops.monitoring.parts import built_parts
    from featureops.monitoring.report import render_report
    from featureops.monitoring.summary import summarize
    from featureops.monitoring.warehouse import open_warehouse

    built_parts(project)  # monitoring off: say so before looking for a warehouse
    with open_warehouse(project) as warehouse:
        summary = summarize(project, warehouse, run_results)
    path = render_report(project, summary, Path(out).resolve(),
                         Path(lineage_page).resolve() if lineage_page else None)
    console().print(f"monitoring report ({summary.level}, {len(summary.results.findings)} "
                    f"findings) written to {path}")


@click.command()
@project_options
@click.option("--exposure", required=True, help="The ml exposure whose traffic to replay.")
@click.option("--requests", "requests_model", required=True, metavar="MODEL",
              help="Model whose rows are the requests: entity keys and a timestamp "
                   "(e.g. int_transactions__enriched).")
@click.option("--timestamp-column", default=None,
              help="Request time column [default: the model's meta.featureops.timestamp, "
                   "else event_at].")
@click.option("--days", type=click.IntRange(min=1), default=7, show_default=True,
              help="Length of the replayed window.")
@click.option("--end", type=click.DateTime(formats=["%Y-%m-%d", "%Y-%m-%d %H:%M:%S",
                                                    "%Y-%m-%dT%H:%M:%S"]),
              default=None, help="End of the window (UTC) [default: var "
                                 "featureops_monitoring_now, else now].")
@click.option("--sample-rate", type=float, default=1.0, show_default=True,
              help="Share of the requests replayed.")
@click.option("--drift", default=None, metavar="VIEW:FEATURE=FACTOR",
              help="Skew one numeric feature: multiplied by a factor growing from 1 to "
                   "FACTOR over the window.")
@click.option("--seed", type=int, default=42, show_default=True, help="Request ids and sample.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False), default=None,
              help="Serving-log directory [default: the one the monitoring models read: "
                   "FEATUREOPS_SERVING_LOG_DIR, else serving.log_dir, else serving_log/ "
                   "beside the DuckDB warehouse].")
@click.option("--quiet", is_flag=True, help="No progress bar.")
def replay(project: Project, exposure: str, requests_model: str, timestamp_column: str | None,
           days: int, end: datetime | None, sample_rate: float, drift: str | None, seed: int,
           out_dir: str | None, quiet: bool) -> None:
    """Replay a serving workload into the serving log: each request as the online store
    would have answered it then, optionally with one drifting feature."""
    from featureops.monitoring.replay import DriftSpec, replay_serving_traffic

    summary = replay_serving_traffic(
        project, exposure, requests_model, days=days, end=end,
        timestamp_column=timestamp_column, sample_rate=sample_rate,
        drift=DriftSpec.parse(drift) if drift else None, seed=seed,
        out_dir=Path(out_dir) if out_dir else None, progress=not quiet)
    statuses = ", ".join(f"{name} {count:,}" for name, count in sorted(summary.statuses.items()))
    drifted = f"; {summary.drift.ref} drifts to x{summary.drift.factor:g}" if summary.drift else ""
    console().print(f"replayed {summary.requests:,} requests of {exposure} "
                    f"({summary.start} to {summary.end}): {summary.rows:,} rows ({statuses}) in "
                    f"{len(summary.files)} file(s){drifted}")


@click.command(name="load-serving-log")
@project_options
@click.option("--dir", "log_directory", type=click.Path(file_okay=False), default=None,
              help="Serving-log directory [default: FEATUREOPS_SERVING_LOG_DIR, else "
                   "serving.log_dir, else serving_log/ beside the DuckDB warehouse].")
@click.option("--schema", default=lambda: os.environ.get("FEATUREOPS_RAW_SCHEMA", "raw"),
              show_default="$FEATUREOPS_RAW_SCHEMA or raw", help="Target Postgres schema.")
@click.option("--quiet", is_flag=True, help="No progress bar.")
def load_serving_log(project: Project, log_directory: str | None, schema: str,
                     quiet: bool) -> None:
    """Copy the serving log into Postgres (<schema>.serving_log), for the skew monitors on
    engines that cannot read Parquet. The Postgres is the selected dbt target's."""
    from featureops.engines import postgres_target
    from featureops.engines.postgres_engine import connect_kwargs
    from featureops.monitoring.serving_log import load_serving_log as load
    from featureops.monitoring.serving_log import serving_log_dir

    target = postgres_target(project, "load-serving-log")
    directory = Path(log_directory) if log_directory else serving_log_dir(project)
    files, rows = load(directory, connect_kwargs(target.credentials), schema=schema,
                       progress=not quiet)
    console().print(f"loaded {rows:,} serving-log rows from {files} file(s) in {directory} "
                    f"into {schema}.serving_log")


COMMANDS = [monitor, report, replay, load_serving_log]
