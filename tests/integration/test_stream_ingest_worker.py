"""`featureops stream publish | run | status` on the dbt-built example, on NATS JetStream
and on Redis Streams, into the SQLite online store: a slice of the raw transactions
(some published twice, a few bad) ends up in feat_user__spend_windows' stream state
exactly once each, as the rows dbt built for int_transactions__enriched; the bad and the
dropped ones are dead letters with their reasons; a worker that dies between applying a
batch and acknowledging it loses and double-counts nothing once another one takes over."""

from __future__ import annotations

import asyncio
import json
import random
from collections import defaultdict
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from featureops.cli import run
from featureops.project import Project
from featureops.streaming.events import encode_event
from featureops.streaming.runner import _views
from featureops.streaming.state import EVENT_ID_COLUMN, event_rows, open_state
from featureops.streaming.worker import Worker
from tests.integration.stream_support import (
    drop_log,
    source_log,
    started_worker,
    stream_project,
)
from tests.services import require_nats, require_redis

pytestmark = pytest.mark.slow

VIEW = "feat_user__spend_windows"
EVENTS = 3000
DUPLICATES = 150
BAD = [b'{"transaction_id": "x"', b'{"transaction_id": 1, "user_id": 1}']


@pytest.fixture(params=["nats", "redis"])
def stream_env(request, duckdb_build, tmp_path, monkeypatch):
    """A project directory of its own (SQLite store, 1 s ack_wait), a private subject
    prefix on the chosen log server, and the CLI's arguments."""
    (require_nats if request.param == "nats" else require_redis)()
    project = stream_project(tmp_path, duckdb_build, monkeypatch,
                             f"  transport: {request.param}\n  ack_wait: 1s\n"
                             "  batch_size: 250\n  max_wait_ms: 50\n")
    args = ["--project-dir", str(tmp_path), "--manifest", str(duckdb_build.manifest_path)]
    yield request.param, args, project
    asyncio.run(drop_log(project))


def _slice(duckdb_build) -> tuple[list[dict], list[bytes]]:
    """The first EVENTS raw transactions and their payloads: in event-time order, with
    DUPLICATES of them published again a little later, and the BAD ones."""
    raw = pq.read_table(duckdb_build.raw_dir / "transactions.parquet").sort_by(
        "event_at").slice(0, EVENTS).to_pylist()
    payloads = [encode_event(row) for row in raw]
    rng = random.Random(7)
    for index in sorted(rng.sample(range(EVENTS - 50), DUPLICATES), reverse=True):
        payloads.insert(index + rng.randint(1, 40), payloads[index])
    return raw, payloads[:100] + BAD + payloads[100:]


def _expected(duckdb_build, raw: list[dict]) -> pa.Table:
    """dbt's input-model rows of the slice's transactions."""
    ids = [row["transaction_id"] for row in raw]
    with duckdb.connect(str(duckdb_build.duckdb_path), read_only=True) as conn:
        conn.register("ids", pa.table({"id": ids}))
        return conn.sql("select * from main.int_transactions__enriched where transaction_id "
                        "in (select id from ids)").to_arrow_table()


def _stored(project: Project, expected: pa.Table) -> tuple[dict, dict]:
    """Per user key: the (event micros, amount_usd) the state holds, and dbt's."""
    view = next(v for v in _views(project) if v.name == VIEW)
    ids = pa.array([str(i) for i in expected.column("transaction_id").to_pylist()])
    wanted = event_rows(view, expected.append_column(EVENT_ID_COLUMN, ids))
    oracle = defaultdict(list)
    for key, micros, amount in zip(wanted.keys, wanted.micros, wanted.values["amount_usd"],
                                   strict=True):
        oracle[key].append((micros, amount))
    state = open_state(project)
    try:
        read = state.read(view, None, sorted(oracle), 0, 2 ** 62)
    finally:
        state.close()
    stored = {key: sorted(zip(events.micros, events.values["amount_usd"], strict=True))
              for key, events in read.stream.items()}
    return stored, {key: sorted(events) for key, events in oracle.items()}


