"""The serving log's writer process: reads responses from its standard input and writes
them as serving-log Parquet files.

    python -m featureops.serving.log_process DIRECTORY FLUSH_SECONDS

It runs beside the feature server (``featureops.serving.log_pipe`` starts one per server
process) so that building rows and writing Parquet never take the server's interpreter
lock: a thread in the server would, and each hand-over of the lock delayed requests.

A frame is one JSON line, ``{"s": served_at microseconds, "k": kinds, "e": entity key
columns, "b": the response body exactly as the client received it}`` (Feast's column
shape; see ``featureops.serving.app``). The process appends the lines it receives to a
spool file in the log directory, with no work per response, and every ``FLUSH_SECONDS``
(or once the spool passes ``SPOOL_BYTES``, and when its input closes) turns the whole
spool into one Parquet file in a single DuckDB query (``featureops.serving.log_bulk``).
A spool that query cannot read is logged line by line instead: a line that is not a
response is reported on standard error and skipped. A spool left by a writer that was
killed is logged when the next writer starts, so what reached the spool is not lost.
"""

from __future__ import annotations

import contextlib
import os
import re
import select
import signal
import sys
import time
from datetime import datetime
from pathlib import Path

import orjson

from featureops.online.encoding import datetime_to_micros, micros_to_datetime
from featureops.online.sdk import FeatureColumn, OnlineColumns
from featureops.serving.log import ServingLogWriter, new_log_file
from featureops.serving.log_bulk import BulkConversionError, SpoolConverter

#: one letter per feature column: how its values are logged (see ``log._split_column``)
KIND_LETTERS = {"int": "n", "float": "n", "bool": "n", "string": "s", "timestamp": "x",
                "date": "x", "vector": "x", "json": "j"}
_LETTER_KINDS = {"n": "float", "s": "string", "x": "vector", "j": None, "?": None}
READ_BYTES = 1 << 20
#: after each read, let frames gather this long: one wake-up per batch instead of one
#: per response (the server's pipe holds 1 MiB, its buffer more)
GATHER_SECONDS = 0.02
#: a spool this large is written without waiting for the flush period
SPOOL_BYTES = 16 << 20
#: the writer's CPU priority below the server's
WRITER_NICENESS = 10
_SPOOL = re.compile(r"\.serving_log_spool_(\d+)\.ndjson")


def kinds_of(answer: OnlineColumns) -> str:
    return "".join(KIND_LETTERS.get(column.kind or "", "?") for column in answer.columns)


def frame(served_micros: int, kinds: str, entity_columns: int, body: bytes) -> bytes:
    """One response as a spool line (orjson's bodies hold no newline)."""
    return b'{"s":%d,"k":"%s","e":%d,"b":%s}\n' % (served_micros, kinds.encode(),
                                                   entity_columns, body)


def answer_of(line: bytes) -> tuple[OnlineColumns, str, int]:
    """The logged answer of one spool line: its columns, request id and serving time."""
    parsed_line = orjson.loads(line)
    served_micros, kinds, entity_columns = parsed_line["s"], parsed_line["k"], parsed_line["e"]
    response = parsed_line["b"]
    names = response["metadata"]["feature_names"]
    results = response["results"]
    if len(kinds) != len(names) - entity_columns or len(results) != len(names):
        raise ValueError(f"{len(names)} feature names, {len(results)} result columns and "
                         f"{len(kinds)} kinds do not match")
    refs = names[entity_columns:]
    rows = list(zip(*(results[i]["values"] for i in range(entity_columns)), strict=True))
    stamps: dict[str | None, int | None] = {None: None}
    columns = []
    for letter, result in zip(kinds, results[entity_columns:], strict=True):
        micros = []
        for stamp in result["event_timestamps"]:
            if stamp not in stamps:  # a view's columns repeat the same timestamps
                stamps[stamp] = datetime_to_micros(datetime.fromisoformat(stamp))
            micros.append(stamps[stamp])
        columns.append(FeatureColumn(result["values"], [], result["statuses"],
                                     _LETTER_KINDS[letter], micros))
    answer = OnlineColumns(refs, names[:entity_columns], rows, columns,
                           [ref.partition(":")[0] for ref in refs],
                           response["metadata"].get("service"))
    return answer, response["request_id"], served_micros


def _report(message: str) -> None:
    print(f"featureops serving log: {message}", file=sys.stderr, flush=True)


class Spool:
    """The responses received since the last file, one line each, in a hidden file of the
    log directory (named after this process, so a later writer knows whose it was)."""

    def __init__(self, directory: Path) -> None:
        self.path = directory / f".serving_log_spool_{os.getpid()}.ndjson"
        self.size = 0
        self._stream = None

    def append(self, lines: bytes | bytearray) -> None:
        if self._stream is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._stream = open(self.path, "ab", buffering=0)  # noqa: SIM115 - kept open
        self._stream.write(lines)
        self.size += len(lines)

    def close(self) -> None:
        if self._stream is not None:
            self._stream.close()
            self._stream = None


