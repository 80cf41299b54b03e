"""`featureops datasets ...`: the versions of training sets (docs/reproducibility.md):
list, show, diff, verify, pin and reproduce. Output is a rich table, or with
`--format json` a JSON document of a fixed shape."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from featureops.cli.options import console, error_console, new_table, print_json, project_options

if TYPE_CHECKING:
    from featureops.datasets.registry import DatasetRegistry
    from featureops.project import Project

registry_option = click.option(
    "--registry", "registry_dir", type=click.Path(file_okay=False), default=None,
    help="Dataset registry [default: <project>/datasets/registry].")
format_option = click.option(
    "--format", "output_format", type=click.Choice(["table", "json"]), default="table",
    show_default=True, help="Output format.")


def _registry(project: Project, registry_dir: str | None) -> DatasetRegistry:
    from featureops.datasets.registry import DatasetRegistry
    from featureops.datasets.registry import registry_dir as default_dir

    return DatasetRegistry(default_dir(project.project_dir, registry_dir), project.project_dir)


def _renderer(project: Project) -> Any:
    """The monitoring macros the project was built with (for PSI), else the shipped ones."""
    from featureops.exceptions import FeatureopsError
    from featureops.offline.macros import MacroRenderer, MacroSource

    folders = ("cross_db", "monitoring")
    try:
        source = MacroSource.from_manifest(project.manifest, folders)
    except FeatureopsError:
        source = MacroSource.shipped(folders)
    return MacroRenderer("duckdb", source=source)


def _short(digest: str) -> str:
    return digest.removeprefix("sha256:")[:12]


@click.group()
def datasets() -> None:
    """Versions of training sets: list, show, diff, verify, pin, reproduce."""


@datasets.command(name="list")
@registry_option
@project_options
@format_option
def list_versions(registry_dir: str | None, project: Project, output_format: str) -> None:
    """Every registered version: when, who, exposure, rows, hashes, pins."""
    entries = _registry(project, registry_dir).all()
    entries.sort(key=lambda e: (e.written_at, e.version))
    if output_format == "json":
        print_json([{"version": e.version, "written_at": e.written_at,
                     "written_by": e.written_by, "exposure": e.exposure, "rows": e.rows,
                     "content_hash": e.content_hash, "definition_hash": e.definition_hash,
                     "spine_hash": e.spine_hash, "pins": e.pins, "files": e.files}
                    for e in entries])
        return
    table = new_table(title=f"{len(entries)} dataset version(s)")
    for header in ("version", "written", "by", "exposure", "rows", "content", "definition",
                   "spine", "pins"):
        table.add_column(header, justify="right" if header == "rows" else "left")
    for e in entries:
        table.add_row(e.version, e.written_at, e.written_by, e.exposure or "-", f"{e.rows:,}",
                      _short(e.content_hash), _short(e.definition_hash),
                      _short(e.spine_hash), str(len(e.pins)))
    console().print(table)


@datasets.command()
@click.argument("version")
@registry_option
@project_options
@format_option
def show(version: str, registry_dir: str | None, project: Project, output_format: str) -> None:
    """One version in full: hashes, views with their contracts, columns, pins, files."""
    from dataclasses import asdict

    entry = _registry(project, registry_dir).load(version)
    if output_format == "json":
        data = asdict(entry)
        data.pop("sql")
        print_json(data)
        return
    out = console()
    out.print(f"[bold]{entry.version}[/] written {entry.written_at} by {entry.written_by}"
              f" for exposure {entry.exposure or '-'}: {entry.rows:,} rows x "
              f"{len(entry.columns)} columns")
    for name in ("content_hash", "spine_hash", "definition_hash"):
        out.print(f"  {name}: {getattr(entry, name)}")
    dbt = entry.dbt
    out.print(f"  dbt invocation: {dbt.get('run_invocation_id') or dbt.get('invocation_id')} "
              f"(dbt {dbt.get('dbt_version')}, {dbt.get('adapter')})")
    out.print(f"  spine: {entry.spine_source}; keys: {', '.join(entry.key_columns)}")
    table = new_table(title="feature views")
    for header in ("view", "contract", "ttl", "created timestamp", "columns", "sql"):
        table.add_column(header)
    for view in entry.definition.get("views", []):
        contract = entry.contracts.get(view["view"])
        table.add_row(view["view"], "-" if contract is None else f"v{contract}",
                      view.get("ttl") or "-", view.get("created_timestamp") or "-",
                      str(len(view["columns"])), _short(view["sql_hash"]))
    out.print(table)
    from featureops.datasets.registry import describe_pin

    for pin in entry.pins:
        out.print(f"  pinned: {describe_pin(pin)} at {pin['pinned_at']}")
    for file in entry.files:
        out.print(f"  file: {file}")


@datasets.command()
@click.argument("a")
@click.argument("b")
@click.option("--no-rows", is_flag=True, help="Compare the recorded versions only.")
@registry_option
@project_options
@format_option
def diff(a: str, b: str, no_rows: bool, registry_dir: str | None, project: Project,
         output_format: str) -> None:
    """What differs between two versions (or training-set files): schema, rows by key,
    distributions (PSI), view definitions (a diff of their compiled SQL), contracts."""
    import dataclasses

    from featureops.datasets.diff import diff_sides, open_side

    registry = _registry(project, registry_dir)
    side_a, side_b = open_side(a, registry), open_side(b, registry)
    if no_rows:
        side_a, side_b = (dataclasses.replace(s, path=None) for s in (side_a, side_b))
    with error_console().status("comparing..."):
        result = diff_sides(side_a, side_b, _renderer(project))
    if output_format == "json":
        print_json(result)
        return
    _print_diff(result)


def _print_diff(result: dict[str, Any]) -> None:
    out = console()
    head = f"{result['a']['version']} -> {result['b']['version']}"
    if result["identical"]:
        out.print(f"{head}: identical")
        return
    differs = [name for name, changed in result["components"].items() if changed]
    out.print(f"{head}: {', '.join(differs)} differ")
    for line in result["changes"]:
        out.print(f"  {line}")
    for view in result["definitions"]["views_changed"]:
        if view["sql_diff"]:
            out.print(view["sql_diff"], markup=False)
    rows = result["rows"]
    if rows is not None:
        out.print(f"rows by key ({', '.join(rows['key_columns'])}): {rows['unchanged']:,} "
                  f"unchanged, {rows['added']:,} added, {rows['removed']:,} removed, "
                  f"{rows['changed']:,} changed")
        for sample in rows["samples"]["changed"]:
            key = ", ".join(f"{k}={v}" for k, v in sample["key"].items())
            out.print(f"  changed {key}: {', '.join(sample['columns'])}", markup=False)
    moved = [d for d in result["distributions"] or [] if d["psi"] and d["psi"] > 0]
    if moved:
        table = new_table(title="distributions (PSI of B against A's bins)")
        for header in ("feature", "kind", "psi", "mean A", "mean B"):
            table.add_column(header, justify="left" if header in ("feature", "kind")
                             else "right")
        for d in sorted(moved, key=lambda d: -d["psi"]):
            table.add_row(d["feature"], d["kind"], f"{d['psi']:.4f}", _number(d["a_mean"]),
                          _number(d["b_mean"]))
        out.print(table)


def _number(value: float | None) -> str:
    return "-" if value is None else f"{value:.4g}"


@datasets.command()
@click.argument("file", type=click.Path(dir_okay=False))
@registry_option
@project_options
@format_option
def verify(file: str, registry_dir: str | None, project: Project, output_format: str) -> None:
    """Recompute a training-set file's hashes; exit 1 when the file was altered."""
    from featureops.datasets.verify import verify_file

    report = verify_file(Path(file), _registry(project, registry_dir))
    if output_format == "json":
        print_json(report.to_dict())
    elif report.ok:
        where = "registered" if report.registered else "not in the registry"
        console().print(f"{file}: {report.version} verified ({report.checks} checks; {where})")
    else:
        for what, recorded, recomputed in report.problems:
            click.echo(f"{file}: {what} recorded {recorded}, recomputed {recomputed}", err=True)
        click.echo(f"{file}: altered since it was written as {report.version}", err=True)
    if not report.ok:
        raise click.exceptions.Exit(1)


