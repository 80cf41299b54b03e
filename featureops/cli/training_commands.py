"""Commands of the offline side: training-set (point-in-time join to Parquet), leakage."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from featureops.cli.options import (
    console,
    error_console,
    json_option,
    new_table,
    print_json,
    project_options,
)

if TYPE_CHECKING:
    from featureops.project import Project


@click.command(name="training-set")
@click.option("--spine", required=True, metavar="PATH_OR_MODEL",
              help="Parquet/CSV file of spine rows, or a model of the warehouse.")
@click.option("--features", "feature_options", multiple=True, metavar="REF",
              help="`view:feature` or `view`; repeat it, or list several after it.")
@click.argument("more_features", nargs=-1, metavar="[REF]...")
@click.option("--exposure", default=None, metavar="NAME",
              help="An ml exposure whose features to join (with --features: both).")
@click.option("--timestamp-column", default="event_timestamp", show_default=True,
              help="Spine column holding the prediction time.")
@click.option("--label", "labels", multiple=True, metavar="COLUMN",
              help="A spine column holding a label (repeatable); recorded in the file for "
                   "`featureops leakage --training-set FILE`.")
@click.option("--out", "out_path", required=True, type=click.Path(dir_okay=False),
              help="Parquet file to write (atomically).")
@click.option("--full-feature-names", is_flag=True,
              help="Name feature columns <view>__<feature>.")
@click.option("--exclusive", is_flag=True,
              help="Only feature rows strictly before the prediction time.")
@click.option("--exclude-created-after", is_flag=True,
              help="Skip feature rows created after the prediction time (backfills).")
@click.option("--warehouse", default=None, type=click.Path(dir_okay=False),
              help="A DuckDB file dbt built [default: the selected dbt target's "
                   "warehouse: DuckDB, Postgres or Spark].")
@click.option("--memory-limit", default=None, metavar="SIZE",
              help="DuckDB's memory budget (e.g. 4GB); it spills to disk beyond it "
                   "[default: a quarter of RAM, at most 2GB].")
@click.option("--registry", "registry_dir", default=None, type=click.Path(file_okay=False),
              help="Dataset registry to record the version in [default: "
                   "<project>/datasets/registry].")
@project_options
@json_option
def training_set(spine: str, feature_options: tuple[str, ...], more_features: tuple[str, ...],
                 exposure: str | None, timestamp_column: str, labels: tuple[str, ...],
                 out_path: str,
                 full_feature_names: bool, exclusive: bool, exclude_created_after: bool,
                 warehouse: str | None, memory_limit: str | None, registry_dir: str | None,
                 project: Project, as_json: bool) -> None:
    """Build a point-in-time-correct training set: every spine row with each requested
    feature as of its timestamp, written to Parquet in the spine's order."""
    from featureops.offline.retrieval import plan_training_set

    started = time.perf_counter()
    features = [ref.strip() for value in (*feature_options, *more_features)
                for ref in value.split(",") if ref.strip()]
    out = Path(out_path)
    with error_console().status("point-in-time join..."), plan_training_set(
        spine, features, exposure=exposure, timestamp_column=timestamp_column,
        full_feature_names=full_feature_names, exclusive=exclusive,
        exclude_created_after=exclude_created_after, labels=labels, project=project,
        warehouse=warehouse, memory_limit=memory_limit, dataset_registry=registry_dir,
    ) as job:
        job.to_parquet(out)
        views = [(view["name"], [f["alias"] for f in view["features"]]) for view in job.views]
        spine_columns = job.spine.columns
        version, is_new = job.version, job.version_is_new
    summary = _summary(out, views, spine_columns, time.perf_counter() - started)
    if version is not None:
        summary["dataset_version"] = {
            "version": version.version, "new": is_new, "content_hash": version.content_hash,
            "definition_hash": version.definition_hash, "spine_hash": version.spine_hash,
            "registry": str(job.registry.root) if job.registry else None}
    if as_json:
        print_json(summary)
        return
    _print_summary(summary)


