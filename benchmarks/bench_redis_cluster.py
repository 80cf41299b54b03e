"""Materializing 1M entities into a 3-master Redis Cluster against one Redis node, and
lookups from both, in the same run.

    .venv/bin/python benchmarks/bench_redis_cluster.py            # 1M entities, 3 rounds
    .venv/bin/python benchmarks/bench_redis_cluster.py --small    # smoke: 20k, 2 rounds

Both stores are private redis-server processes started here with the same settings (no
persistence: ``--save '' --appendonly no``; the cluster's three masters add
``--cluster-enabled yes``, no replicas), on this machine's loopback. Each round, in
rotating order (``alternation.py``), each store gets a full ``featureops materialize`` of
the view (N entities x 10 features) on an emptied server, a check (a sample of users must
be served ``present`` with the warehouse's values, or the run fails), then lookups through
the SDK timed one by one: ``--reads`` of one entity and ``--reads // 10`` of 100 entities
(p50/p99 over every round). One untimed warm-up round comes first. A view is one hash
slot, so all of it lands on one master: ``used_memory`` of each node after the last run
shows where. ``--views 3``: three views (the same N rows each, named so that their tags
land on the three masters), materialized in one run and read together by each lookup.
The work directory is removed at the end unless ``--keep``.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.alternation import alternate, describe_ratios, round_ratios  # noqa: E402
from benchmarks.bench_online_common import (  # noqa: E402
    END,
    FEATURES,
    VIEW,
    PrivateRedis,
    add_keep_option,
    assert_served,
    expected_values,
    machine,
    make_manifest,
    make_warehouse_in_child,
    percentiles,
    sample_users,
    work_directory,
)
from benchmarks.bench_online_reads import timed  # noqa: E402
from tests.redis_cluster import cluster_problem, command, private_cluster  # noqa: E402

STORES = ("one node", "cluster")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--entities", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--reads", type=int, default=2000,
                        help="single-entity lookups per store per round")
    parser.add_argument("--views", type=int, choices=(1, 3), default=1,
                        help="3: three views of N entities each, one per master")
    parser.add_argument("--small", action="store_true", help="smoke run: 20,000 entities")
    add_keep_option(parser)
    args = parser.parse_args()
    if args.small:
        args.entities, args.rounds, args.reads = 20_000, 2, 500
    if args.rounds < 1 or args.entities < 1000:
        raise SystemExit("--rounds must be at least 1 and --entities at least 1000")
    problem = cluster_problem()
    if problem:
        raise SystemExit(problem)
    with work_directory("fo-bench-cluster-", args.keep) as work:
        run(args, work)


def run(args: argparse.Namespace, work: Path) -> None:
    from featureops.project import Project

    warehouse = make_warehouse_in_child(work, args.entities)
    os.environ["FEATUREOPS_DUCKDB_PATH"] = str(warehouse)
    manifest = make_manifest(work)
    args.names = [VIEW] if args.views == 1 else spread_views(manifest, warehouse)
    project = Project.locate(work, manifest)
    expected = expected_values(warehouse, sample_users(args.entities))
    print(f"# {machine()}; load average {load()}; {len(args.names)} view(s) of "
          f"{args.entities:,} entities x 10 features, {args.rounds} rounds")
    with PrivateRedis() as single, private_cluster(work / "cluster") as cluster:
        os.environ["FEATUREOPS_BENCH_ONE_URL"] = single.url
        os.environ["FEATUREOPS_BENCH_CLUSTER_URL"] = cluster.url
        ports = {"one node": [single.port], "cluster": [n.port for n in cluster.nodes]}
        runs = {kind: lambda k=kind: one_round(args, project, k, ports[k], expected, work)
                for kind in STORES}
        for warm_up in runs.values():  # untimed: imports, page cache, script loads
            warm_up()
        rounds = alternate(runs, args.rounds)
        memory = {kind: [used_memory(port) for port in ports[kind]] for kind in STORES}
    report(args, rounds, memory)
    print(f"# load average at the end {load()}")


def spread_views(manifest_path: Path, warehouse: Path) -> list[str]:
    """Three copies of the view whose tags ({fo_bench:<name>}) fall in the three masters'
    slot ranges (redis-cli splits 16,384 slots evenly), in the manifest and the warehouse."""
    import duckdb
    from redis.crc import key_slot

    names: dict[int, str] = {}
    for i in range(100):
        name = f"{VIEW}_{i}"
        names.setdefault(key_slot(f"{{fo_bench:{name}}}".encode()) * 3 // 16384, name)
    chosen = [names[third] for third in range(3)]
    manifest = json.loads(manifest_path.read_text())
    (node,) = manifest["nodes"].values()
    manifest["nodes"] = {}
    for name in chosen:
        copy = json.loads(json.dumps(node).replace(VIEW, name))
        manifest["nodes"][copy["unique_id"]] = copy
    manifest_path.write_text(json.dumps(manifest))
    with duckdb.connect(str(warehouse)) as conn:
        for name in chosen:
            conn.execute(f"create view {name} as select * from {VIEW}")
    return chosen


def store_for(kind: str, work: Path):
    from featureops.online.config import parse_store_config
    from featureops.online.redis import RedisOnlineStore

    env = "FEATUREOPS_BENCH_CLUSTER_URL" if kind == "cluster" else "FEATUREOPS_BENCH_ONE_URL"
    return RedisOnlineStore(parse_store_config({
        "type": "redis", "url_env": env, "key_prefix": "fo_bench",
        "cluster": kind == "cluster"}), work)


def one_round(args: argparse.Namespace, project, kind: str, ports: list[int],
              expected: dict, work: Path) -> dict[str, object]:
    """Empty the store, materialize, check, time lookups; the store's figures."""
    from featureops.online.materialize import materialize
    from featureops.online.sdk import OnlineFeatureClient

    for port in ports:
        command(port, "FLUSHALL", timeout=120)  # seconds for millions of keys
    store = store_for(kind, work)
    try:
        started = time.perf_counter()
        results = materialize(project, store=store, end_time=END, progress=False)
        seconds = time.perf_counter() - started
        if [r.rows for r in results] != [args.entities] * len(args.names):
            raise SystemExit(f"benchmark check failed ({kind}): "
                             f"{[r.rows for r in results]} rows written")
        client = OnlineFeatureClient(project, store=store)
        refs = [f"{name}:{feature}" for name in args.names for feature in FEATURES]
        users = list(expected)
        answer = client.get_online_features(refs, entities={"user_id": users})
        for name in args.names:  # each view serves the warehouse's rows
            assert_served(f"{kind} {name}", users, served_by_view(answer, name), expected)
        rng = random.Random(7)
        users = [rng.randrange(args.entities) for _ in range(args.reads)]  # timed lookups
        batches = [[rng.randrange(args.entities) for _ in range(100)]
                   for _ in range(max(args.reads // 10, 10))]
        one = timed(lambda i: client.get_online_features(
            refs, entities={"user_id": [users[i % len(users)]]}), args.reads)
        hundred = timed(lambda i: client.get_online_features(
            refs, entities={"user_id": batches[i % len(batches)]}), len(batches), warmup=10)
    finally:
        store.close()
    return {"seconds": seconds, "one": one, "hundred": hundred}


def served_by_view(answer, name: str) -> list[dict[str, tuple]]:
    """[{feature: (value, status)}] per entity, of one view's features in ``answer``."""
    return [{ref.split(":", 1)[1]: (value.value, value.status)
             for ref, value in answer.row(i).items() if ref.startswith(f"{name}:")}
            for i in range(len(answer))]


def report(args: argparse.Namespace, rounds: dict[str, list[dict]],
           memory: dict[str, list[int]]) -> None:
    seconds = {kind: [r["seconds"] for r in runs] for kind, runs in rounds.items()}
    for kind in STORES:
        median = statistics.median(seconds[kind])
        print(f"materialize {len(args.names)} view(s) -> {kind}: median {median:.2f} s, "
              f"{args.entities * len(args.names) / median:,.0f} records/s "
              f"(rounds: {', '.join(f'{s:.2f}' for s in seconds[kind])} s)")
    ratios = round_ratios(seconds["cluster"], seconds["one node"])
    print(f"HEADLINE materialize time cluster / one node: {describe_ratios(ratios)}")
    for what, label in (("one", "1 entity"), ("hundred", "100 entities")):
        for kind in STORES:
            samples = [s for r in rounds[kind] for s in r[what]]
            p50, p99 = percentiles(samples)
            print(f"lookup of {label} -> {kind}: p50 {p50:.3f} ms, p99 {p99:.3f} ms "
                  f"({len(samples):,} lookups)")
    for kind in STORES:
        shown = ", ".join(f"{m / 2**20:,.0f} MiB" for m in memory[kind])
        print(f"used_memory after the last run -> {kind}: {shown}")


def used_memory(port: int) -> int:
    info = command(port, "INFO", "memory").decode()
    return int(next(line.split(":")[1] for line in info.splitlines()
                    if line.startswith("used_memory:")))


def load() -> str:
    return ", ".join(f"{value:.2f}" for value in os.getloadavg())


if __name__ == "__main__":
    main()
