"""Online-store commands: materialize, lookup, serve, consistency, online-status."""

from __future__ import annotations

import os
from datetime import datetime
from typing import TYPE_CHECKING, Any

import click

from featureops.cli.options import console, json_option, new_table, print_json, project_options
from featureops.exceptions import FeatureopsError

if TYPE_CHECKING:
    from featureops.project import Project

TIME_FORMATS = ["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S.%f"]
warehouse_option = click.option(
    "--warehouse", type=click.Path(dir_okay=False), default=None,
    help="A DuckDB file dbt built [default: the selected dbt target's warehouse: DuckDB, "
         "Postgres or Spark].")
select_option = click.option("--select", "-s", "select", multiple=True, metavar="VIEW",
                             help="Feature view to include (repeatable) [default: every online "
                                  "view].")


#: a batch job yields the CPU to serving: with 50 clients on a 2-core machine, a
#: materialize at normal priority raised the server's p99 several times over
MATERIALIZE_NICENESS = 10


class UnsafeBindError(FeatureopsError):
    """serve would listen beyond loopback without a token."""


@click.command()
@project_options
@select_option
@click.option("--full/--incremental", "full", default=True, show_default=True,
              help="Rebuild each view as a new version, or only add rows newer than the "
                   "stored watermark.")
@click.option("--end-time", type=click.DateTime(TIME_FORMATS), default=None,
              help="Materialize as of this time, UTC [default: now].")
@click.option("--batch-size", type=click.IntRange(min=1), default=65_536, show_default=True,
              help="Rows per batch read from the warehouse.")
@click.option("--quiet", is_flag=True, help="No progress bar.")
@click.option("--nice", type=click.IntRange(0, 19), default=MATERIALIZE_NICENESS,
              show_default=True,
              help="Lower this job's CPU priority by this much, so that a feature server on "
                   "the same machine keeps its latency (0: normal priority).")
@warehouse_option
@json_option
def materialize(project: Project, select: tuple[str, ...], full: bool,
                end_time: datetime | None, batch_size: int, quiet: bool, nice: int,
                warehouse: str | None, as_json: bool) -> None:
    """Write the latest row per entity within ttl of each online view to the online store."""
    from featureops.online.materialize import materialize as run

    if nice:
        os.nice(nice)  # DuckDB's threads, started later, inherit it

    results = run(project, select=select, mode="full" if full else "incremental",
                  end_time=end_time, batch_size=batch_size, progress=not (quiet or as_json),
                  warehouse=warehouse)
    if as_json:
        print_json([{**r.__dict__, "rows_per_second": round(r.rows_per_second)} for r in results])
        return
    table = new_table(title="Materialized")
    for header in ("view", "mode", "rows", "version", "seconds", "rows/s", "removed", "note"):
        table.add_column(header)
    for r in results:
        table.add_row(r.view, r.mode, f"{r.rows:,}", r.version or "-", f"{r.seconds:.2f}",
                      f"{r.rows_per_second:,.0f}", ", ".join(r.removed_versions) or "-",
                      r.note or "")
    console().print(table)


def _parse_entities(pairs: tuple[str, ...]) -> dict[str, list[Any]]:
    entities: dict[str, list[Any]] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise click.BadParameter(f"'{pair}' is not KEY=VALUE", param_hint="--entity")
        entities.setdefault(name.strip(), []).append(value.strip())
    return entities


def _parse_fields(text: str | None, entities: tuple[str, ...]) -> dict[str, list[Any]]:
    import json

    if text is None:
        return {}
    try:
        fields = json.loads(text)
    except ValueError as error:
        raise click.BadParameter(f"not JSON ({error})", param_hint="--fields") from None
    if not isinstance(fields, dict):
        raise click.BadParameter("must be a JSON object", param_hint="--fields")
    twice = sorted(set(fields) & {pair.partition("=")[0].strip() for pair in entities})
    if twice:
        raise click.BadParameter(f"'{twice[0]}' is also an --entity", param_hint="--fields")
    return {name: value if isinstance(value, list) else [value]
            for name, value in fields.items()}


@click.command()
@project_options
@click.option("--features", "-f", "features", multiple=True, metavar="VIEW[:FEATURE]",
              help="Feature or whole view to read (repeatable).")
@click.option("--exposure", "-e", default=None, help="An ml exposure (feature service).")
@click.option("--entity", "entities", multiple=True, required=True, metavar="KEY=VALUE",
              help="Entity key value (repeat a key for several entities).")
@click.option("--as-of", type=click.DateTime(TIME_FORMATS), default=None,
              help="Judge ttl and freshness as of this time, UTC [default: now].")
@click.option("--fields", default=None, metavar="JSON",
              help="Request fields of request-time views, typed as JSON: "
                   "'{\"amount\": 12.5, \"channel\": \"online\"}' (a list per field for "
                   "several entities).")
@click.option("--bundle", default=None, metavar="DIR|ID",
              help="A model bundle (its folder, or its id in the bundles folder): its "
                   "features in its order; exit 1 if their definitions changed since.")