@datasets.command()
@click.argument("version")
@click.option("--exposure", required=True, help="The ml exposure (model) trained on it.")
@click.option("--run", "run_id", required=True, help="The experiment or model run id.")
@click.option("--tag", "tags", multiple=True, metavar="KEY=VALUE", help="Free-form tag "
              "(repeatable).")
@registry_option
@project_options
@format_option
def pin(version: str, exposure: str, run_id: str, tags: tuple[str, ...],
        registry_dir: str | None, project: Project, output_format: str) -> None:
    """Tie a version to a model run of an exposure (recorded in its registry entry)."""
    pairs = {}
    for tag in tags:
        key, sep, value = tag.partition("=")
        if not sep or not key:
            raise click.BadParameter(f"'{tag}' is not KEY=VALUE", param_hint="--tag")
        pairs[key] = value
    if exposure not in {e.name for e in project.manifest.exposures.values()}:
        raise click.BadParameter(f"no exposure '{exposure}' in {project.manifest_path}",
                                 param_hint="--exposure")
    entry = _registry(project, registry_dir).pin(version, exposure, run_id, pairs)
    if output_format == "json":
        print_json({"version": entry.version, "pins": entry.pins})
        return
    console().print(f"{entry.version} pinned to {exposure} run {run_id}")


@datasets.command()
@click.argument("version")
@click.option("--warehouse", default=None, type=click.Path(dir_okay=False),
              help="A DuckDB file dbt built [default: the selected dbt target's warehouse].")