def test_publish_run_status_count_each_event_once(stream_env, duckdb_build, tmp_path,
                                                  capsys):
    transport, args, project = stream_env
    raw, payloads = _slice(duckdb_build)
    events_file = tmp_path / "events.jsonl"
    events_file.write_bytes(b"\n".join(payloads) + b"\n")
    assert run(["stream", "publish", str(events_file), *args, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["published"] == len(payloads)

    assert run(["stream", "run", *args, "--until-idle", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)["sources"][0]
    expected = _expected(duckdb_build, raw)
    dropped = EVENTS - expected.num_rows
    assert summary["received"] == len(payloads)
    assert summary["applied"] == expected.num_rows
    assert summary["duplicates"] == DUPLICATES
    assert summary["too_late"] == 0
    assert summary["dead_letters"] == len(BAD) + dropped

    stored, oracle = _stored(project, expected)
    assert stored == oracle

    assert run(["stream", "status", *args, "--interval", "0.2", "--json"]) == 0
    status = json.loads(capsys.readouterr().out)["sources"][0]
    assert (status["messages"], status["lag"], status["unacked"]) == (len(payloads), 0, 0)
    assert status["dead_letters"] == len(BAD) + dropped
    reasons = {"invalid_json": 1, "invalid_event": 1}
    if dropped:
        reasons["dropped_by_model"] = dropped
    assert status["dead_letter_reasons"] == reasons
    assert status["last_event_time"] == raw[-1]["event_at"].isoformat() + "+00:00" or \
        status["last_event_time"].startswith(raw[-1]["event_at"].isoformat()[:16])

    # a second run finds nothing to do and changes nothing
    assert run(["stream", "run", *args, "--until-idle", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["sources"][0]["received"] == 0


class _Killed(BaseException):
    """Stands for SIGKILL between a batch's apply and its ack: nothing catches it."""


class _DiesAfterApplying:
    def __init__(self, state, batches: int):
        self.state, self.left = state, batches
        self.applied = self.last_applied = 0

    def apply(self, view, rows):
        result = self.state.apply(view, rows)
        self.applied += result.applied
        self.last_applied = result.applied
        self.left -= 1
        if self.left == 0:
            raise _Killed
        return result

    def close(self):
        self.state.close()


async def _work(project: Project, state) -> Worker:
    async with started_worker(project, state) as worker:
        await worker.run(until_idle=True)
    return worker


def test_a_worker_killed_after_applying_loses_and_doubles_nothing(stream_env, duckdb_build,
                                                                  tmp_path: Path):
    _, args, project = stream_env
    raw, payloads = _slice(duckdb_build)
    events_file = tmp_path / "events.jsonl"
    events_file.write_bytes(b"\n".join(payloads) + b"\n")
    assert run(["stream", "publish", str(events_file), *args]) == 0
    dying = _DiesAfterApplying(open_state(project), batches=3)
    with pytest.raises(_Killed):
        asyncio.run(_work(project, dying))
    dying.close()
    state = open_state(project)
    try:
        worker = asyncio.run(_work(project, state))
    finally:
        state.close()
    stats = worker.pipelines[0].stats
    expected = _expected(duckdb_build, raw)
    # the killed worker's third batch was applied, never acked: it came back, and its
    # events were duplicates; every event was counted once by one of the two workers
    assert dying.last_applied > 0 and stats.duplicates >= dying.last_applied
    assert dying.applied + stats.applied == expected.num_rows
    stored, oracle = _stored(project, expected)
    assert stored == oracle


async def _held_by_a_dead_worker(project: Project, payloads: list[bytes]) -> None:
    """Publish, then take the first message with a consumer of the group that never
    acknowledges it (a worker that died holding it)."""
    async with source_log(project) as transport:
        await transport.publish(payloads)
        held = await transport.fetch(1, 5)
        assert len(held) == 1 and held[0].data == payloads[0]


def test_a_republication_judged_before_its_held_original_is_no_dead_letter(
        stream_env, duckdb_build, capsys):
    """Event X, then events more than the allowed lateness (5 min) newer, then X published
    again. A dead worker holds X: the running worker meets the re-publication first, which
    at its own place in the log is too late; the verdict waits until X is back and applied,
    and the re-publication is then a duplicate, not a dead letter (a found bug: it was
    dead-lettered as too late although X counted)."""
    _, args, project = stream_env
    raw, _ = _slice(duckdb_build)
    first = raw[0]["event_at"]
    newer = next(i for i, row in enumerate(raw)
                 if (row["event_at"] - first).total_seconds() > 600)
    events = raw[:newer + 1]
    payloads = [encode_event(row) for row in events]
    asyncio.run(_held_by_a_dead_worker(project, [*payloads, payloads[0]]))

    assert run(["stream", "run", *args, "--until-idle", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)["sources"][0]
    expected = _expected(duckdb_build, events)
    assert (summary["too_late"], summary["dead_letters"]) == (0, 0)
    assert summary["applied"] == expected.num_rows == len(events)
    assert summary["duplicates"] == 1 and summary["deferred"] >= 1
    stored, oracle = _stored(project, expected)
    assert stored == oracle
