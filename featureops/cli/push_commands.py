"""`featureops push VIEW FILE.jsonl`: contract-enforced writes into the online store."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import IO, TYPE_CHECKING

import click

from featureops.cli.options import console, error_console, json_option, print_json, project_options
from featureops.exceptions import FeatureopsError

if TYPE_CHECKING:
    from featureops.project import Project

TOKEN_ENV = "FEATUREOPS_PUSH_TOKEN"


@click.command()
@click.argument("view_name")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, allow_dash=True))
@project_options
@click.option("--token-file", type=click.Path(dir_okay=False), default=None,
              help=f"A file holding the producer's token [default: ${TOKEN_ENV}].")
@click.option("--token", hidden=True, default=None,
              help="Refused: a token on the command line shows in `ps`.")
@click.option("--mode", type=click.Choice(["strict", "lenient"]), default="strict",
              show_default=True,
              help="strict rejects records that break the contract or a test; lenient "
                   "accepts those that can be stored, with warnings.")
@click.option("--dead-letter", "dead_letter", type=click.Path(dir_okay=False), default=None,
              help="Where rejected records go [default: <view>.jsonl in "
                   "$FEATUREOPS_DEAD_LETTER_DIR, else in <project>/data/dead_letter].")
@click.option("--batch-size", type=click.IntRange(min=1), default=10_000, show_default=True,
              help="Records validated and written per atomic write.")
@click.option("--quiet", is_flag=True, help="No progress bar.")
@json_option
def push(view_name: str, file: str, project: Project, token_file: str | None,
         token: str | None, mode: str, dead_letter: str | None, batch_size: int,
         quiet: bool, as_json: bool) -> None:
    """Validate the records of FILE (JSON lines) against VIEW's contract and tests, write
    the accepted ones to the online store and the rejected ones to a dead-letter file.

    The producer's token comes from --token-file or $FEATUREOPS_PUSH_TOKEN, never from
    the command line (where any user sees it in `ps`).

    Exit 0 when every record was written, 1 when any was rejected.
    """
    from featureops.catalog import FeatureCatalog
    from featureops.contracts.push import (
        ContractPush,
        PushReport,
        UnauthorizedProducerError,
        authorize,
        check_pushable,
        dead_letter_path,
        parse_lines,
        store_writer,
    )
    from featureops.online.config import open_online_store

    if token is not None:
        raise click.UsageError(f"--token would show the token to every user of this machine "
                               f"(`ps`); set {TOKEN_ENV} or pass --token-file FILE")
    view = FeatureCatalog.from_manifest(project.manifest).view(view_name)
    producer = check_pushable(view)
    token = _read_token(token_file) if token_file else os.environ.get(TOKEN_ENV)
    unauthorized = None
    try:
        authorize(view, token)
    except UnauthorizedProducerError as error:
        unauthorized = str(error)
    store = open_online_store(project)
    pusher = ContractPush(project, view, mode=mode, writer=store_writer(store),
                          dead_letter=dead_letter_path(project, view.name, dead_letter))
    total = PushReport(view.name, mode, str(pusher.dead_letter.path))
    try:
        with _open(file) as stream, _progress(file, quiet) as (bar, task):
            for batch, consumed in _batches(stream, file, batch_size):
                total.add(pusher.push(parse_lines(batch), producer=producer,
                                      unauthorized=unauthorized))
                bar.update(task, advance=consumed)
    finally:
        store.close()
    if as_json:
        print_json(total.to_dict())
    else:
        _print_report(total)
    if unauthorized:
        error_console().print(f"error: {unauthorized}")
    if total.rejected:
        raise click.exceptions.Exit(1)


def _read_token(path: str) -> str:
    """The token in a file (surrounding whitespace and the final newline dropped)."""
    try:
        token = Path(path).read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as error:
        raise FeatureopsError(f"cannot read the token file {path}: "
                              f"{getattr(error, 'strerror', None) or error}") from None
    if not token:
        raise FeatureopsError(f"the token file {path} is empty")
    return token


def _open(file: str) -> IO[bytes]:
    return click.open_file(file, "rb")


def _batches(stream: IO[bytes], file: str, size: int
             ) -> Iterator[tuple[list[tuple[str, bytes]], int]]:
    """Lines as (``file:line``, bytes) in batches, with the bytes each batch consumed."""
    from featureops.contracts.push import ndjson_lines

    name = "stdin" if file == "-" else Path(file).name
    batch: list[tuple[str, bytes]] = []
    consumed = 0
    for number, line in ndjson_lines(stream):
        consumed += len(line)
        batch.append((f"{name}:{number}", line))
        if len(batch) == size:
            yield batch, consumed
            batch, consumed = [], 0
    if batch:
        yield batch, consumed


class _progress:
    """A rich progress bar over the file's bytes (a no-op for stdin or --quiet)."""

    def __init__(self, file: str, quiet: bool) -> None:
        from rich.progress import BarColumn, DownloadColumn, Progress, TimeElapsedColumn

        size = None if file == "-" else os.path.getsize(file)
        self.bar = Progress("push", BarColumn(), DownloadColumn(), TimeElapsedColumn(),
                            console=error_console(), transient=True,
                            disable=quiet or size is None)
        self.task = self.bar.add_task("push", total=size)

    def __enter__(self):
        self.bar.__enter__()
        return self.bar, self.task

    def __exit__(self, *exc: object) -> None:
        self.bar.__exit__(*exc)


def _print_report(report) -> None:
    out = console()
    out.print(f"{report.view}: {report.received:,} record(s), {report.accepted:,} accepted "
              f"({report.written:,} newer than the stored values), {report.rejected:,} "
              f"rejected, {report.warned:,} with warnings ({report.mode} mode)")
    if report.rejected_by_rule:
        out.print("rejected by rule: " + ", ".join(
            f"{rule} {count:,}" for rule, count in report.rejected_by_rule.most_common()))
        out.print(f"dead letters: {report.dead_letter}")
    if report.warned_by_rule:
        out.print("warnings by rule: " + ", ".join(
            f"{rule} {count:,}" for rule, count in report.warned_by_rule.most_common()))
    for example in report.examples[:5]:
        reasons = "; ".join(f"{r['field'] or 'record'}: {r['message']}"
                            for r in example["reasons"])
        out.print(f"  {example['source']}: {reasons}")


COMMANDS = [push]
