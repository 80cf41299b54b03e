"""Commands that read the feature catalog from the manifest: validate, list, describe."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from featureops.cli.options import console, json_option, new_table, print_json, project_options

if TYPE_CHECKING:
    from featureops.catalog import FeatureCatalog, FeatureView
    from featureops.project import Project


@click.command()
@project_options
@json_option
def validate(project: Project, as_json: bool) -> None:
    """Check every meta.featureops block; exit 1 on any error."""
    from featureops.validate import validate_manifest

    report = validate_manifest(project.manifest)
    if as_json:
        print_json({
            "ok": report.ok,
            "feature_views": report.feature_views,
            "feature_services": report.feature_services,
            "training_sets": report.training_sets,
            "problems": [p.to_dict() for p in report.problems],
        })
    else:
        for problem in report.problems:
            click.echo(str(problem), err=problem.severity == "error")
        summary = (f"{report.feature_views} feature view(s), {report.feature_services} "
                   f"feature service(s), {report.training_sets} training set(s): "
                   f"{len(report.errors)} error(s), "
                   f"{len(report.problems) - len(report.errors)} warning(s)")
        if report.feature_views == 0:
            summary += " (no model has meta.featureops.kind: feature_view)"
        click.echo(summary)
    if not report.ok:
        raise click.exceptions.Exit(1)


@click.command(name="list")
@project_options
@json_option
def list_views(project: Project, as_json: bool) -> None:
    """List the feature views: entities, feature count, ttl, owner, consumers."""
    from featureops.catalog import FeatureCatalog

    catalog = FeatureCatalog.from_manifest(project.manifest)
    rows = [_view_summary(view) for view in catalog.views.values()]
    if as_json:
        print_json({"feature_views": rows,
                    "feature_services": [_service_summary(catalog, s) for s in catalog.services]})
        return
    table = new_table(title=f"Feature views of {project.manifest.project_name}")
    for header in ("view", "entities", "timestamp", "features", "ttl", "online", "owner",
                   "status", "consumers"):
        table.add_column(header)
    for row in rows:
        table.add_row(
            row["name"], ", ".join(row["entities"]), row["timestamp"], str(row["feature_count"]),
            row["ttl"] or "-", "yes" if row["online"] else "no", row["owner"] or "-",
            row["status"] or "-", ", ".join(row["consumers"]) or "-",
        )
    out = console()
    out.print(table)
    if catalog.services:
        services = new_table(title="Feature services (ml exposures)")
        for header in ("service", "stage", "views", "features", "owner"):
            services.add_column(header)
        for name in catalog.services:
            summary = _service_summary(catalog, name)
            services.add_row(name, summary["stage"] or "-", ", ".join(summary["views"]),
                             str(summary["feature_count"]), summary["owner"] or "-")
        out.print(services)


@click.command()
@click.argument("view_name")
@project_options
@json_option
def describe(view_name: str, project: Project, as_json: bool) -> None:
    """Describe one feature view: its spec, features and consumers."""
    from featureops.catalog import FeatureCatalog

    view = FeatureCatalog.from_manifest(project.manifest).view(view_name)
    detail = _view_summary(view) | {
        "description": view.model.description,
        "unique_id": view.model.unique_id,
        "yaml_path": view.model.yaml_path,
        "relation": view.model.relation_name,
        "contract_enforced": view.model.contract_enforced,
        "spec": view.spec.model_dump(mode="json", exclude_none=True),
        "features": [
            {"name": f.name, "ref": f.ref, "data_type": f.data_type,
             "description": f.description.strip()}
            for f in view.features
        ],
    }
    if as_json:
        print_json(detail)
        return
    out = console()
    out.print(f"[bold]{view.name}[/bold]  ({view.model.unique_id})")
    out.print(view.model.description.strip())
    spec = view.spec
    out.print(f"entities: {', '.join(spec.entities)}   timestamp: {spec.timestamp}   "
              f"ttl: {spec.ttl or '-'}   online: {spec.online}   owner: {view.owner or '-'}   "
              f"status: {spec.status or '-'}   compatibility: {spec.compatibility}")
    table = new_table(title="Features")
    for header in ("feature", "type", "description"):
        table.add_column(header, overflow="fold")
    for feature in detail["features"]:
        table.add_row(feature["name"], feature["data_type"] or "-", feature["description"])
    out.print(table)
    out.print(f"consumers: {', '.join(detail['consumers']) or '-'}")


def _view_summary(view: FeatureView) -> dict[str, Any]:
    return {
        "name": view.name,
        "entities": list(view.entities),
        "timestamp": view.timestamp,
        "feature_count": len(view.features),
        "ttl": view.spec.ttl,
        "online": view.spec.online,
        "owner": view.owner,
        "status": view.spec.status,
        "consumers": [exposure.name for exposure in view.consumers],
    }


def _service_summary(catalog: FeatureCatalog, name: str) -> dict[str, Any]:
    service = catalog.services[name]
    resolved = catalog.resolve_service(name)
    return {
        "name": name,
        "stage": service.spec.stage,
        "owner": service.exposure.owner_name,
        "views": list(resolved),
        "feature_count": sum(len(features) for features in resolved.values()),
        "features": [f.ref for features in resolved.values() for f in features],
    }


COMMANDS = [validate, list_views, describe]
