"""The serving log's writer process and the pipe that feeds it: what the server hands over
(the encoded response) is logged exactly as the in-process writer logs the answer; a bad
frame is skipped and reported; a stalled writer never makes the server wait (responses are
dropped and counted instead); a clean close writes everything handed over."""

from __future__ import annotations

import asyncio
import os
import random
import signal
import subprocess
import sys
import threading
import time
from datetime import datetime
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from featureops.online.encoding import datetime_to_micros
from featureops.online.sdk import FeatureColumn, OnlineColumns
from featureops.serving.features_path import encode_json
from featureops.serving.features_path import feast_shape as _feast_shape
from featureops.serving.log import SCHEMA, ServingLogWriter
from featureops.serving.log_pipe import ServingLogPipe
from featureops.serving.log_process import HURRY_SIGNAL, frame, kinds_of, run
from tests.unit.serving.test_log import T, response

WAIT = 30  # seconds: only reached if the code under test is broken


def _rows(directory: Path) -> list[dict]:
    rows = [row for path in sorted(directory.glob("*.parquet"))
            for row in pq.read_table(path).to_pylist()]
    return sorted(rows, key=lambda r: (r["request_id"], r["entity_key"], r["feature"]))


def _typed_answer() -> OnlineColumns:
    """response() with the stored kinds the SDK knows, plus a timestamp feature (logged
    as neither double nor text)."""
    columns = response().to_columns()
    kinds = ["int", "string", "bool", "vector"]
    typed = [column._replace(kind=kind) for column, kind in zip(columns.columns, kinds,
                                                               strict=True)]
    stamp = FeatureColumn([T, None], [T, None], ["present", "not_found"], "timestamp",
                          typed[0].event_micros)
    return OnlineColumns([*columns.feature_refs, "v_user:seen_at"], columns.entity_names,
                         columns.entity_rows, [*typed, stamp],
                         [*columns.feature_views, "v_user"], columns.service)


def _frame(answer: OnlineColumns, request_id: str) -> bytes:
    body = encode_json(_feast_shape(answer, request_id))
    return frame(int(T.timestamp() * 1_000_000), kinds_of(answer), len(answer.entity_names),
                 body)


def _run_on(frames: list[bytes], directory: Path) -> None:
    read, write = os.pipe()
    feeder = threading.Thread(target=lambda: (os.write(write, b"".join(frames)),
                                              os.close(write)))
    feeder.start()
    run(directory, flush_seconds=60, source=read)
    feeder.join()
    os.close(read)


def test_the_process_logs_what_the_in_process_writer_logs(tmp_path: Path) -> None:
    answer = _typed_answer()
    _run_on([_frame(answer, "r1"), _frame(answer, "r2")], tmp_path / "process")
    oracle = ServingLogWriter(tmp_path / "oracle")
    for request_id in ("r1", "r2"):
        oracle.append_columns(answer, request_id=request_id, served_at=T)
    oracle.flush()
    logged = _rows(tmp_path / "process")
    assert len(logged) == 2 * 2 * 5
    assert logged == _rows(tmp_path / "oracle")
    seen = [r for r in logged if r["feature"] == "seen_at"]
    assert {(r["value_double"], r["value_text"]) for r in seen} == {(None, None)}
    tier = [r for r in logged if r["feature"] == "tier" and r["status"] == "stale"]
    assert {r["value_text"] for r in tier} == {"gold"}


def _random_answer(rng: random.Random) -> OnlineColumns:
    """An answer of every kind the log distinguishes, one or two entity key columns
    (integers or awkward strings), values of every JSON type, offsets in timestamps."""
    entities = rng.choice([1, 2, 3, 17])
    names = rng.choice([["user_id"], ["merchant", "card"]])
    texts = ["a", 'quo"te', "back\\slash", "é ünï", "", "{x}"]

    def key() -> object:
        return rng.randrange(-2**62, 2**62) if rng.random() < 0.5 else rng.choice(texts)

    rows = list(dict.fromkeys(tuple(key() for _ in names) for _ in range(entities)))
    makers = {
        "int": lambda: rng.randrange(-2**62, 2**62),
        "float": lambda: rng.choice([0.1, -1e300, 2.5e-8, 3.0, float(2**60)]),
        "bool": lambda: rng.random() < 0.5,
        "string": lambda: rng.choice(texts),
        "vector": lambda: [rng.random(), rng.random()],
        "timestamp": lambda: "2026-10-31T12:00:00+00:00",
        "json": lambda: rng.choice([1, 2.5, "x", True, None, {"a": 1}, [1]]),
        None: lambda: rng.choice([7, "y", False, None]),
    }
    offsets = ["2026-10-31T12:00:00+00:00", "2026-10-31T14:30:00.123456+02:30",
               "2026-01-01T00:00:00Z"]
    columns, refs = [], []
    for number in range(rng.randint(1, 6)):
        kind = rng.choice(list(makers))
        statuses = [rng.choice(["present", "not_found", "stale"]) for _ in rows]
        values = [makers[kind]() if status != "not_found" else None for status in statuses]
        stamps = [None if status == "not_found" else rng.choice(offsets)
                  for status in statuses]
        micros = [None if t is None else datetime_to_micros(datetime.fromisoformat(t))
                  for t in stamps]
        columns.append(FeatureColumn(values, stamps, statuses, kind, micros))
        refs.append(f"v_{number % 2}:f{number}")
    return OnlineColumns(refs, names, rows, columns, [r.split(":")[0] for r in refs],
                         rng.choice(["fraud_model", None]))


