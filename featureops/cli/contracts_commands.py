"""`featureops contracts ...`: the schema registry, compatibility checks, JSON Schema export
and contract scaffolding (docs/contracts.md)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import click

from featureops.cli.options import console, json_option, new_table, print_json, project_options

if TYPE_CHECKING:
    from rich.table import Table

    from featureops.project import Project

registry_option = click.option(
    "--registry", "registry_dir", type=click.Path(file_okay=False), default=None,
    help="Registry directory [default: <project>/contracts/registry].")


def _registry(project: Project, registry_dir: str | None):
    from featureops.contracts.registry import DEFAULT_REGISTRY_DIR, Registry

    return Registry(Path(registry_dir) if registry_dir else project.project_dir /
                    DEFAULT_REGISTRY_DIR)


@click.group()
def contracts() -> None:
    """Schema registry and compatibility checks for contracted dbt models."""


@contracts.command()
@project_options
@registry_option
@click.option("--allow-breaking", metavar="REASON", default=None,
              help="Record versions that violate their mode, with this reason.")
@click.option("--dry-run", is_flag=True, help="Say what would be registered; write nothing.")
@json_option
def register(project: Project, registry_dir: str | None, allow_breaking: str | None,
             dry_run: bool, as_json: bool) -> None:
    """Record the current contract of every contracted model as a new version.

    An unchanged contract records nothing. A change that its compatibility mode forbids is
    refused (exit 1, nothing written) unless --allow-breaking gives a reason.
    """
    from featureops.contracts.check import register_contracts

    registry = _registry(project, registry_dir)
    result = register_contracts(project.manifest, registry, allow_breaking=allow_breaking,
                                dry_run=dry_run)
    if as_json:
        print_json({"refused": result.refused, "registered": result.registered,
                    "retired": result.retired, "unchanged": result.unchanged,
                    "written": result.written,
                    "violations": [v.to_dict() for v in result.report.violations]})
    else:
        out = console()
        if result.refused:
            out.print(_violations_table(result.report.violations))
            out.print(f"refused: {len(result.report.violations)} violation(s); fix them, bump "
                      "the model's dbt version, or pass --allow-breaking REASON")
        else:
            verb = "would register" if dry_run else "registered"
            out.print(f"{verb} {len(result.registered)} version(s)"
                      + (f" ({', '.join(result.registered)})" if result.registered else "")
                      + (f", retired {', '.join(result.retired)}" if result.retired else "")
                      + f"; {len(result.unchanged)} unchanged; registry: {registry.root}")
    if result.refused:
        raise click.exceptions.Exit(1)


@contracts.command()
@project_options
@registry_option
@click.option("--against", type=click.Choice(["registry"]), default="registry",
              show_default=True, help="Compare with the registry.")
@click.option("--baseline", type=click.Path(dir_okay=False, exists=True), default=None,
              help="Compare with an older manifest.json instead of the registry.")
@click.option("--all", "show_all", is_flag=True, help="Also list the changes that are allowed.")
@click.option("--fail-on-dbt-breaking", is_flag=True,
              help="Also fail on every change dbt's state:modified.contract calls breaking.")
@click.option("--require-registered", is_flag=True,
              help="Also fail when a contract changed or appeared without being registered.")
@json_option
def check(project: Project, registry_dir: str | None, against: str, baseline: str | None,
          show_all: bool, fail_on_dbt_breaking: bool, require_registered: bool,
          as_json: bool) -> None:
    """Check every contract against its previous version(s) under its compatibility mode.

    Exit 1 on any violation.
    """
    from featureops.contracts.check import (
        check_contracts,
        manifest_histories,
        missing_reason,
        registry_histories,
    )
    from featureops.contracts.contract import contracts_from_manifest
    from featureops.manifest import load_manifest

    manifest = project.manifest
    if baseline:
        histories, source = manifest_histories(load_manifest(baseline)), baseline
    else:
        registry = _registry(project, registry_dir)
        histories, source = registry_histories(registry), str(registry.root)
    report = check_contracts(contracts_from_manifest(manifest), histories,
                             fail_on_dbt_breaking=fail_on_dbt_breaking,
                             why_missing=missing_reason(manifest))
    stale = require_registered and not baseline and bool(report.unregistered or report.new)
    if as_json:
        print_json({**report.to_dict(), "against": source, "stale_registry": stale})
    else:
        _print_check(report, source, show_all, stale, against_registry=not baseline)
    if not report.ok or stale:
        raise click.exceptions.Exit(1)


def _print_check(report, source: str, show_all: bool, stale: bool,
                 against_registry: bool) -> None:
    out = console()
    if report.violations:
        out.print(_violations_table(report.violations))
    if show_all and report.changes:
        table = new_table(title="All changes")
        for header in ("model", "column", "rule", "old", "new", "against", "dbt breaking"):
            table.add_column(header, overflow="fold")
        for change, against in report.changes:
            table.add_row(_label(change), change.column or "-", change.rule, change.old or "-",
                          change.new or "-", against, "yes" if change.dbt_breaking else "no")
        out.print(table)
    summary = (f"{len(report.checked)} contract(s) checked against {source}: "
               f"{len(report.violations)} violation(s), {len(report.changes)} change(s)")
    if report.new:
        summary += f", new: {', '.join(report.new)}"
    if report.unregistered:
        label = "not yet registered" if against_registry else "changed"
        summary += f", {label}: {', '.join(report.unregistered)}"
    out.print(summary)
    if stale:
        out.print("the registry is not up to date: run `featureops contracts register`")


def _label(change) -> str:
    return change.model if change.model_version is None else \
        f"{change.model}.v{change.model_version}"


def _violations_table(violations) -> Table:
    table = new_table(title="Contract violations")
    for header in ("model", "column", "rule", "old", "new", "mode", "against"):
        table.add_column(header, overflow="fold")
    for violation in violations:
        change = violation.change
        table.add_row(_label(change), change.column or "-", change.rule, change.old or "-",
                      change.new or "-", violation.mode, violation.against)
    return table


@contracts.command()
@click.argument("model")
@project_options
@registry_option
@json_option
def history(model: str, project: Project, registry_dir: str | None, as_json: bool) -> None:
    """List the registered versions of MODEL and what changed in each."""
    from featureops.contracts.compatibility import diff_contracts

    model_history = _registry(project, registry_dir).require(model)
    rows = []
    previous = {}
    for entry in model_history.versions:
        before = previous.get(entry.model_version)
        if entry.contract is None:
            summary = f"retired: {entry.reason}"
        elif before is None:
            summary = f"first version: {len(entry.contract.columns)} columns"
        else:
            changes = diff_contracts(before, entry.contract)
            summary = "; ".join(_describe(c) for c in changes) or "no schema change"
        if entry.contract is not None:
            previous[entry.model_version] = entry.contract
        rows.append({"version": entry.version, "model_version": entry.model_version,
                     "registered_at": entry.registered_at,
                     "checksum": entry.contract.checksum if entry.contract else None,
                     "compatibility": entry.contract.compatibility if entry.contract else None,
                     "changes": summary, "breaking_change_reason": entry.reason})
    if as_json:
        print_json({"model": model, "versions": rows})
        return
    table = new_table(title=f"Contract history of {model}")
    for header in ("version", "dbt version", "registered at", "mode", "checksum", "changes"):
        table.add_column(header, overflow="fold")
    for row in rows:
        table.add_row(str(row["version"]), row["model_version"] or "-", row["registered_at"],
                      row["compatibility"] or "-", (row["checksum"] or "-")[:19],
                      row["changes"])
    console().print(table)


def _describe(change) -> str:
    where = f"{change.column}: " if change.column else ""
    values = f" ({change.old or '-'} -> {change.new or '-'})" if change.old or change.new else ""
    return f"{where}{change.rule}{values}"


@contracts.command()
@click.argument("model")
@click.option("--version", "version", type=int, default=None,
              help="Registry version [default: the latest].")
@project_options
@registry_option
@json_option
def show(model: str, version: int | None, project: Project, registry_dir: str | None,
         as_json: bool) -> None:
    """Show one registered contract version of MODEL."""
    entry = _registry(project, registry_dir).require(model).get(version)
    if as_json:
        print_json(entry.to_json())
        return
    out = console()
    out.print(f"[bold]{model}[/bold] registry v{entry.version}"
              + (f" (dbt version {entry.model_version})" if entry.model_version else "")
              + f", registered {entry.registered_at}")
    if entry.contract is None:
        out.print(f"retired: {entry.reason}")
        return
    contract = entry.contract
    out.print(f"mode: {contract.compatibility}   materialized: {contract.materialized}   "
              f"checksum: {contract.checksum}")
    if entry.reason:
        out.print(f"breaking change accepted: {entry.reason}")
    table = new_table()
    for header in ("column", "data type", "nullable", "constraints", "default"):
        table.add_column(header)
    for column in contract.columns:
        table.add_row(column.name, column.data_type or "-", "yes" if column.nullable else "no",
                      ", ".join(str(c.get("type")) for c in column.constraint_dicts) or "-",
                      repr(column.default) if column.has_default else "-")
    out.print(table)
    if contract.constraints:
        out.print("model constraints: " + "; ".join(str(c) for c in contract.constraint_dicts))


@contracts.command()
@click.argument("models", nargs=-1)
@click.option("--format", "format_", type=click.Choice(["jsonschema"]), default="jsonschema",
              show_default=True, help="Export format (JSON Schema draft 2020-12).")
@click.option("--out", "out_dir", type=click.Path(file_okay=False), default=None,
              help="Write <model>.schema.json files here instead of printing one JSON object.")
@project_options
def export(models: tuple[str, ...], format_: str, out_dir: str | None,
           project: Project) -> None:
    """Export contracts as JSON Schema (every contracted model, or MODELS)."""
    from featureops.contracts.contract import is_contracted
    from featureops.contracts.jsonschema_export import json_schema

    manifest = project.manifest
    nodes = ([manifest.find_model(name) for name in models] if models else
             [n for n in manifest.models.values() if is_contracted(n, manifest.project_name)])
    schemas = {_node_label(node): json_schema(manifest, node) for node in nodes}
    if out_dir is None:
        print_json(schemas)
        return
    from featureops.files import write_text_atomic

    directory = Path(out_dir)
    for label, schema in schemas.items():
        write_text_atomic(directory / f"{label}.schema.json",
                          json.dumps(schema, indent=2, ensure_ascii=False) + "\n")
    console().print(f"wrote {len(schemas)} JSON Schema file(s) to {directory}")


def _node_label(node) -> str:
    return node.name if node.version is None else f"{node.name}_v{node.version}"


@contracts.command()
@click.argument("model")
@click.option("--warehouse", type=click.Path(dir_okay=False), default=None,
              help="A DuckDB file dbt built [default: the selected dbt target's warehouse].")
@click.option("--catalog", type=click.Path(dir_okay=False), default=None,
              help="Take the types from this catalog.json instead (any engine, no "
                   "not-null evidence).")
@click.option("--out", type=click.Path(dir_okay=False), default=None,
              help="Write the YAML to this file instead of printing it.")
@click.option("--force", is_flag=True, help="Overwrite --out if it exists.")
@project_options
def scaffold(model: str, warehouse: str | None, catalog: str | None, out: str | None,
             force: bool, project: Project) -> None:
    """Write the contract YAML of MODEL (a model without one) from what was built."""
    from featureops.contracts.scaffold import scaffold_from_catalog, scaffold_from_warehouse
    from featureops.engines import open_engine

    manifest = project.manifest
    node = manifest.find_model(model)
    if catalog:
        result = scaffold_from_catalog(manifest, node, Path(catalog))
    else:
        with open_engine(project, warehouse=warehouse) as engine:
            result = scaffold_from_warehouse(manifest, node, engine)
    text = result.to_yaml()
    if out is None:
        click.echo(text, nl=False)
        return
    target = Path(out)
    if target.exists() and not force:
        raise click.UsageError(f"{target} exists; pass --force to overwrite it")
    from featureops.files import write_text_atomic

    write_text_atomic(target, text)
    console().print(f"wrote the contract of {model} ({len(result.columns)} columns) to {target}")


COMMANDS = [contracts]
