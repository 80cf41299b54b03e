"""Online read latency: one entity x 10 features and batches of 100 entities, through the
SDK and over HTTP (keep-alive), against raw redis-py in the same run.

    .venv/bin/python benchmarks/bench_online_reads.py [--requests 2000] [--entities 100000]

Redis is a private redis-server on a spare port; the HTTP server is `featureops serve`
(uvicorn, one worker) on the same machine as the client. Before timing, a sample of users
is read through the SDK and over HTTP: each must be ``present`` with the warehouse's
values, or the run fails. The work directory is removed at the end unless ``--keep``.
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.bench_online_common import (  # noqa: E402
    END,
    FEATURES,
    REFS,
    PrivateRedis,
    add_keep_option,
    assert_served,
    check_sdk,
    expected_values,
    free_port,
    http_served,
    machine,
    make_manifest,
    make_warehouse,
    percentiles,
    sample_users,
    work_directory,
)


def timed(action: Callable[[int], object], requests: int, warmup: int = 200) -> list[float]:
    for i in range(warmup):
        action(i)
    samples = []
    for i in range(requests):
        started = time.perf_counter()
        action(i)
        samples.append(time.perf_counter() - started)
    return samples


def report(name: str, samples: list[float], results: dict) -> None:
    p50, p99 = percentiles(samples)
    results[name] = (p50, p99)
    print(f"{name}: p50 {p50:.3f} ms, p99 {p99:.3f} ms")


class KeepAlive:
    """One persistent HTTP/1.1 connection (stdlib http.client: little client overhead, so
    the figure is mostly the server's)."""

    def __init__(self, url: str) -> None:
        import http.client

        host, port = url.removeprefix("http://").split(":")
        self.connection = http.client.HTTPConnection(host, int(port))

    def post(self, body: dict) -> bytes:
        import orjson

        self.connection.request("POST", "/features", body=orjson.dumps(body),
                                headers={"Content-Type": "application/json"})
        response = self.connection.getresponse()
        payload = response.read()
        if response.status != 200:
            raise RuntimeError(payload)
        return payload

    def close(self) -> None:
        self.connection.close()


def serve(work: Path, manifest: Path, store: str, redis_url: str) -> tuple[subprocess.Popen, str]:
    import httpx

    port = free_port()
    env = {**os.environ, "FEATUREOPS_ONLINE_STORE": store, "FEATUREOPS_REDIS_URL": redis_url,
           "FEATUREOPS_SERVING_LOG_DIR": str(work / f"log_{store}")}
    process = subprocess.Popen([sys.executable, "-m", "featureops", "serve", "--project-dir",
                                str(work), "--manifest", str(manifest), "--port", str(port)],
                               env=env, stdout=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            if httpx.get(f"{url}/health").status_code == 200:
                return process, url
        except httpx.TransportError:
            time.sleep(0.05)
    process.terminate()
    process.wait(timeout=10)
    raise RuntimeError("featureops serve did not start")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--entities", type=int, default=100_000)
    add_keep_option(parser)
    args = parser.parse_args()
    with work_directory("fo-bench-reads-", args.keep) as work:
        run(args, work)


def run(args: argparse.Namespace, work: Path) -> None:
    import orjson
    import redis

    from featureops.online.config import open_online_store
    from featureops.online.materialize import materialize
    from featureops.online.sdk import OnlineFeatureClient
    from featureops.project import Project

    warehouse = make_warehouse(work, args.entities)
    os.environ["FEATUREOPS_DUCKDB_PATH"] = str(warehouse)
    manifest = make_manifest(work)
    (work / "dbt_project.yml").write_text("name: bench\nprofile: bench\n")
    (work / "featureops.yml").write_text(f"online_store:\n  path: {work / 'online.db'}\n"
                                         "serving:\n  log_sample_rate: 0.0\n")
    project = Project.locate(work, manifest)
    checked = sample_users(args.entities)
    expected = expected_values(warehouse, checked)
    rng = random.Random(7)
    ids = [rng.randrange(args.entities) for _ in range(args.requests + 200)]
    batches = [[rng.randrange(args.entities) for _ in range(100)]
               for _ in range(args.requests // 10 + 50)]
    print(f"# {machine()}; {args.entities:,} entities x 10 features, "
          f"{args.requests:,} requests")
    results: dict[str, tuple[float, float]] = {}
    processes = []
    server = PrivateRedis()
    os.environ["FEATUREOPS_REDIS_URL"] = server.url
    try:
        for kind in ("redis", "sqlite"):
            # the store the server opens: featureops.yml's, its type overridden
            os.environ["FEATUREOPS_ONLINE_STORE"] = kind
            store = open_online_store(project)
            materialize(project, store=store, end_time=END, progress=False)
            client = OnlineFeatureClient(project, store=store)
            check_sdk(f"SDK {kind}", client, checked, expected)
            report(f"SDK {kind}, 1 entity x 10 features", timed(
                lambda i, c=client: c.get_online_features(REFS, entities={"user_id": [ids[i]]}),
                args.requests), results)
            report(f"SDK {kind}, 100 entities x 10 features", timed(
                lambda i, c=client: c.get_online_features(REFS,
                                                          entities={"user_id": batches[i]}),
                args.requests // 10, warmup=50), results)
            process, url = serve(work, manifest, kind, server.url)
            processes.append(process)
            http = KeepAlive(url)
            assert_served(f"HTTP {kind}", checked, http_served(orjson.loads(http.post(
                {"features": REFS, "entities": {"user_id": checked}}))), expected)
            report(f"HTTP {kind}, 1 entity x 10 features", timed(
                lambda i, h=http: h.post({"features": REFS, "entities": {"user_id": [ids[i]]}}),
                args.requests), results)
            report(f"HTTP {kind}, 100 entities x 10 features", timed(
                lambda i, h=http: h.post({"features": REFS, "entities": {"user_id": batches[i]}}),
                args.requests // 10, warmup=50), results)
            http.close()
            client.close()
        raw = redis.Redis.from_url(server.url)
        pipe = raw.pipeline(transaction=False)
        for user in set(ids):
            pipe.hset(f"raw:{user}", mapping={name: 1.5 for name in ["_ts", *FEATURES]})
        pipe.execute()
        report("raw redis-py HGETALL, 1 entity", timed(
            lambda i: raw.hgetall(f"raw:{ids[i]}"), args.requests), results)
    finally:
        for process in processes:
            process.terminate()
            process.wait(timeout=10)
        server.stop()
    raw_p50, raw_p99 = results["raw redis-py HGETALL, 1 entity"]
    p50, p99 = results["SDK redis, 1 entity x 10 features"]
    print(f"ratio SDK redis / raw HGETALL: p50 {p50 / raw_p50:.2f}x, p99 {p99 / raw_p99:.2f}x")


if __name__ == "__main__":
    main()