def write_spool(path: Path, converter: SpoolConverter) -> None:
    """Log every response of the spool at ``path`` (one Parquet file), then remove it."""
    target = new_log_file(path.parent)
    try:
        converter.write(path, target)
    except BulkConversionError as error:
        _report(f"logging {path.name} line by line ({error})")
        _write_line_by_line(path)
    except OSError as error:  # a full disk must not end the process
        _report(f"write failed, the spool is kept for the next writer: {error}")
        return
    path.unlink(missing_ok=True)


def _write_line_by_line(path: Path) -> None:
    writer = ServingLogWriter(path.parent)
    with open(path, "rb") as lines:
        for line in lines:
            try:
                answer, request_id, served_micros = answer_of(line)
                writer.append_columns(answer, request_id=request_id,
                                      served_at=micros_to_datetime(served_micros))
            except (ValueError, TypeError, KeyError, IndexError, OverflowError) as error:
                _report(f"a response was not logged: {error}")
    writer.flush()


def recover_spools(directory: Path, converter: SpoolConverter) -> None:
    """Log the spools of writers that are gone (killed before their last flush)."""
    if not directory.is_dir():
        return
    for path in sorted(directory.iterdir()):
        owner = _SPOOL.fullmatch(path.name)
        if owner and int(owner.group(1)) != os.getpid() and not _alive(int(owner.group(1))):
            write_spool(path, converter)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def run(directory: Path, flush_seconds: float, source: int = 0) -> None:
    """Read frames from file descriptor ``source`` until it closes; write them."""
    converter = SpoolConverter()
    recover_spools(directory, converter)
    spool = Spool(directory)
    pending = bytearray()  # the start of a line whose end has not arrived
    due = time.monotonic() + flush_seconds
    while True:
        readable, _, _ = select.select([source], [], [], max(0.0, due - time.monotonic()))
        if readable:
            data = os.read(source, READ_BYTES)
            if not data:
                break
            pending += data
            complete = pending.rfind(b"\n") + 1
            if complete:
                spool.append(pending[:complete])
                del pending[:complete]
            if spool.size >= SPOOL_BYTES:
                _flush(spool, converter)
            time.sleep(GATHER_SECONDS)
        if time.monotonic() >= due:
            _flush(spool, converter)
            due = time.monotonic() + flush_seconds
    if pending:
        _report(f"{len(pending)} bytes of an incomplete frame at the end of input, skipped")
    _flush(spool, converter)
    converter.close()


def _flush(spool: Spool, converter: SpoolConverter) -> None:
    if spool.size:
        spool.close()
        spool.size = 0
        write_spool(spool.path, converter)


#: the server's "I am stopping": write the rest at normal scheduling (nice +10) so the
#: server's shutdown does not wait on idle CPU time. Ignored by default, so it is harmless
#: if it arrives before the handler exists.
HURRY_SIGNAL = signal.SIGURG


def _threads() -> list[int]:
    """This process's thread ids: on Linux, scheduling and nice are per thread, and
    imports (pyarrow's allocator, DuckDB) have started threads before ``main`` runs."""
    try:
        return [int(name) for name in os.listdir("/proc/self/task")]
    except OSError:
        return [0]


def _schedule(policy_name: str) -> None:
    policy = getattr(os, policy_name, None)
    if policy is None:  # not Linux: nice alone
        return
    for thread in _threads():
        with contextlib.suppress(OSError):  # a thread that just ended
            os.sched_setscheduler(thread, policy, os.sched_param(0))


def _hurry(*_: object) -> None:
    _schedule("SCHED_OTHER")


def _yield_the_cpu() -> None:
    """The server comes first: the writer runs only on CPU time nothing else wants
    (Linux's SCHED_IDLE, every thread of it; elsewhere nice +10), so the log waits in the
    pipe while requests are answered and catches up between them (past the buffer,
    responses are dropped and counted). At normal priority its bursts, every
    GATHER_SECONDS, delayed requests that arrived during them by 1-4 ms."""
    for thread in _threads():
        with contextlib.suppress(OSError):
            os.setpriority(os.PRIO_PROCESS, thread, os.getpriority(os.PRIO_PROCESS, thread)
                           + WRITER_NICENESS)
    _schedule("SCHED_IDLE")


def main(argv: list[str]) -> int:
    # its own process group, so Ctrl-C at the terminal (sent to the foreground group)
    # reaches the server only; but not a session of its own: Linux gives each session an
    # autogroup, and between groups the scheduler shares CPU fairly, so SCHED_IDLE did not
    # yield to the server (the writer's bursts delayed requests by 1-4 ms until 2026-12-04)
    with contextlib.suppress(OSError):
        os.setpgid(0, 0)
    _yield_the_cpu()
    # its life is bound to its input: Ctrl-C or a SIGTERM sent to the server's process
    # group must not end it before the server has closed the pipe (it would lose rows)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    signal.signal(HURRY_SIGNAL, _hurry)
    if len(argv) != 2:
        _report("usage: python -m featureops.serving.log_process DIRECTORY FLUSH_SECONDS")
        return 2
    run(Path(argv[0]), float(argv[1]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