@click.option("--preprocess", is_flag=True, help="With --bundle: apply its preprocessing.")
@json_option
def lookup(project: Project, features: tuple[str, ...], exposure: str | None,
           entities: tuple[str, ...], as_of: datetime | None, fields: str | None,
           bundle: str | None, preprocess: bool, as_json: bool) -> None:
    """Look up online features for entities (what the server's /features returns)."""
    from featureops.online.sdk import OnlineFeatureClient

    if bundle and (features or exposure):
        raise click.UsageError("--bundle replaces --features and --exposure")
    if preprocess and not bundle:
        raise click.UsageError("--preprocess needs --bundle")
    request = {**_parse_entities(entities), **_parse_fields(fields, entities)}
    client = OnlineFeatureClient(project)
    try:
        if bundle:
            found = _bundle_lookup(project, client, bundle, request, as_of, preprocess)
        else:
            found = client.get_online_features(list(features) or None, exposure, request,
                                               as_of)
    finally:
        client.close()
    if as_json:
        print_json([{"entity": dict(zip(found.entity_names, row, strict=True)),
                     "features": {ref: value._asdict() for ref, value in
                                  found.row(i).items()}}
                    for i, row in enumerate(found.entity_rows)])
        return
    out = console()
    for i, row in enumerate(found.entity_rows):
        key = ", ".join(f"{n}={v}" for n, v in zip(found.entity_names, row, strict=True))
        table = new_table(title=f"Online features for {key}")
        for header in ("feature", "value", "status", "feature timestamp (UTC)"):
            table.add_column(header, overflow="fold")
        for ref, value in found.row(i).items():
            table.add_row(ref, _short(value.value), value.status,
                          f"{value.event_at:%Y-%m-%d %H:%M:%S}" if value.event_at else "-")
        out.print(table)
    if found.offline_views:
        out.print(f"not online (request-time or offline only): {', '.join(found.offline_views)}")
    if bundle:
        out.print(f"through bundle {bundle} of {found.service}: its features in its order"
                  + (", preprocessed" if preprocess else ""))


def _bundle_lookup(project: Project, client: Any, bundle: str,
                   entities: dict[str, list[Any]], as_of: datetime | None,
                   preprocess: bool) -> Any:
    from pathlib import Path

    from featureops.bundles.errors import BundleDefinitionsChangedError
    from featureops.bundles.index import BundleIndex, bundles_root
    from featureops.bundles.online import get_bundle_features

    source = Path(bundle) if Path(bundle).is_dir() else BundleIndex(
        bundles_root(project)).find(bundle)
    try:
        return get_bundle_features(client, source, entities, as_of, preprocess)
    except BundleDefinitionsChangedError as error:  # the server's 409: a check failed
        click.echo(f"error: {error}", err=True)
        raise click.exceptions.Exit(1) from None


def _short(value: Any) -> str:
    if isinstance(value, list) and len(value) > 4:
        return "[" + ", ".join(f"{v:.3f}" for v in value[:4]) + f", ... ({len(value)} values)]"
    return "null" if value is None else str(value)


@click.command()
@project_options
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to bind.")
@click.option("--port", type=click.IntRange(1, 65535), default=6566, show_default=True)
@click.option("--workers", type=click.IntRange(min=1), default=1, show_default=True,
              help="Worker processes (one per core is a good start).")
@click.option("--allow-unauthenticated", is_flag=True,
              help="Listen beyond loopback without FEATUREOPS_SERVE_TOKEN (not recommended).")
def serve(project: Project, host: str, port: int, workers: int,
          allow_unauthenticated: bool) -> None:
    """Serve online features over HTTP (POST /features, /similar; GET /health, /metrics)."""
    import uvicorn

    from featureops.serving.auth import LOOPBACK_HOSTS
    from featureops.serving.settings import TOKEN_ENV, configured_tokens

    if host not in LOOPBACK_HOSTS and not configured_tokens() and not allow_unauthenticated:
        raise UnsafeBindError(
            f"refusing to listen on {host} without auth: set {TOKEN_ENV} (clients send "
            "'Authorization: Bearer <token>'), or pass --allow-unauthenticated"
        )
    os.environ["FEATUREOPS_SERVE_PROJECT_DIR"] = str(project.project_dir)
    os.environ["FEATUREOPS_SERVE_MANIFEST"] = str(project.manifest_path)
    from featureops.serving.app import create_app_from_env
    from featureops.serving.protocol import HEADER_TIMEOUT_ENV, uvicorn_options

    # fail here, with a one-line error, on a bad config or store
    settings = create_app_from_env().state.context.settings
    os.environ[HEADER_TIMEOUT_ENV] = str(settings.header_timeout_seconds)  # for each worker
    auth = "on" if configured_tokens() else "off"
    console().print(f"serving {project.project_dir} on http://{host}:{port} (auth {auth}, "
                    f"{workers} worker(s)); docs at /docs")
    uvicorn.run("featureops.serving.app:create_app_from_env", factory=True, host=host,
                port=port, workers=workers, **uvicorn_options(settings))


