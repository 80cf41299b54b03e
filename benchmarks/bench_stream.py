"""Stream ingest throughput: events/s of `featureops stream run` into the Redis online
store, one worker process and two sharing the log, on NATS JetStream and on Redis
Streams.

    .venv/bin/python benchmarks/bench_stream.py [--events 20000] [--rounds 2] \
        [--transports nats,redis] [--workers 1,2] [--work DIR] [--small]

The example project is built (raw data at the test scale, `dbt build`) into ``--work`` (a
temporary directory by default; an existing build there is reused). Each measurement
starts the workers (`featureops stream run`) on a private subject, waits until all of them
wait for messages (connected, lookups copied), pauses them (SIGSTOP), publishes the first
``--events`` raw transactions (event-time order) from this process, resumes them
(SIGCONT) and stops them (SIGTERM) once every event is acknowledged. Reported: events/s
from the resume to the last ack (the log's lag polled every 50 ms), with warm workers.
The workers' summaries must add up to the published events, each applied once or
dead-lettered as dropped by the models, none too late, a share for every worker, and the
state must hold exactly dbt's rows for them (per user, event time and amount_usd, from
the pruning floor on), or the run fails. The log and the state keys are deleted
afterwards. ``--small``: 5,000 events, one round (for a loaded machine).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.bench_online_common import machine  # noqa: E402
from benchmarks.bench_request_time import build  # noqa: E402

SOURCE = "payments_transactions"
VIEW = "feat_user__spend_windows"


def project_dir(built, work: Path, transport: str, prefix: str) -> Path:
    """A project directory whose settings send the state to Redis under ``prefix``."""
    directory = work / f"stream_{prefix}"
    directory.mkdir()
    (directory / "dbt_project.yml").write_text("name: featureops\nprofile: featureops\n")
    (directory / "featureops.yml").write_text(
        f"online_store:\n  type: redis\n  key_prefix: bench_{prefix}\n"
        f"streaming:\n  transport: {transport}\n  batch_size: 500\n")
    return directory


def expected_rows(built, events: int):
    """dbt's int_transactions__enriched rows of the first ``events`` raw transactions."""
    import duckdb

    with duckdb.connect(str(built.duckdb_path), read_only=True) as conn:
        return conn.sql(
            "select * from main.int_transactions__enriched where transaction_id in "
            f"(select transaction_id from '{built.raw_dir / 'transactions.parquet'}' "
            f"order by event_at, transaction_id limit {int(events)})").to_arrow_table()


def stored_equals_dbt(project, expected) -> str:
    """'' when the view's stream state holds exactly dbt's rows (user, event time,
    amount_usd) from its pruning floor on; else what differs."""
    import pyarrow as pa

    from featureops.streaming.runner import _views
    from featureops.streaming.state import EVENT_ID_COLUMN, event_rows, open_state

    view = next(v for v in _views(project) if v.name == VIEW)
    ids = pa.array([str(i) for i in expected.column("transaction_id").to_pylist()])
    wanted = event_rows(view, expected.append_column(EVENT_ID_COLUMN, ids))
    state = open_state(project)
    try:
        read = state.read(view, None, sorted(set(wanted.keys)), 0, 2 ** 62)
    finally:
        state.close()
    floor = read.watermark_micros - view.allowed_lateness_micros - view.widths_micros[0]
    oracle = sorted((key, micros, amount) for key, micros, amount in zip(
        wanted.keys, wanted.micros, wanted.values["amount_usd"], strict=True) if micros >= floor)
    stored = sorted((key, micros, amount) for key, events in read.stream.items()
                    for micros, amount in zip(events.micros, events.values["amount_usd"],
                                              strict=True) if micros >= floor)
    if stored == oracle:
        return ""
    extra, missing = set(stored) - set(oracle), set(oracle) - set(stored)
    return (f"the state holds {len(stored)} events from the floor on, dbt {len(oracle)} "
            f"({len(extra)} not dbt's, e.g. {sorted(extra)[:1]}; {len(missing)} missing, e.g. "
            f"{sorted(missing)[:1]})")