def test_the_bulk_query_logs_what_the_in_process_writer_logs(tmp_path: Path, capfd) -> None:
    """The oracle is ServingLogWriter.append_columns, row for row, over random answers."""
    rng = random.Random(20261204)
    answers = [(_random_answer(rng), f"r{i:03d}") for i in range(120)]
    _run_on([_frame(answer, request_id) for answer, request_id in answers],
            tmp_path / "process")
    assert capfd.readouterr().err == ""  # the bulk query took every frame
    oracle = ServingLogWriter(tmp_path / "oracle")
    for answer, request_id in answers:
        oracle.append_columns(answer, request_id=request_id, served_at=T)
    oracle.flush()
    [written] = list((tmp_path / "process").glob("*.parquet"))
    assert pq.read_schema(written).equals(SCHEMA)
    logged = _rows(tmp_path / "process")
    assert len(logged) == sum(len(a.entity_rows) * len(a.columns) for a, _ in answers)
    assert logged == _rows(tmp_path / "oracle")
    assert not list((tmp_path / "process").glob(".*"))  # no spool left behind


def test_a_killed_writers_spool_is_logged_by_the_next_writer(tmp_path: Path) -> None:
    answer = _typed_answer()
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()  # a process id that is no longer running
    (tmp_path / f".serving_log_spool_{dead.pid}.ndjson").write_bytes(
        _frame(answer, "before") + b'{"s":1,"k":"nn')  # killed mid-line
    _run_on([_frame(answer, "after")], tmp_path)
    assert {r["request_id"] for r in _rows(tmp_path)} == {"before", "after"}
    assert not list(tmp_path.glob(".*"))


def test_a_bad_frame_is_skipped_and_reported(tmp_path: Path, capfd) -> None:
    answer = _typed_answer()
    broken = frame(0, kinds_of(answer), 1, b"{not json")
    _run_on([_frame(answer, "r1"), broken, _frame(answer, "r2"), b"\x05\x00"], tmp_path)
    assert {r["request_id"] for r in _rows(tmp_path)} == {"r1", "r2"}
    errors = capfd.readouterr().err
    assert "a response was not logged" in errors
    assert "incomplete frame" in errors


def _autogroup(pid: int | str) -> str | None:
    """The autogroup a process is in, or None where the kernel does not say."""
    try:
        fields = Path(f"/proc/{pid}/autogroup").read_text().split()
    except OSError:
        return None
    return fields[0] if fields else None


def _pipe_run(directory: Path, steps, **options) -> tuple[ServingLogPipe, object]:
    async def main():
        pipe = ServingLogPipe(directory, **options)
        await pipe.start()
        try:
            return pipe, await steps(pipe)
        finally:
            await pipe.close()
    return asyncio.run(main())


