"""`featureops advise`: architecture, online-store and warehouse recommendations from the
project's own declarations and measurements (docs/advise.md)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from featureops.cli.options import console, project_options

if TYPE_CHECKING:
    from featureops.project import Project


@click.command()
@click.argument("views", nargs=-1)
@project_options
@click.option("--format", "output", type=click.Choice(["table", "json", "markdown"]),
              default="table", show_default=True, help="Output format.")
@click.option("--warehouse", type=click.Path(dir_okay=False), default=None,
              help="A DuckDB file dbt built [default: the selected dbt target's warehouse].")
@click.option("--run-results", type=click.Path(dir_okay=False), default=None,
              help="run_results.json of the last build [default: beside the manifest].")
@click.option("--metrics-url", default=None, metavar="URL",
              help="The feature server's /metrics, scraped twice for read and push rates "
                   "(token: FEATUREOPS_SERVE_TOKEN) [default: load unknown].")
@click.option("--metrics-seconds", type=click.FloatRange(min=0.1), default=10.0,
              show_default=True, help="Seconds between the two scrapes.")
@click.option("--history", type=click.Path(dir_okay=False), default=None,
              help="featureops sla history [default: sla.history].")
@click.option("--serving-log", type=click.Path(file_okay=False), default=None,
              help="Serving log directory [default: serving.log_dir].")
@click.option("--no-online", is_flag=True, help="Do not open the online store.")
def advise(views: tuple[str, ...], project: Project, output: str, warehouse: str | None,
           run_results: str | None, metrics_url: str | None, metrics_seconds: float,
           history: str | None, serving_log: str | None, no_online: bool) -> None:
    """Recommend, per feature view, batch / batch + speed layer / stream-first; for the
    project, the online store (SQLite, Redis, Redis Cluster, offline only) and the
    warehouse engine. Each recommendation quotes the numbers and the rule it used.
    """
    from featureops.advise.render import print_tables, to_json, to_markdown
    from featureops.advise.report import Options
    from featureops.advise.report import advise as run_advise
    from featureops.advise.settings import load_advise_settings
    from featureops.catalog import FeatureCatalog

    catalog = FeatureCatalog.from_manifest(project.manifest)
    options = Options(warehouse=warehouse, run_results=run_results, metrics_url=metrics_url,
                      metrics_seconds=metrics_seconds, history=history,
                      serving_log=serving_log, online=not no_online)
    result = run_advise(project, catalog, load_advise_settings(project), options, views)
    if output == "json":
        click.echo(to_json(result))
    elif output == "markdown":
        click.echo(to_markdown(result), nl=False)
    else:
        print_tables(result, console())


COMMANDS = [advise]
