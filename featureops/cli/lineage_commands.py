"""Commands over the lineage graph: lineage, impact."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from featureops.cli.options import console, project_options

if TYPE_CHECKING:
    from featureops.project import Project


def _warn(messages: list[str]) -> None:
    for message in dict.fromkeys(messages):
        click.echo(f"warning: {message}", err=True)


def _emit(output: Any, out: str | None, fmt: str) -> None:
    """Write a string to --out (atomically) or stdout; rich renderables to the console.

    The text format is for terminals only, even when it is plain lines (a long listing)."""
    if out and fmt == "text":
        raise click.UsageError("--out needs a file format (--format json, mermaid, dot, "
                               "html or openlineage)")
    if isinstance(output, str):
        if out:
            from featureops.files import write_text_atomic

            write_text_atomic(Path(out), output)
            click.echo(f"wrote {out}", err=True)
        else:
            click.echo(output, nl=not output.endswith("\n"))
        return
    console().print(output)


@click.command()
@click.argument("node", required=False)
@click.option("--upstream", "direction", flag_value="upstream",
              help="Only what the node is built from.")
@click.option("--downstream", "direction", flag_value="downstream",
              help="Only what is built from the node.")
@click.option("--depth", type=click.IntRange(min=1), default=None,
              help="Stop this many edges away from the node [default: no limit].")
@click.option("--exposure", default=None, metavar="MODEL",
              help="Training lineage of an ML model (an exposure): training sets, feature "
                   "views, raw sources.")
@click.option("--format", "fmt", default="text", show_default=True,
              type=click.Choice(["text", "json", "mermaid", "dot", "html", "openlineage"]))
@click.option("--out", default=None, type=click.Path(dir_okay=False),
              help="Write to this file instead of stdout.")
@click.option("--tests", "include_tests", is_flag=True, help="Include data and unit tests.")
@click.option("--compile", "compile_first", is_flag=True,
              help="Run `dbt compile` first, for column lineage on a parsed-only manifest.")
@click.option("--catalog", "catalog_path", default=None, type=click.Path(dir_okay=False),
              help="catalog.json with the warehouse's columns [default: beside the manifest].")
@click.option("--dialect", default=None,
              help="sqlglot dialect of the compiled SQL [default: from the manifest's "
                   "adapter].")
@click.option("--namespace", default=None,
              help="OpenLineage dataset namespace [default: <adapter>://<database>].")
@click.option("--job-namespace", default="dbt", show_default=True,
              help="OpenLineage job namespace.")
@project_options
def lineage(node: str | None, direction: str | None, depth: int | None, exposure: str | None,
            fmt: str, out: str | None, include_tests: bool, compile_first: bool,
            catalog_path: str | None, dialect: str | None, namespace: str | None,
            job_namespace: str, project: Project) -> None:
    """Lineage of NODE (a model, MODEL.v2 for a model version, source_name.table, seed,
    exposure, metric... or MODEL.COLUMN for column lineage); the whole project without NODE.

    \b
    featureops lineage feat_user__profile --upstream
    featureops lineage feat_user__profile.home_region
    featureops lineage dim_customers.v1.customer_key
    featureops lineage --exposure fraud_detection_model --format html --out lineage.html
    """
    from featureops.lineage.loading import load_project_lineage
    from featureops.lineage.openlineage import Naming, default_naming
    from featureops.lineage.report import LineageReporter, LineageRequest

    if node and exposure:
        raise click.UsageError("give NODE or --exposure, not both")
    if compile_first:
        _compile(project)
    graph = load_project_lineage(project)
    naming = None
    if namespace or job_namespace != "dbt":
        naming = Naming(namespace or default_naming(graph).dataset_namespace, job_namespace)
    request = LineageRequest(
        target=node, exposure=exposure, direction=direction or "both",  # type: ignore[arg-type]
        depth=depth, include_tests=include_tests,
        catalog_path=Path(catalog_path) if catalog_path else None,
        project_dir=project.project_dir, dialect=dialect, naming=naming)
    reporter = LineageReporter(graph, request)
    result = reporter.build()
    output = reporter.render(result, fmt)
    _warn(reporter.warnings)
    _emit(output, out, fmt)


def _compile(project: Project) -> None:
    from featureops.dbt_runner import run_dbt

    click.echo("running dbt compile ...", err=True)
    run_dbt(["compile", "--target-path", str(project.manifest_path.parent)],
            project.project_dir)


@click.command()
@click.argument("node")
@click.option("--format", "fmt", default="text", show_default=True,
              type=click.Choice(["text", "json"]))
@click.option("--out", default=None, type=click.Path(dir_okay=False),
              help="Write to this file instead of stdout.")
@project_options
def impact(node: str, fmt: str, out: str | None, project: Project) -> None:
    """Everything downstream of NODE, by type: ML exposures and their owners first (who must
    be told before NODE changes)."""
    from featureops.lineage.impact import impact as impact_of
    from featureops.lineage.loading import load_project_lineage
    from featureops.lineage.render_text import impact_text

    graph = load_project_lineage(project)
    report = impact_of(graph, graph.resolve(node))
    _warn(graph.warnings)
    if fmt == "json":
        _emit(json.dumps(report.to_dict(), indent=2, default=str), out, fmt)
    else:
        _emit(impact_text(report), out, fmt)


COMMANDS = [lineage, impact]
