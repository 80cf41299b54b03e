"""End-to-end freshness of a streamed feature: from publishing a transaction to the log to
a lookup through `featureops serve` that counts it (p50/p99), beside the batch path's
freshness on the same data (`dbt build` of the view and what it reads, then
`featureops materialize` of the view).

    .venv/bin/python benchmarks/bench_stream_freshness.py [--events 200] \
        [--transport nats|redis] [--work DIR]

The example project is built at the test scale into ``--work`` (reused when built there).
The batch path is timed first, into the Redis online store under a private prefix. Then
`featureops stream run` and `featureops serve` start as processes (the server on a spare
port, the state in the same store); after a warm-up event, each of ``--events``
transactions (event time: now; USD; users taken in turn) is published alone, and POST
/features for its user is polled every 2 ms until the user's 1h transaction count has
grown: the time from just before the publish to that answer is one sample. Every answer
that ends a sample is checked: the 1h count and sum equal the events published for that
user (the sum exact: dbt's currency rate times the amounts, summed correctly rounded).
The log and the keys are deleted afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.bench_online_common import machine, percentiles  # noqa: E402
from benchmarks.bench_request_time import build  # noqa: E402
from benchmarks.bench_stream import SOURCE, cleanup, cli_args, project_dir  # noqa: E402

VIEW = "feat_user__spend_windows"
USERS = 40
POLL_SECONDS = 0.002
GIVE_UP_SECONDS = 10.0


def featureops(*args: str, env: dict[str, str], **kwargs) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "featureops", *args], env=env,
                            stdout=subprocess.DEVNULL, **kwargs)


def batch_path(built, directory: Path, env: dict[str, str]) -> tuple[float, float]:
    """Seconds of `dbt build --select +VIEW` and of `featureops materialize` of VIEW as
    of the newest event (every entity's record; the TTL would drop them as of now)."""
    import duckdb

    started = time.perf_counter()
    built.dbt("build", "--select", f"+{VIEW}")
    dbt_seconds = time.perf_counter() - started
    with duckdb.connect(str(built.duckdb_path), read_only=True) as conn:
        (newest,) = conn.execute(f"select max(event_at) from main.{VIEW}").fetchone()
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "featureops", "materialize", "--select", VIEW,
                    "--quiet", "--end-time", f"{newest + timedelta(seconds=1):%Y-%m-%dT%H:%M:%S}",
                    *cli_args(directory, built)], env=env, check=True,
                   stdout=subprocess.DEVNULL)
    return dbt_seconds, time.perf_counter() - started


def template_rows(built) -> tuple[list[dict], float]:
    """A raw transaction of each of USERS users (known to the warehouse) and dbt's USD rate."""
    import duckdb

    with duckdb.connect(str(built.duckdb_path), read_only=True) as conn:
        rows = conn.execute(
            f"select raw.* from '{built.raw_dir / 'transactions.parquet'}' as raw "
            "where raw.transaction_id in (select min(transaction_id) from "
            f"main.int_transactions__enriched group by user_id order by 1 limit {USERS})")
        names = [d[0] for d in rows.description]
        templates = [dict(zip(names, row, strict=True)) for row in rows.fetchall()]
        (rate,) = conn.execute("select usd_rate from main_reference.currency_rates "
                               "where currency = 'USD'").fetchone()
    return templates, rate


class Lookups:
    """POST /features on one keep-alive connection: the user's 1h count and sum."""

    def __init__(self, url: str) -> None:
        import httpx

        self.http = httpx.Client(base_url=url, timeout=30)

    def wait_ready(self, server: subprocess.Popen) -> None:
        import httpx

        deadline = time.monotonic() + 120
        while True:
            try:
                if self.http.get("/health").status_code == 200:
                    return
            except httpx.TransportError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("featureops serve did not start")
            time.sleep(0.1)

    def spend_1h(self, user: int) -> tuple[int, float]:
        body = self.http.post("/features", json={
            "features": [f"{VIEW}:transaction_count_1h", f"{VIEW}:amount_usd_sum_1h"],
            "entities": {"user_id": [user]}}).json()
        count, total = (column["values"][0] for column in body["results"][1:])
        return count or 0, total  # not found (no record, no event): none counted


class Producer:
    """One connection to the source's log, as a producer keeps it."""

    def __init__(self, project) -> None:
        from featureops.streaming.sources import stream_source
        from featureops.streaming.transports import open_transport
        from featureops.streaming.transports.config import load_streaming_settings

        self.loop = asyncio.new_event_loop()
        self.transport = open_transport(load_streaming_settings(project),
                                        stream_source(project.manifest, SOURCE))
        self.loop.run_until_complete(self.transport.connect())

    def publish(self, payload: bytes) -> None:
        self.loop.run_until_complete(self.transport.publish([payload]))

    def close(self) -> None:
        self.loop.run_until_complete(self.transport.close())
        self.loop.close()