def payloads(built, events: int) -> list[bytes]:
    """The first ``events`` raw transactions in event-time order, as producers send them."""
    import pyarrow.parquet as pq

    from featureops.streaming.events import encode_event

    table = pq.read_table(built.raw_dir / "transactions.parquet").sort_by(
        [("event_at", "ascending"), ("transaction_id", "ascending")]).slice(0, events)
    return [encode_event(row) for row in table.to_pylist()]


def cli_args(directory: Path, built) -> list[str]:
    return ["--project-dir", str(directory), "--manifest", str(built.manifest_path)]


async def _log(project):
    from featureops.streaming.sources import stream_source
    from featureops.streaming.transports import open_transport
    from featureops.streaming.transports.config import load_streaming_settings

    transport = open_transport(load_streaming_settings(project),
                               stream_source(project.manifest, SOURCE))
    await transport.connect()
    return transport


async def _waiting(transport, processes: list[subprocess.Popen]) -> bool:
    """Every worker process waits for messages: NATS counts the pull requests waiting; a
    Redis consumer appears only once it read something, so there the workers' connections
    (named featureops-<host>-<pid>-...) must be in XREADGROUP."""
    if not hasattr(transport, "consumer"):
        return (await transport.lag()).consumers >= len(processes)
    import redis

    client = redis.Redis.from_url(transport.url)
    try:
        clients = client.client_list()
    finally:
        client.close()
    reading = {c.get("name", "") for c in clients if c.get("cmd") == "xreadgroup"}
    return all(any(f"-{p.pid}-" in name and name.startswith("featureops-")
                   for name in reading) for p in processes)


async def publish_when_ready(project, events: list[bytes],
                             processes: list[subprocess.Popen]) -> tuple[float, float]:
    """Wait until the workers wait on the log, pause them (SIGSTOP: the publish gets the
    CPU to itself), publish ``events`` (confirmed), resume them (SIGCONT) and wait until
    every event is acknowledged; return (seconds publishing, seconds from the resume to
    the last ack)."""
    transport = await _log(project)
    try:
        deadline = time.monotonic() + 120
        while not await _waiting(transport, processes):
            if any(p.poll() is not None for p in processes) or time.monotonic() > deadline:
                raise SystemExit("the workers did not start: " + " ".join(
                    f"exit {p.returncode}: {p.stderr.read().decode()[-1000:]}"
                    for p in processes if p.poll() is not None))
            await asyncio.sleep(0.1)
        for process in processes:
            process.send_signal(signal.SIGSTOP)
        try:
            started = time.perf_counter()
            await transport.publish(events)
            published = time.perf_counter() - started
        finally:
            for process in processes:
                process.send_signal(signal.SIGCONT)
        resumed = time.perf_counter()
        while True:
            lag = await transport.lag()
            if lag.pending == 0 and lag.unacked == 0:
                return published, time.perf_counter() - resumed
            await asyncio.sleep(0.05)
    finally:
        await transport.close()


def run_workers(directory: Path, built, workers: int, env: dict[str, str],
                events: list[bytes]) -> tuple[float, float, list[dict]]:
    """Start ``workers`` worker processes on the empty log, publish ``events`` while they
    are paused (publish_when_ready), stop them (SIGTERM: graceful) once every event is
    acknowledged. Returns (seconds publishing, seconds consuming, the workers'
    summaries)."""
    command = [sys.executable, "-m", "featureops", "stream", "run", "--quiet", "--json",
               *cli_args(directory, built)]
    processes = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  env=env) for _ in range(workers)]
    summaries = []
    try:
        published, consumed = asyncio.run(publish_when_ready(
            open_project(directory, built, env), events, processes))
    finally:
        for process in processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in processes:
            out, err = process.communicate(timeout=120)
            if process.returncode == 0:
                summaries.append(json.loads(out)["sources"][0])
            elif not err.strip():
                raise SystemExit(f"a worker ended with {process.returncode}")
    if len(summaries) != workers:
        raise SystemExit(f"worker failed: {err.decode()[-2000:]}")
    return published, consumed, summaries