def _summary(out: Path, views: list[tuple[str, list[str]]], spine_columns: list[str],
             seconds: float) -> dict[str, Any]:
    """Row count and, per view, the share of rows that found a feature row."""
    import duckdb

    conn = duckdb.connect(config={"autoinstall_known_extensions": False})
    try:
        path = "'" + str(out).replace("'", "''") + "'"
        coverage = ", ".join(
            "count(*) filter (where " + " or ".join(f'"{c}" is not null' for c in columns) + ")"
            for _, columns in views)
        counts = conn.execute(f"select count(*), {coverage} from read_parquet({path})").fetchone()
    finally:
        conn.close()
    rows = counts[0]
    return {
        "path": str(out),
        "rows": rows,
        "columns": len(spine_columns) + sum(len(columns) for _, columns in views),
        "spine_columns": spine_columns,
        "seconds": round(seconds, 2),
        "views": [{"view": name, "features": len(columns), "rows_with_values": found,
                   "coverage": round(found / rows, 4) if rows else None}
                  for (name, columns), found in zip(views, counts[1:], strict=True)],
    }


def _print_summary(summary: dict[str, Any]) -> None:
    out = console()
    table = new_table(title=f"Training set {summary['path']}")
    for header in ("feature view", "features", "rows with values", "coverage"):
        table.add_column(header, justify="left" if header == "feature view" else "right")
    for view in summary["views"]:
        coverage = "-" if view["coverage"] is None else f"{view['coverage']:.1%}"
        table.add_row(view["view"], str(view["features"]), f"{view['rows_with_values']:,}",
                      coverage)
    out.print(table)
    out.print(f"{summary['rows']:,} rows x {summary['columns']} columns "
              f"(spine: {', '.join(summary['spine_columns'])}) in {summary['seconds']} s")
    version = summary.get("dataset_version")
    if version:
        state = "new" if version["new"] else "already registered: same content"
        out.print(f"dataset version {version['version']} ({state}; registry "
                  f"{version['registry']})")


@click.command()
@click.option("--training-set", "training_sets", multiple=True, metavar="MODEL|FILE",
              help="Check only this training set (repeatable) [default: all]: a "
                   "training-set model, or a Parquet file `featureops training-set` wrote.")
@click.option("--max-correlation", type=click.FloatRange(0, 1, min_open=True), default=0.95,
              show_default=True, help="Warn when |Pearson r| of a feature and a label exceeds it.")
@click.option("--warehouse", default=None, type=click.Path(dir_okay=False),
              help="A DuckDB file dbt built [default: the selected dbt target's "
                   "warehouse: DuckDB, Postgres or Spark].")
@project_options
@json_option
def leakage(training_sets: tuple[str, ...], max_correlation: float, warehouse: str | None,
            project: Project, as_json: bool) -> None:
    """Look for leakage in the training sets and feature views; exit 1 on any error.

    Checks: feature values from after the prediction time; declared windows that take in the
    event itself or labels not yet known; label sources read without available_at; features
    correlated with a label beyond --max-correlation (a warning). A training-set file is
    checked against the warehouse: no value from after its row's prediction time or older
    than its view's ttl, no label among the features.
    """
    from featureops.offline.leakage import check_leakage

    with error_console().status("leakage checks...") as status:
        report = check_leakage(project, warehouse=warehouse, training_sets=training_sets,
                               max_correlation=max_correlation,
                               on_check=lambda label: status.update(f"leakage: {label}"))
    if as_json:
        print_json({"ok": report.ok, "training_sets": list(report.training_sets),
                    "feature_views": list(report.feature_views),
                    "findings": [f.to_dict() for f in report.findings]})
    else:
        for finding in report.findings:
            click.echo(str(finding), err=finding.severity == "error")
        click.echo(f"{len(report.training_sets)} training set(s), {len(report.feature_views)} "
                   f"feature view(s) with windows: {len(report.errors)} error(s), "
                   f"{len(report.findings) - len(report.errors)} warning(s)")
    if not report.ok:
        raise click.exceptions.Exit(1)


COMMANDS = [training_set, leakage]