def event_now(template: dict, index: int) -> tuple[dict, float]:
    """A new USD transaction of the template's user, at now."""
    amount = round(5 + index * 0.37, 2)
    return {**template, "transaction_id": 10**12 + index, "currency": "USD", "amount": amount,
            "event_at": (datetime.now(timezone.utc) - timedelta(milliseconds=20)).replace(
                tzinfo=None)}, amount


def stream_path(built, directory: Path, env: dict[str, str], events: int) -> list[float]:
    """Seconds from publish to a lookup counting the event, one per event."""
    from benchmarks.bench_online_common import free_port
    from featureops.project import Project
    from featureops.streaming.events import encode_event

    os.environ.update(env)
    project = Project.locate(directory, built.manifest_path)
    templates, rate = template_rows(built)
    port = free_port()
    worker = featureops("stream", "run", "--quiet", *cli_args(directory, built), env=env)
    server = featureops("serve", "--port", str(port), *cli_args(directory, built), env=env)
    lookups = Lookups(f"http://127.0.0.1:{port}")
    producer = Producer(project)
    try:
        lookups.wait_ready(server)
        # warm-up: a transaction of a user left out of the samples, until it is served
        warm_up, templates = templates[-1], templates[:-1]
        producer.publish(encode_event(event_now(warm_up, events)[0]))
        deadline = time.monotonic() + 120
        while lookups.spend_1h(warm_up["user_id"])[0] != 1:
            if time.monotonic() > deadline or worker.poll() is not None:
                raise SystemExit("the stream worker did not start")
            time.sleep(0.05)
        published: dict[int, list[float]] = {}
        samples = []
        for index in range(events):
            template = templates[index % len(templates)]
            user = template["user_id"]
            event, amount = event_now(template, index)
            amounts = published.setdefault(user, [])
            if lookups.spend_1h(user)[0] != len(amounts):
                raise SystemExit(f"user {user}: 1h count is not {len(amounts)} before")
            started = time.perf_counter()
            producer.publish(encode_event(event))
            while (seen := lookups.spend_1h(user))[0] == len(amounts):
                if time.perf_counter() - started > GIVE_UP_SECONDS:
                    raise SystemExit(f"event {index} not visible after {GIVE_UP_SECONDS} s")
                time.sleep(POLL_SECONDS)
            samples.append(time.perf_counter() - started)
            amounts.append(amount)
            expected = (len(amounts), math.fsum(a * rate for a in amounts))
            if seen != expected:
                raise SystemExit(f"user {user}: served 1h count/sum {seen}, expected {expected}")
        return samples
    finally:
        producer.close()
        for process in (server, worker):
            if process.poll() is None:
                os.kill(process.pid, signal.SIGTERM)
                process.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=200)
    parser.add_argument("--transport", choices=["nats", "redis"], default="nats")
    parser.add_argument("--work", type=Path, help="build directory (kept; reused if built)")
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="bench_freshness_"))
    work.mkdir(parents=True, exist_ok=True)
    built = build(work)
    prefix = uuid.uuid4().hex[:10]
    directory = project_dir(built, work, args.transport, prefix)
    env = {**os.environ, "FEATUREOPS_DUCKDB_PATH": str(built.duckdb_path),
           "FEATUREOPS_STREAM_SUBJECT_PREFIX": f"bench{prefix}."}
    for name in ("FEATUREOPS_ONLINE_STORE", "FEATUREOPS_STREAM_TRANSPORT",
                 "FEATUREOPS_SERVE_TOKEN"):
        env.pop(name, None)
    print(f"{machine()}; load average {os.getloadavg()[0]:.2f} at the start")
    try:
        dbt_seconds, materialize_seconds = batch_path(built, directory, env)
        print(f"batch path: dbt build --select +{VIEW} {dbt_seconds:.1f} s, materialize "
              f"{materialize_seconds:.1f} s: {dbt_seconds + materialize_seconds:.1f} s from "
              "data landed to served (plus the wait for the next scheduled run)")
        samples = stream_path(built, directory, env, args.events)
        p50, p99 = percentiles(samples)
        print(f"stream path ({args.transport}, Redis store): publish -> visible to a lookup "
              f"p50 {p50:.1f} ms, p99 {p99:.1f} ms, max {max(samples) * 1000:.1f} ms over "
              f"{len(samples)} events (values checked)")
    finally:
        cleanup(directory, built, env, prefix)
    print(f"load average {os.getloadavg()[0]:.2f} at the end")


if __name__ == "__main__":
    main()