def open_project(directory: Path, built, env: dict[str, str]):
    from featureops.project import Project

    os.environ.update(env)
    return Project.locate(directory, built.manifest_path)


def cleanup(directory: Path, built, env: dict[str, str], prefix: str) -> None:
    """Delete the private log and the state keys."""
    import redis

    from featureops.streaming.sources import stream_source
    from featureops.streaming.transports import open_transport
    from featureops.streaming.transports.config import load_streaming_settings

    project = open_project(directory, built, env)

    async def drop() -> None:
        transport = open_transport(load_streaming_settings(project),
                                   stream_source(project.manifest, SOURCE))
        await transport.connect()
        await transport.delete()
        await transport.close()

    asyncio.run(drop())
    client = redis.Redis.from_url(os.environ.get("FEATUREOPS_REDIS_URL",
                                                 "redis://127.0.0.1:6379/0"))
    keys = list(client.scan_iter(match=f"bench_{prefix}*", count=1000))
    for start in range(0, len(keys), 1000):
        client.delete(*keys[start:start + 1000])


def measure(built, work: Path, transport: str, workers: int, events: list[bytes]
            ) -> tuple[float, float]:
    """(events/s from the workers' resume until all were acknowledged, events/s of the
    publish)."""
    prefix = uuid.uuid4().hex[:10]
    directory = project_dir(built, work, transport, prefix)
    env = {**os.environ, "FEATUREOPS_DUCKDB_PATH": str(built.duckdb_path),
           "FEATUREOPS_STREAM_SUBJECT_PREFIX": f"bench{prefix}."}
    env.pop("FEATUREOPS_ONLINE_STORE", None)
    env.pop("FEATUREOPS_STREAM_TRANSPORT", None)
    count = len(events)
    try:
        published, consumed, summaries = run_workers(directory, built, workers, env, events)
        applied = sum(s["applied"] for s in summaries)
        received = sum(s["received"] for s in summaries)
        expected = expected_rows(built, count)
        dropped = sum(s["dead_letters"] for s in summaries)
        late = sum(s["too_late"] for s in summaries)
        if (received < count or applied != expected.num_rows or applied + dropped != count
                or late):
            raise SystemExit(f"{transport}, {workers} worker(s): received {received}, applied "
                             f"{applied} (dbt built {expected.num_rows}), too late {late}, "
                             f"dead letters {dropped} of {count} events")
        if workers > 1 and min(s["received"] for s in summaries) == 0:
            raise SystemExit(f"{transport}: a worker received nothing (no sharing)")
        difference = stored_equals_dbt(open_project(directory, built, env), expected)
        if difference:
            raise SystemExit(f"{transport}, {workers} worker(s): {difference}")
        return count / consumed, count / published
    finally:
        cleanup(directory, built, env, prefix)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--transports", default="nats,redis")
    parser.add_argument("--workers", default="1,2", help="worker processes per measurement")
    parser.add_argument("--work", type=Path, help="build directory (kept; reused if built)")
    parser.add_argument("--small", action="store_true",
                        help="5,000 events, one round (a loaded machine)")
    args = parser.parse_args()
    if args.small:
        args.events, args.rounds = 5_000, 1
    work = args.work or Path(tempfile.mkdtemp(prefix="bench_stream_"))
    work.mkdir(parents=True, exist_ok=True)
    built = build(work)
    print(f"{machine()}; {args.events} events per run, {args.rounds} round(s); load average "
          f"{os.getloadavg()[0]:.2f} at the start")
    events = payloads(built, args.events)
    for transport in args.transports.split(","):
        for workers in (int(n) for n in args.workers.split(",")):
            rates = [measure(built, work, transport, workers, events)
                     for _ in range(args.rounds)]
            print(f"{transport:5} {workers} worker(s): "
                  f"{statistics.median(r[0] for r in rates):8.0f} events/s applied (published "
                  f"at {statistics.median(r[1] for r in rates):.0f}/s; rounds: "
                  f"{', '.join(f'{r[0]:.0f}' for r in rates)})")
    print(f"load average {os.getloadavg()[0]:.2f} at the end")


if __name__ == "__main__":
    main()
