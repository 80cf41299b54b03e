"""Online read latency through the Python SDK (in process, no HTTP): one entity x 10
features and batches of 100 entities, on Redis and SQLite, against raw redis-py in the same
run. Over HTTP, `featureops serve` in its default configuration is measured by
``bench_serving.py``.

    .venv/bin/python benchmarks/bench_online_reads.py [--requests 2000] [--entities 100000]

Redis is a private redis-server on a spare port. Before timing, a sample of users is read
through the SDK: each must be ``present`` with the warehouse's values, or the run fails.
The work directory is removed at the end unless ``--keep``.
"""

from __future__ import annotations

import argparse
import os
import random
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
    check_sdk,
    expected_values,
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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--entities", type=int, default=100_000)
    add_keep_option(parser)
    args = parser.parse_args()
    with work_directory("fo-bench-reads-", args.keep) as work:
        run(args, work)


def run(args: argparse.Namespace, work: Path) -> None:
    import redis

    from featureops.online.config import open_online_store
    from featureops.online.materialize import materialize
    from featureops.online.sdk import OnlineFeatureClient
    from featureops.project import Project

    warehouse = make_warehouse(work, args.entities)
    os.environ["FEATUREOPS_DUCKDB_PATH"] = str(warehouse)
    manifest = make_manifest(work)
    (work / "dbt_project.yml").write_text("name: bench\nprofile: bench\n")
    (work / "featureops.yml").write_text(f"online_store:\n  path: {work / 'online.db'}\n")
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
            client.close()
        raw = redis.Redis.from_url(server.url)
        pipe = raw.pipeline(transaction=False)
        for user in set(ids):
            pipe.hset(f"raw:{user}", mapping={name: 1.5 for name in ["_ts", *FEATURES]})
        pipe.execute()
        report("raw redis-py HGETALL, 1 entity", timed(
            lambda i: raw.hgetall(f"raw:{ids[i]}"), args.requests), results)
    finally:
        server.stop()
    raw_p50, raw_p99 = results["raw redis-py HGETALL, 1 entity"]
    p50, p99 = results["SDK redis, 1 entity x 10 features"]
    print(f"ratio SDK redis / raw HGETALL: p50 {p50 / raw_p50:.2f}x, p99 {p99 / raw_p99:.2f}x")


if __name__ == "__main__":
    main()
