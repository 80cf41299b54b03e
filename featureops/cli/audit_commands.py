"""Governance commands: audit, deprecate."""

from __future__ import annotations

import json
from datetime import date, datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

import click

from featureops.cli.options import console, new_table, project_options

if TYPE_CHECKING:
    from featureops.audit.config import AuditConfig
    from featureops.audit.registry import RuleRegistry
    from featureops.project import Project


def _today(value: datetime | None) -> date:
    return value.date() if value else datetime.now(timezone.utc).date()


@click.command()
@click.option("--format", "fmt", default="table", show_default=True,
              type=click.Choice(["table", "json", "junit", "markdown"]))
@click.option("--out", default=None, type=click.Path(dir_okay=False),
              help="Write the report to this file (the one-line verdict is still printed).")
@click.option("--rule", "only", multiple=True, metavar="ID",
              help="Run only this rule (repeatable); ignores enable/disable.")
@click.option("--package", "packages", multiple=True, metavar="NAME",
              help="Audit this package's resources (repeatable) [default: the root project].")
@click.option("--all-packages", is_flag=True, help="Audit installed packages too.")
@click.option("--as-of", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Evaluate dates (reviews, deprecations) as of this day [default: today, "
                   "UTC].")
@click.option("--list-rules", is_flag=True, help="List the rules and exit.")
@project_options
def audit(fmt: str, out: str | None, only: tuple[str, ...], packages: tuple[str, ...],
          all_packages: bool, as_of: datetime | None, list_rules: bool,
          project: Project) -> None:
    """Governance audit of the project: feature-view metadata, lifecycle, contracts and
    general dbt hygiene. Exit 1 when any error-severity finding is not suppressed.

    Rules, severities, thresholds and suppressions are set in dbt_project.yml under
    vars: featureops: audit: (see docs/audit.md).
    """
    from featureops.audit.config import AuditConfig
    from featureops.audit.formats import render, render_lines, render_table, too_long_for_table
    from featureops.audit.registry import RuleRegistry
    from featureops.audit.runner import run_audit
    from featureops.lineage.loading import load_project_lineage

    if out and fmt == "table":
        raise click.UsageError("--out needs --format json, junit or markdown")
    config = AuditConfig.from_vars(project.var("featureops"))
    registry = RuleRegistry.with_namespaces(config.rule_namespaces)
    if list_rules:
        _print_rules(registry, config)
        return
    lineage = load_project_lineage(project)
    manifest = lineage.manifest
    if all_packages:
        chosen = sorted({n.package_name for n in manifest.nodes.values()} |
                        {s.package_name for s in manifest.sources.values()})
        config = config.model_copy(update={"packages": chosen})
    elif packages:
        config = config.model_copy(update={"packages": list(packages)})
    unknown = [r for r in only if r not in registry]
    if unknown:
        raise click.UsageError(f"unknown rule(s): {', '.join(unknown)} (see --list-rules)")
    from featureops.bundles.index import bundles_root

    report = run_audit(manifest, config, today=_today(as_of), registry=registry,
                       lineage=lineage, only=only, bundles_dir=bundles_root(project))
    if out:
        from featureops.files import write_text_atomic

        write_text_atomic(Path(out), str(render(report, fmt)))
        console().print(render_table(report).renderables[-1])
        click.echo(f"wrote {out}", err=True)
    elif fmt == "table" and too_long_for_table(report):
        click.echo(render_lines(report), nl=False)
    elif fmt == "table":
        console().print(render_table(report))
    else:
        click.echo(render(report, fmt), nl=False)
    if report.failed:
        raise click.exceptions.Exit(1)


def _print_rules(registry: RuleRegistry, config: AuditConfig) -> None:
    table = new_table(title="Audit rules (docs/rules/<id>.md)")
    for header in ("id", "applies to", "severity", "enabled", "thresholds", "description"):
        table.add_column(header, overflow="fold")
    for rule in registry:
        enabled = config.is_enabled(rule.id, rule.enabled_by_default)
        severity = config.severity.get(rule.id, rule.severity)
        params = config.params_for(rule.id, rule.params)
        table.add_row(rule.id, rule.target, severity, "yes" if enabled else "no",
                      ", ".join(f"{k}={v}" for k, v in params.items()) or "-",
                      rule.description)
    console().print(table)


@click.command()
@click.argument("view")
@click.option("--date", "when", required=True, type=click.DateTime(formats=["%Y-%m-%d"]),
              help="Deprecation date (YYYY-MM-DD): when the view is due to be removed.")
@click.option("--guide", required=True,
              help="What consumers should do instead (for example: use feat_user__v2).")
@click.option("--dry-run", is_flag=True, help="Show the YAML edit and the notices only.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@project_options
def deprecate(view: str, when: datetime, guide: str, dry_run: bool, as_json: bool,
              project: Project) -> None:
    """Deprecate feature view VIEW: write status, deprecation_date and deprecation_guide
    into its YAML (or print the exact edit when it cannot be applied safely), and list the
    notices for every affected consumer and owner."""
    from featureops.deprecate import deprecate as deprecate_view
    from featureops.lineage.loading import load_project_lineage

    lineage = load_project_lineage(project)
    result = deprecate_view(lineage, project.project_dir, view, when=when.date(), guide=guide,
                            today=_today(None), dry_run=dry_run)
    for warning in [*lineage.warnings, *result.warnings]:
        click.echo(f"warning: {warning}", err=True)
    if as_json:
        click.echo(json.dumps(result.to_dict(), indent=2))
        return
    # Plain echo, not rich: diffs and notices are copied into tickets and emails as is.
    if result.written:
        click.echo(f"updated {result.yaml_path}:\n{result.diff}")
        click.echo("run `dbt parse` (or any dbt command) to refresh the manifest")
    elif result.diff:
        click.echo(f"dry run, {result.yaml_path} unchanged; the edit would be:\n{result.diff}")
    elif result.reason:
        click.echo(f"could not edit the YAML safely ({result.reason}); apply this edit by "
                   f"hand:\n{result.manual_edit}")
    else:
        click.echo(f"{result.yaml_path} already says so; nothing to change")
    if not result.notices:
        click.echo(f"no consumer or downstream owner to notify about {result.view}")
    for notice in result.notices:
        what = [f"exposure {e}" for e in notice.exposures] + list(notice.nodes)
        email = f" <{notice.email}>" if notice.email else ""
        click.echo(f"notify {notice.owner}{email}: {result.view} is deprecated, removal on "
                   f"{when.date()}; affects {', '.join(what)}; guide: {' '.join(guide.split())}")


COMMANDS = [audit, deprecate]
