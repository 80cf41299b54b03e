"""`featureops stream run|status|publish|replay`: the speed layer's workers and their log
(docs/streaming.md)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from featureops.cli.options import console, json_option, print_json, project_options

if TYPE_CHECKING:
    from featureops.project import Project

_TRANSPORT = click.option("--transport", type=click.Choice(["nats", "redis"]), default=None,
                          help="The log server [default: streaming.transport, else nats].")


@click.group()
def stream() -> None:
    """Streaming features: workers that keep windowed views fresh from a log."""


@stream.command("run")
@project_options
@_TRANSPORT
@click.option("--source", "sources", multiple=True,
              help="Consume only this stream source (repeatable) [default: every source "
                   "feeding a streaming view].")
@click.option("--batch-size", type=click.IntRange(1, 10_000), default=None,
              help="Messages per batch [default: streaming.batch_size].")
@click.option("--until-idle", is_flag=True,
              help="Stop once the group has no message left (tests, backfills).")
@click.option("--quiet", is_flag=True, help="No live display; a summary at the end.")
@json_option
def run_command(project: Project, transport: str | None, sources: tuple[str, ...],
                batch_size: int | None, until_idle: bool, quiet: bool, as_json: bool) -> None:
    """Consume the stream sources of the streaming views into the online store.

    Start as many as you like, on any machines, against the same log and store: they
    share the messages. Ctrl-C (or SIGTERM) finishes the batches in hand, acknowledges
    them and stops; a second Ctrl-C stops at once (the unacknowledged messages go to
    another worker, counted once by the store).
    """
    from featureops.streaming.runner import run_workers

    summary = run_workers(project, transport=transport, sources=sources,
                          batch_size=batch_size, until_idle=until_idle,
                          display=None if quiet or as_json else console())
    if as_json:
        print_json(summary)
    else:
        _print_summary(summary)


@stream.command("status")
@project_options
@_TRANSPORT
@click.option("--interval", type=click.FloatRange(0.1, 60), default=1.0, show_default=True,
              help="Seconds between the two readings events/s is measured from.")
@json_option
def status_command(project: Project, transport: str | None, interval: float,
                   as_json: bool) -> None:
    """Per stream source: messages in the log, consumer lag, events/s, the last event
    time acknowledged, dead letters by reason."""
    from featureops.streaming.runner import source_status

    rows = source_status(project, transport=transport, interval=interval)
    if as_json:
        print_json({"sources": rows})
        return
    from featureops.cli.options import new_table

    table = new_table(title="Stream sources")
    for column in ("source", "transport", "in log", "lag", "unacked", "events/s",
                   "last event time", "last published", "workers", "dead letters"):
        table.add_column(column)
    for row in rows:
        reasons = ", ".join(f"{k} {v}" for k, v in sorted(row["dead_letter_reasons"].items()))
        table.add_row(row["source"], row["transport"], str(row["messages"]), str(row["lag"]),
                      str(row["unacked"]), f"{row['events_per_second']:.1f}",
                      row["last_event_time"] or "-", row["last_published_at"] or "-",
                      str(row["workers"]),
                      f"{row['dead_letters']}" + (f" ({reasons})" if reasons else ""))
    console().print(table)


@stream.command("publish")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@project_options
@_TRANSPORT
@click.option("--source", default=None,
              help="The stream source to publish to [default: the only one declared].")
@click.option("--offset", type=click.IntRange(min=0), default=0, show_default=True,
              help="Skip this many events of FILE first.")
@click.option("--limit", type=click.IntRange(min=1), default=None,
              help="Publish at most this many events.")
@click.option("--rate", type=click.FloatRange(min=0.1), default=None,
              help="Events per second (a demo's pace) [default: as fast as possible].")
@json_option
def publish_command(file: Path, project: Project, transport: str | None, source: str | None,
                    offset: int, limit: int | None, rate: float | None, as_json: bool) -> None:
    """Publish the events of FILE to a stream source's log, as a producer would.

    FILE is JSON lines (each line sent as it is: bad events reach the workers and are
    dead-lettered there) or Parquet with the source's columns (each row sent as JSON,
    timestamps in ISO 8601 UTC).
    """
    from featureops.streaming.runner import publish_file

    sent = publish_file(project, file, transport=transport, source=source, offset=offset,
                        limit=limit, rate=rate)
    if as_json:
        print_json(sent)
    else:
        console().print(f"published {sent['published']} event(s) to {sent['source']} "
                        f"({sent['where']})")


@stream.command("replay")
@project_options
@_TRANSPORT
@click.option("--from", "start", default=None,
              help="Replay what arrived in the log from this time: ISO 8601 (no offset: "
                   "UTC) or a duration ago (90m, 2d). Required unless --abort.")
@click.option("--source", "sources", multiple=True,
              help="Replay only this stream source (repeatable) [default: every source "
                   "feeding the views].")
@click.option("--view", "views", multiple=True,
              help="Rebuild only this streaming view (repeatable) [default: every one].")
@click.option("--batch-size", type=click.IntRange(1, 10_000), default=None,
              help="Messages per batch [default: streaming.batch_size].")
@click.option("--abort", "abort", default=None, metavar="VERSION",
              help="Drop the unpublished state version of a replay that was killed (its "
                   "'building' line names it), with one --view; nothing is replayed.")
@click.option("--quiet", is_flag=True, help="No progress display; a summary at the end.")
@json_option
def replay_command(project: Project, transport: str | None, start: str | None,
                   sources: tuple[str, ...], views: tuple[str, ...], batch_size: int | None,
                   abort: str | None, quiet: bool, as_json: bool) -> None:
    """Rebuild streaming views' state from the retained log (Kappa) into a new version and
    make it live in one atomic step; on any failure the old version keeps serving.

    Workers may keep running meanwhile: their batches feed the new version too.
    """
    from featureops.cli.options import error_console
    from featureops.streaming import replay

    if abort is not None:
        if len(views) != 1 or start is not None:
            raise click.UsageError("--abort VERSION goes with exactly one --view and no --from")
        replay.abort_replay(project, views[0], abort)
        console().print(f"{views[0]}: replay version {abort} dropped")
        return
    if start is None:
        raise click.UsageError("give --from (where in the log to replay from)")

    def building(view: str, version: str) -> None:  # stderr: seen even with --json
        error_console().print(f"{view}: building state version {version}")

    summary = replay.replay_log(project, replay.parse_start(start), transport=transport,
                                sources=sources, views=views, batch_size=batch_size,
                                console=None if quiet or as_json else console(),
                                on_begin=building)
    if as_json:
        print_json(summary)
        return
    for row in summary["sources"]:
        lost = ", ".join(f"{k} {v}" for k, v in sorted(row["not_counted"].items()))
        console().print(f"{row['source']}: {row['messages']} message(s) replayed, "
                        f"{row['applied']} applied, {row['duplicates']} duplicate(s), "
                        f"{row['too_late']} too late" + (f"; not counted: {lost}" if lost
                                                         else ""))
    for view, version in summary["published"].items():
        console().print(f"{view}: state version {version} is live")


def _print_summary(summary: dict[str, Any]) -> None:
    for row in summary["sources"]:
        console().print(
            f"{row['source']}: {row['received']} message(s), {row['applied']} applied, "
            f"{row['duplicates']} duplicate(s), {row['too_late']} too late, "
            f"{row['dead_letters']} dead letter(s), {row['failed_batches']} failed batch(es)")


COMMANDS = [stream]
