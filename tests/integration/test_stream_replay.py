"""Kappa replay (issue #14 item 4): `featureops stream replay --from T` rebuilds a streaming
view's state from the retained log (NATS JetStream by start time, Redis Streams by entry
id) into a new version and flips it. The live state is corrupted (events the log never
had); a replay SIGKILLed halfway leaves the corrupted version serving, its leftover
version is refused until aborted; one SIGTERMed halfway drops its version itself; a full
replay makes the served windows dbt's rows."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from datetime import datetime, timedelta, timezone

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from featureops.cli import run
from featureops.online.materialize import materialize
from featureops.online.sdk import OnlineFeatureClient
from featureops.streaming.events import encode_event
from featureops.streaming.state import EVENT_ID_COLUMN, open_state
from featureops.streaming.worker import LOG_POSITION_COLUMN
from tests.integration.stream_serving_support import (
    VIEW,
    micros,
    served_mismatches,
    view_rows,
)
from tests.integration.stream_support import drop_log, stream_project
from tests.services import require_nats, require_redis

pytestmark = pytest.mark.slow

# Run the CLI (argv[2:]), sending the process signal argv[1] as it applies its third
# replayed batch.
SIGNALLED_REPLAY = """
import os, signal, sys
from featureops.streaming import replay
apply, calls = replay._IntoReplay.apply, []
def signalling(self, view, rows):
    calls.append(1)
    if len(calls) == 3:
        os.kill(os.getpid(), getattr(signal, sys.argv[1]))
    return apply(self, view, rows)
replay._IntoReplay.apply = signalling
from featureops.cli import run
sys.exit(run(sys.argv[2:]))
"""


def _signalled_replay(signal_name: str, started: str, args: list[str]
                      ) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", SIGNALLED_REPLAY, signal_name, "stream",
                           "replay", "--from", started, "--batch-size", "100", "--quiet",
                           *args], capture_output=True, text=True, env=os.environ, timeout=300)


@pytest.fixture(params=["nats", "redis"])
def stream_env(request, duckdb_build, tmp_path, monkeypatch):
    (require_nats if request.param == "nats" else require_redis)()
    project = stream_project(tmp_path, duckdb_build, monkeypatch,
                             f"  transport: {request.param}\n  batch_size: 500\n"
                             "  max_wait_ms: 50\n")
    args = ["--project-dir", str(tmp_path), "--manifest", str(duckdb_build.manifest_path)]
    yield args, project
    asyncio.run(drop_log(project))


def test_replay_rebuilds_the_state_and_a_killed_one_changes_nothing(
        stream_env, duckdb_build, tmp_path, capsys):
    args, project = stream_env
    view, inputs, dbt_rows = view_rows(duckdb_build, project)
    times = [micros(t) for t in inputs.column("event_at").to_pylist()]
    end = inputs.column("event_at")[int(len(times) * 0.97)].as_py().replace(
        tzinfo=timezone.utc)
    (version,) = materialize(project, select=[VIEW], end_time=end, progress=False)
    # the raw events from the batch version's boundary on: what the stream counts
    raw = pq.read_table(duckdb_build.raw_dir / "transactions.parquet").sort_by("event_at")
    raw = raw.filter(pc.greater_equal(raw.column("event_at"), pa.scalar(
        end.replace(tzinfo=None), raw.schema.field("event_at").type)))
    events = tmp_path / "events.jsonl"
    events.write_bytes(b"\n".join(encode_event(r) for r in raw.to_pylist()) + b"\n")
    later = [r for r in dbt_rows if micros(r["event_at"]) > micros(end)][::15][:60]
    users = sorted({r["user_id"] for r in later})
    # corruption: events the log never had, for the checked users, just after the batch
    # version's boundary (its newest event + 1 us)
    state = open_state(project)
    try:
        first = inputs.filter(pc.is_in(inputs.column("user_id"), pa.array(users))).slice(0, 40)
        bogus = first.set_column(
            first.schema.get_field_index("event_at"), "event_at",
            pa.array([end.replace(tzinfo=None) + timedelta(seconds=1)] * first.num_rows,
                     first.schema.field(
                "event_at").type)).set_column(
            first.schema.get_field_index(EVENT_ID_COLUMN), EVENT_ID_COLUMN,
            pa.array([f"bogus-{i}" for i in range(first.num_rows)]))
        bogus = bogus.append_column(LOG_POSITION_COLUMN, pa.array([0] * bogus.num_rows))
        assert state.apply(view, bogus).applied == bogus.num_rows
    finally:
        state.close()
    started = datetime.now(timezone.utc).isoformat()
    assert run(["stream", "publish", str(events), *args]) == 0
    capsys.readouterr()
    assert run(["stream", "run", *args, "--until-idle", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)["sources"][0]
    assert summary["too_late"] == 0 and summary["applied"] > 1000
    client = OnlineFeatureClient(project)
    try:
        corrupted = served_mismatches(client, view, later)
        assert len(corrupted) > 10  # the bogus events are served

        killed = _signalled_replay("SIGKILL", started, args)
        assert killed.returncode == -9, killed.stderr
        assert served_mismatches(client, view, later) == corrupted  # the old version serves
        (building,) = [line.split()[-1] for line in killed.stderr.splitlines()
                       if line.startswith(f"{VIEW}: building state version")]
        # its version is left behind: a new replay says so on one line
        assert run(["stream", "replay", "--from", started, *args]) == 2
        error = capsys.readouterr().err.strip()
        assert len(error.splitlines()) == 1 and "--abort VERSION" in error, error
        assert run(["stream", "replay", "--abort", building, "--view", VIEW, *args]) == 0
        assert f"replay version {building} dropped" in capsys.readouterr().out
        # SIGTERM: the replay stops, drops its version itself, and says so on one line
        stopped = _signalled_replay("SIGTERM", started, args)
        assert stopped.returncode == 2, stopped.stderr
        assert stopped.stderr.splitlines()[-1].startswith("error: replay stopped by a signal")
        assert served_mismatches(client, view, later) == corrupted

        assert run(["stream", "replay", "--from", started, *args, "--json"]) == 0
        replayed = json.loads(capsys.readouterr().out)
        assert list(replayed["published"]) == [VIEW]
        (source,) = replayed["sources"]
        assert (source["applied"], source["too_late"]) == (summary["applied"], 0)
        assert served_mismatches(client, view, later) == []
    finally:
        client.close()
    assert version.version  # the batch version stayed live throughout


@pytest.mark.parametrize("start", ["yesterday", "2999-01-01T00:00:00Z"])
def test_bad_from_is_one_line(start, duckdb_build, tmp_path, monkeypatch, capsys):
    project = stream_project(tmp_path, duckdb_build, monkeypatch, "  transport: redis\n")
    assert run(["stream", "replay", "--from", start, "--project-dir", str(project.project_dir),
                "--manifest", str(duckdb_build.manifest_path)]) == 2
    error = capsys.readouterr().err.strip()
    assert len(error.splitlines()) == 1 and "--from" in error, error


@pytest.mark.parametrize(("option", "value"), [("--source", "nope"), ("--view", "nope")])
def test_unknown_source_or_view_is_one_line(option, value, duckdb_build, tmp_path,
                                            monkeypatch, capsys):
    project = stream_project(tmp_path, duckdb_build, monkeypatch, "  transport: redis\n")
    assert run(["stream", "replay", "--from", "1h", option, value, "--project-dir",
                str(project.project_dir), "--manifest", str(duckdb_build.manifest_path)]) == 2
    error = capsys.readouterr().err.strip()
    assert len(error.splitlines()) == 1 and "nope" in error, error