def test_a_stalled_writer_never_blocks_the_server_and_drops_are_counted(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("featureops.serving.log_pipe.PIPE_BYTES", 4096)  # fill it fast
    answer = _typed_answer()
    body = encode_json(_feast_shape(answer, "x"))
    drops: list[int] = []

    async def steps(pipe: ServingLogPipe) -> tuple[list[bool], float]:
        os.kill(pipe.pid, signal.SIGSTOP)  # the writer stalls (as on a hung disk)
        try:
            started = time.perf_counter()
            accepted = [pipe.submit(body.replace(b'"x"', f'"r{i:04d}"'.encode()), answer)
                        for i in range(400)]
            elapsed = time.perf_counter() - started
            await asyncio.sleep(0.05)
        finally:
            os.kill(pipe.pid, signal.SIGCONT)
        return accepted, elapsed

    pipe, (accepted, elapsed) = _pipe_run(tmp_path, steps, capacity_bytes=2048,
                                          on_drop=lambda: drops.append(1))
    assert elapsed < WAIT  # never waited for the stalled writer
    assert accepted[0] and not accepted[-1]  # the buffer filled, then responses dropped
    assert pipe.dropped == accepted.count(False) == len(drops) > 0
    logged = {r["request_id"] for r in _rows(tmp_path)}
    assert logged == {f"r{i:04d}" for i, ok in enumerate(accepted) if ok}  # none lost


def test_a_dead_writer_means_counted_drops_not_errors(tmp_path: Path) -> None:
    answer = _typed_answer()
    body = encode_json(_feast_shape(answer, "x"))

    async def steps(pipe: ServingLogPipe) -> list[bool]:
        os.kill(pipe.pid, signal.SIGKILL)
        deadline = time.monotonic() + WAIT
        results = []
        while time.monotonic() < deadline and (not results or results[-1]):
            results.append(pipe.submit(body, answer))
            await asyncio.sleep(0.01)  # the loop notices the broken pipe
        return results

    pipe, results = _pipe_run(tmp_path, steps)
    assert results and not results[-1] and pipe.dropped >= 1


def _ignores(pid: int, *signals: signal.Signals) -> bool:
    mask = next(int(line.split()[1], 16) for line in
                Path(f"/proc/{pid}/status").read_text().splitlines()
                if line.startswith("SigIgn:"))
    return all(mask >> (number - 1) & 1 for number in signals)


def test_the_writer_outlives_ctrl_c_and_sigterm_and_yields_the_cpu(tmp_path: Path) -> None:
    """Ctrl-C at a terminal goes to the server's process group, which the writer is not in;
    a SIGINT or SIGTERM sent to it directly is ignored: only the pipe's end stops it. It
    runs only on CPU time the server does not want."""
    answer = _typed_answer()

    async def steps(pipe: ServingLogPipe) -> None:
        deadline = time.monotonic() + WAIT
        while not _ignores(pipe.pid, signal.SIGINT, signal.SIGTERM):
            assert time.monotonic() < deadline, "the writer never ignored the signals"
            await asyncio.sleep(0.02)
        assert os.getpgid(pipe.pid) != os.getpgid(0)
        # one session, so one autogroup: across autogroups SCHED_IDLE does not yield
        assert os.getsid(pipe.pid) == os.getsid(0)
        ours, theirs = _autogroup("self"), _autogroup(pipe.pid)
        if ours and theirs:  # some kernels and sandboxes show an empty file
            assert theirs == ours
        assert os.sched_getscheduler(pipe.pid) == os.SCHED_IDLE  # Linux: CPU nobody wants
        assert os.getpriority(os.PRIO_PROCESS, pipe.pid) >= min(
            19, os.getpriority(os.PRIO_PROCESS, 0) + 10)
        os.kill(pipe.pid, signal.SIGINT)
        os.kill(pipe.pid, signal.SIGTERM)
        os.kill(pipe.pid, HURRY_SIGNAL)  # as close() does: the rest at normal scheduling
        while os.sched_getscheduler(pipe.pid) != os.SCHED_OTHER:
            assert time.monotonic() < deadline, "the writer never left SCHED_IDLE"
            await asyncio.sleep(0.02)
        assert pipe.submit(encode_json(_feast_shape(answer, "late")), answer)

    _pipe_run(tmp_path, steps)
    assert {r["request_id"] for r in _rows(tmp_path)} == {"late"}


def test_sampling_rate_is_honoured(tmp_path: Path) -> None:
    pipe = ServingLogPipe(tmp_path, sample_rate=0.25, seed=1)
    hits = sum(pipe.sampled() for _ in range(4000))
    assert 850 < hits < 1150
    assert not any(ServingLogPipe(tmp_path, sample_rate=0.0).sampled() for _ in range(100))
    with pytest.raises(ValueError, match="sample rate"):
        ServingLogPipe(tmp_path, sample_rate=1.5)


def test_the_pipe_is_enlarged_under_uvloop(tmp_path: Path) -> None:
    """uvloop's pipe transports do not expose their pipe: at the kernel's 64 KiB it filled
    between two reads of the writer and the server flushed a backlog mid-request."""
    import fcntl

    import uvloop

    async def main() -> int:
        pipe = ServingLogPipe(tmp_path)
        await pipe.start()
        try:
            return fcntl.fcntl(pipe._transport.get_extra_info("pipe").fileno(), 1032)
        finally:
            await pipe.close()

    assert uvloop.run(main()) >= 1 << 20  # F_GETPIPE_SZ