@click.option("--out", "out_path", default=None, type=click.Path(dir_okay=False),
              help="Keep the rebuilt file here (it is not registered).")
@registry_option
@project_options
@format_option
def reproduce(version: str, warehouse: str | None, out_path: str | None,
              registry_dir: str | None, project: Project, output_format: str) -> None:
    """Rebuild a version from the current warehouse; exit 1 unless identical."""
    from featureops.datasets.reproduce import reproduce as rebuild

    with error_console().status(f"rebuilding {version}..."):
        result = rebuild(project, _registry(project, registry_dir), version,
                         warehouse=warehouse, out=Path(out_path) if out_path else None,
                         renderer=_renderer(project))
    if output_format == "json":
        print_json(result)
    elif result["identical"]:
        console().print(f"{result['version']}: reproduced identically")
    else:
        console().print(f"{result['version']}: rebuilt as {result['rebuilt_version']}; "
                        f"{', '.join(result['differs'])} differ")
        _print_diff(result["diff"])
    if not result["identical"]:
        raise click.exceptions.Exit(1)



@click.command()
@click.option("--exposure", required=True, help="The ml exposure the model serves.")
@click.option("--dataset", required=True, metavar="VERSION|FILE",
              help="The dataset version the model was trained on, or its training-set "
                   "file (the version in its footer).")
@click.option("--preprocessing", "spec_path", default=None,
              type=click.Path(dir_okay=False), help="YAML/JSON preprocessing spec.")
@click.option("--out", "out_dir", default=None, type=click.Path(file_okay=False),
              help="Folder to write bundle.json and vocabularies.parquet to [default: "
                   "<bundles folder>/<exposure>, where the server looks].")
@registry_option
@project_options
@format_option
def bundle(exposure: str, dataset: str, spec_path: str | None, out_dir: str | None,
           registry_dir: str | None, project: Project, output_format: str) -> None:
    """Write a model bundle: the exposure's features in order with their definition
    hashes and types, the dataset version, preprocessing fitted in SQL on its rows."""
    from featureops.bundles.build import build_bundle
    from featureops.bundles.bundle import write_bundle
    from featureops.bundles.spec import read_spec

    spec = read_spec(spec_path) if spec_path else None
    if Path(dataset).is_file():
        from featureops.datasets.identity import read_file_version

        dataset = read_file_version(dataset).version
    built = build_bundle(project, _registry(project, registry_dir), exposure, dataset, spec)
    if out_dir is None:
        from featureops.bundles.index import bundles_root

        out_dir = str(bundles_root(project) / exposure)
    write_bundle(built, Path(out_dir))
    if output_format == "json":
        print_json({"bundle": built.id, "out": out_dir, "features": len(built.features),
                    "preprocessed": list(built.preprocessing)})
        return
    console().print(f"bundle {built.id}: {len(built.features)} features of {exposure} from "
                    f"{built.dataset_version}, {len(built.preprocessing)} preprocessed -> "
                    f"{out_dir}")


COMMANDS = [datasets, bundle]
