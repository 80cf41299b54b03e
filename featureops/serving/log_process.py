"""The serving log's writer process: reads framed responses from its standard input and
writes them as serving-log Parquet files (``ServingLogWriter``).

    python -m featureops.serving.log_process DIRECTORY FLUSH_SECONDS

It runs beside the feature server (``featureops.serving.log_pipe`` starts one per server
process) so that building rows and writing Parquet never take the server's interpreter
lock: a thread in the server would, and each hand-over of the lock delayed requests.

A frame is ``FRAME`` (two lengths), a JSON header ``[served_at microseconds, kinds,
entity key columns]`` and the response body exactly as the client received it (Feast's
column shape; see ``featureops.serving.app``). It writes a file every ``FLUSH_SECONDS``
and at 50,000 rows, and everything it holds when its input closes (the server stopped,
or died). A frame it cannot read is reported on standard error and skipped.
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import struct
import sys
import time
from datetime import datetime
from pathlib import Path

import orjson

from featureops.online.encoding import datetime_to_micros, micros_to_datetime
from featureops.online.sdk import FeatureColumn, OnlineColumns
from featureops.serving.log import ServingLogWriter

FRAME = struct.Struct("<II")  # header length, body length
#: one letter per feature column: how its values are logged (see ``log._split_column``)
KIND_LETTERS = {"int": "n", "float": "n", "bool": "n", "string": "s", "timestamp": "x",
                "date": "x", "vector": "x", "json": "j"}
_LETTER_KINDS = {"n": "float", "s": "string", "x": "vector", "j": None, "?": None}
READ_BYTES = 1 << 20
#: after each read, let frames gather this long: one wake-up per batch instead of one
#: per response (the server's pipe holds 1 MiB, its buffer more)
GATHER_SECONDS = 0.02
#: the writer's CPU priority below the server's
WRITER_NICENESS = 10


def kinds_of(answer: OnlineColumns) -> str:
    return "".join(KIND_LETTERS.get(column.kind or "", "?") for column in answer.columns)


def frame(served_micros: int, kinds: str, entity_columns: int, body: bytes) -> bytes:
    header = orjson.dumps([served_micros, kinds, entity_columns])
    return b"".join((FRAME.pack(len(header), len(body)), header, body))


def answer_of(header: bytes, body: bytes) -> tuple[OnlineColumns, str, datetime]:
    """The logged answer of one frame: its columns, request id and serving time."""
    served_micros, kinds, entity_columns = orjson.loads(header)
    response = orjson.loads(body)
    names = response["metadata"]["feature_names"]
    results = response["results"]
    if len(kinds) != len(names) - entity_columns or len(results) != len(names):
        raise ValueError(f"{len(names)} feature names, {len(results)} result columns and "
                         f"{len(kinds)} kinds do not match")
    refs = names[entity_columns:]
    rows = list(zip(*(results[i]["values"] for i in range(entity_columns)), strict=True))
    parsed: dict[str | None, int | None] = {None: None}
    columns = []
    for letter, result in zip(kinds, results[entity_columns:], strict=True):
        micros = []
        for stamp in result["event_timestamps"]:
            if stamp not in parsed:  # a view's columns repeat the same timestamps
                parsed[stamp] = datetime_to_micros(datetime.fromisoformat(stamp))
            micros.append(parsed[stamp])
        columns.append(FeatureColumn(result["values"], [], result["statuses"],
                                     _LETTER_KINDS[letter], micros))
    answer = OnlineColumns(refs, names[:entity_columns], rows, columns,
                           [ref.partition(":")[0] for ref in refs],
                           response["metadata"].get("service"))
    return answer, response["request_id"], micros_to_datetime(served_micros)


def _report(message: str) -> None:
    print(f"featureops serving log: {message}", file=sys.stderr, flush=True)


def run(directory: Path, flush_seconds: float, source: int = 0) -> None:
    """Read frames from file descriptor ``source`` until it closes; write them."""
    writer = ServingLogWriter(directory, pause=os.sched_yield)  # give way between columns
    buffer = bytearray()
    due = time.monotonic() + flush_seconds
    while True:
        readable, _, _ = select.select([source], [], [], max(0.0, due - time.monotonic()))
        if readable:
            data = os.read(source, READ_BYTES)
            if not data:
                break
            buffer += data
            _consume(buffer, writer)
            time.sleep(GATHER_SECONDS)
        if time.monotonic() >= due:
            _flush(writer)
            due = time.monotonic() + flush_seconds
    if buffer:
        _report(f"{len(buffer)} bytes of an incomplete frame at the end of input, skipped")
    _flush(writer)


def _consume(buffer: bytearray, writer: ServingLogWriter) -> None:
    """Log every complete frame at the start of ``buffer`` and remove it."""
    start = 0
    while len(buffer) - start >= FRAME.size:
        header_length, body_length = FRAME.unpack_from(buffer, start)
        end = start + FRAME.size + header_length + body_length
        if len(buffer) < end:
            break
        header = bytes(buffer[start + FRAME.size:start + FRAME.size + header_length])
        body = bytes(buffer[start + FRAME.size + header_length:end])
        start = end
        # give way after every response: on this kernel an idle-class task was not
        # preempted when the server woke up on its CPU, so a burst delayed requests by its
        # whole length (1-4 ms); yielding bounds that to one response's work
        os.sched_yield()
        try:
            answer, request_id, served_at = answer_of(header, body)
            writer.append_columns(answer, request_id=request_id, served_at=served_at)
        except (ValueError, TypeError, KeyError, IndexError, OverflowError) as error:
            _report(f"a response was not logged: {error}")
        except OSError as error:  # append flushes at its row threshold
            _report(f"write failed: {error}")
    del buffer[:start]


def _flush(writer: ServingLogWriter) -> None:
    try:
        writer.flush()
    except (OSError, ValueError, TypeError, OverflowError) as error:
        _report(f"flush failed: {error}")  # a full disk must not end the process


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