@click.command()
@project_options
@select_option
@click.option("--sample", type=click.IntRange(min=1), default=1000, show_default=True,
              help="Entities sampled per view.")
@click.option("--seed", type=int, default=42, show_default=True, help="Sampling seed.")
@warehouse_option
@json_option
def consistency(project: Project, select: tuple[str, ...], sample: int, seed: int,
                warehouse: str | None, as_json: bool) -> None:
    """Check that online values equal the offline latest values, and that request-time
    views computed as served equal the rows dbt built; exit 1 on a mismatch."""
    from featureops.online.consistency import check_consistency

    report = check_consistency(project, select=select, sample=sample, seed=seed,
                               warehouse=warehouse)
    if as_json:
        print_json({"ok": report.ok, "views": [
            {"view": v.view, "version": v.version, "end_time": v.end_time, "ok": v.ok,
             "sampled": v.sampled, "offline_entities": v.offline_entities,
             "online_entities": v.online_entities, "problem": v.problem,
             "kind": v.kind, "skipped": v.skipped,
             "chained": [c.__dict__ for c in v.chained],
             "mismatches": [m.__dict__ for m in v.mismatches]} for v in report.views]})
    else:
        _print_consistency(report)
    if not report.ok:
        raise click.exceptions.Exit(1)


def _print_consistency(report: Any) -> None:
    out = console()
    table = new_table(title="Online vs offline")
    for header in ("view", "version", "end time", "sampled", "mismatches", "result"):
        table.add_column(header)
    for v in report.views:
        result = "ok" if v.ok else f"FAIL {v.problem}".strip()
        table.add_row(v.view, v.version or ("request-time" if v.kind == "request_time" else "-"),
                      f"{v.end_time:%Y-%m-%d %H:%M:%S}" if v.end_time else "-",
                      f"{v.sampled:,}", str(len(v.mismatches)),
                      f"skipped: {v.skipped}" if v.skipped else result)
    out.print(table)
    for v in report.views:
        served, built = (("computed", "dbt-built") if v.kind == "request_time"
                         else ("online", "offline"))
        by_feature: dict[str, list[Any]] = {}
        for m in v.mismatches:
            by_feature.setdefault(m.feature, []).append(m)
        if by_feature:
            out.print(f"{v.view}: {len(v.mismatches):,} mismatches (" + ", ".join(
                f"{name} {len(found):,}" for name, found in by_feature.items()) + ")")
        for m in (m for found in by_feature.values() for m in found[:5]):
            out.print(f"{m.view} {m.entity} {m.feature}: {served} {m.online!r} != {built} "
                      f"{m.offline!r}")
        for c in v.chained:
            out.print(f"{v.view}: chained {c.feature} " + _chained_summary(c))
    out.print("consistent" if report.ok else "INCONSISTENT")


def _chained_summary(chained: Any) -> str:
    """What the store serves of a chained feature (reported, not failed: it is the
    store's data, not the view's SQL; docs/request-time.md)."""
    parts = [f"served as the input model has it for {chained.served_equal:,} of "
             f"{chained.rows:,} sampled requests"]
    if chained.served_different:
        parts.append(f"served with another value for {chained.served_different:,}")
    if chained.not_served:
        statuses = ", ".join(f"{s}: {n:,}" for s, n in sorted(chained.not_served.items()))
        parts.append(f"not served for {sum(chained.not_served.values()):,} ({statuses}), "
                     "where served requests get null")
    if chained.problem:
        parts.append(chained.problem)
    return "; ".join(parts)


@click.command(name="online-status")
@project_options
@json_option
def online_status(project: Project, as_json: bool) -> None:
    """Show the store and each online view's live version, rows, watermark and freshness."""
    from featureops.catalog import FeatureCatalog
    from featureops.online.config import open_online_store
    from featureops.online.materialize import online_views

    store = open_online_store(project)
    try:
        states = {view.name: store.live_state(view.name)
                  for view in online_views(FeatureCatalog.from_manifest(project.manifest))}
        where = store.describe()
    finally:
        store.close()
    rows = [{"view": name, "version": s.version if s else None, "rows": s.rows if s else 0,
             "mode": s.mode if s else None, "end_time": s.end_time if s else None,
             "newest_event_at": s.max_event_at if s else None} for name, s in states.items()]
    if as_json:
        print_json({"store": where, "views": rows})
        return
    table = new_table(title=f"Online store: {where}")
    for header in ("view", "version", "rows", "mode", "watermark (end time)", "newest event"):
        table.add_column(header)
    for row in rows:
        table.add_row(row["view"], row["version"] or "not materialized", f"{row['rows']:,}",
                      row["mode"] or "-", _time(row["end_time"]), _time(row["newest_event_at"]))
    console().print(table)


def _time(value: datetime | None) -> str:
    return f"{value:%Y-%m-%d %H:%M:%S}" if value else "-"


COMMANDS = [materialize, lookup, serve, consistency, online_status]
