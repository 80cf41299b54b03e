"""Stream ingest throughput: events/s of `featureops stream run` into the Redis online
store, one worker process and two sharing the log, on NATS JetStream and on Redis
Streams.

    .venv/bin/python benchmarks/bench_stream.py [--events 20000] [--rounds 2] \
        [--transports nats,redis] [--workers 1,2] [--work DIR]

The example project is built (raw data at the test scale, `dbt build`) into ``--work`` (a
temporary directory by default; an existing build there is reused). Each measurement
publishes the first ``--events`` raw transactions (in event-time order) to a private
subject, then starts the workers with ``--until-idle``; reported: events/s while
consuming (from each worker's start, connected and its lookups copied, to idle; the
longest worker) and from the processes' start (imports, the manifest, the warehouse's
lookups and connecting included: what an operator waits for). The workers' summaries
must add up to the published events, each applied once (the rows dbt built for them) or
dead-lettered as dropped by the models, or the run fails. The log and the state keys
are deleted afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
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


def project_dir(built, work: Path, transport: str, prefix: str) -> Path:
    """A project directory whose settings send the state to Redis under ``prefix``."""
    directory = work / f"stream_{prefix}"
    directory.mkdir()
    (directory / "dbt_project.yml").write_text("name: featureops\nprofile: featureops\n")
    (directory / "featureops.yml").write_text(
        f"online_store:\n  type: redis\n  key_prefix: bench_{prefix}\n"
        f"streaming:\n  transport: {transport}\n  batch_size: 500\n")
    return directory


def expected_rows(built, events: int) -> int:
    import duckdb

    with duckdb.connect(str(built.duckdb_path), read_only=True) as conn:
        return conn.execute(
            "select count(*) from main.int_transactions__enriched where transaction_id in "
            f"(select transaction_id from '{built.raw_dir / 'transactions.parquet'}' "
            f"order by event_at, transaction_id limit {int(events)})").fetchone()[0]


def publish(directory: Path, built, events: int, env: dict[str, str]) -> None:
    import pyarrow.parquet as pq

    ordered = directory / "events.parquet"
    table = pq.read_table(built.raw_dir / "transactions.parquet")
    pq.write_table(table.sort_by([("event_at", "ascending"), ("transaction_id",
                                                              "ascending")]).slice(0, events),
                   ordered)
    subprocess.run([sys.executable, "-m", "featureops", "stream", "publish", str(ordered),
                    *cli_args(directory, built)], check=True, env=env,
                   stdout=subprocess.DEVNULL)


def cli_args(directory: Path, built) -> list[str]:
    return ["--project-dir", str(directory), "--manifest", str(built.manifest_path)]


def run_workers(directory: Path, built, workers: int, env: dict[str, str]
                ) -> tuple[float, float, list[dict]]:
    """(wall seconds from the processes' start, seconds of the longest consumption after
    each worker started, the summaries)."""
    command = [sys.executable, "-m", "featureops", "stream", "run", "--until-idle", "--json",
               *cli_args(directory, built)]
    started = time.perf_counter()
    processes = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  env=env) for _ in range(workers)]
    summaries, consuming = [], 0.0
    for process in processes:
        out, err = process.communicate(timeout=1800)
        if process.returncode != 0:
            raise SystemExit(f"worker failed: {err.decode()[-2000:]}")
        summary = json.loads(out)
        consuming = max(consuming, summary["seconds"])
        summaries.append(summary["sources"][0])
    return time.perf_counter() - started, consuming, summaries


def cleanup(directory: Path, built, env: dict[str, str], prefix: str) -> None:
    """Delete the private log and the state keys."""
    import redis

    from featureops.project import Project
    from featureops.streaming.sources import stream_source
    from featureops.streaming.transports import open_transport
    from featureops.streaming.transports.config import load_streaming_settings

    os.environ.update(env)
    project = Project.locate(directory, built.manifest_path)

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


def measure(built, work: Path, transport: str, workers: int, events: int
            ) -> tuple[float, float]:
    """(events/s from process start to idle, events/s while consuming)."""
    prefix = uuid.uuid4().hex[:10]
    directory = project_dir(built, work, transport, prefix)
    env = {**os.environ, "FEATUREOPS_DUCKDB_PATH": str(built.duckdb_path),
           "FEATUREOPS_STREAM_SUBJECT_PREFIX": f"bench{prefix}."}
    env.pop("FEATUREOPS_ONLINE_STORE", None)
    env.pop("FEATUREOPS_STREAM_TRANSPORT", None)
    try:
        publish(directory, built, events, env)
        seconds, consuming, summaries = run_workers(directory, built, workers, env)
        applied = sum(s["applied"] for s in summaries)
        received = sum(s["received"] for s in summaries)
        expected = expected_rows(built, events)
        dropped = sum(s["dead_letters"] for s in summaries)
        if received < events or applied != expected or applied + dropped != events:
            raise SystemExit(f"{transport}, {workers} worker(s): received {received}, applied "
                             f"{applied} (dbt built {expected}), dead letters {dropped} of "
                             f"{events} events")
        if workers > 1 and min(s["received"] for s in summaries) == 0:
            raise SystemExit(f"{transport}: a worker received nothing (no sharing)")
        return events / seconds, events / consuming
    finally:
        cleanup(directory, built, env, prefix)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--transports", default="nats,redis")
    parser.add_argument("--workers", default="1,2", help="worker processes per measurement")
    parser.add_argument("--work", type=Path, help="build directory (kept; reused if built)")
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="bench_stream_"))
    work.mkdir(parents=True, exist_ok=True)
    built = build(work)
    print(f"{machine()}; {args.events} events per run, {args.rounds} round(s)")
    for transport in args.transports.split(","):
        for workers in (int(n) for n in args.workers.split(",")):
            rates = [measure(built, work, transport, workers, args.events)
                     for _ in range(args.rounds)]
            wall = [r[0] for r in rates]
            steady = [r[1] for r in rates]
            print(f"{transport:5} {workers} worker(s): {statistics.median(steady):8.0f} events/s "
                  f"consuming, {statistics.median(wall):8.0f} from process start (rounds: "
                  f"{', '.join(f'{a:.0f}/{b:.0f}' for b, a in rates)})")
    print(f"load average {os.getloadavg()[0]:.2f} at the end")


if __name__ == "__main__":
    main()
