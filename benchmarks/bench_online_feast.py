"""featureops against Feast on the same data in the same run (Feast in its own venv).

    python3 -m venv /tmp/feast-venv && /tmp/feast-venv/bin/pip install 'feast[redis]'
    .venv/bin/python benchmarks/bench_online_feast.py --entities 200000 \
        --feast-python /tmp/feast-venv/bin/python

Both write N entities x 10 features to the same private redis-server (flushed between
them) from the same data (our DuckDB warehouse; Feast reads it exported as Parquet), then
read one entity x 10 features 2,000 times through their Python SDKs. Feast runs in a child
process of its own venv (this script, with --feast-child); featureops is never installed
there and Feast never here. Without that venv, the Feast half is skipped (with a message).

The data is relative to the run's time (inside the 60-day ttl) and both read at the run's
time; before timing, each implementation reads a sample of users and must return the
warehouse's values (featureops: with status ``present``), or the run fails. The work
directory (warehouse, Parquet, Feast repo) is removed at the end unless ``--keep``.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

FEAST_REPO = """
from datetime import timedelta
from feast import Entity, FeatureView, Field, FileSource
from feast.types import Float64, Int64
user = Entity(name="user", join_keys=["user_id"])
source = FileSource(path={parquet!r}, timestamp_field="event_at")
view = FeatureView(name="feat_bench__users", entities=[user], ttl=timedelta(days=60),
                   schema=[Field(name=f"count_{{i}}", dtype=Int64) for i in range(5)]
                   + [Field(name=f"amount_{{i}}", dtype=Float64) for i in range(5)],
                   source=source, online=True)
"""


def feast_child(args: argparse.Namespace) -> None:
    """Runs inside the Feast venv: materialize, check the expected values, then time
    get_online_features."""
    from feast import FeatureStore

    repo = Path(args.repo)
    repo.mkdir(parents=True, exist_ok=True)
    (repo / "feature_store.yaml").write_text(
        "project: bench\nregistry: registry.db\nprovider: local\n"
        f"online_store:\n  type: redis\n  connection_string: \"127.0.0.1:{args.redis_port}\"\n"
        "offline_store:\n  type: file\nentity_key_serialization_version: 3\n")
    (repo / "repo.py").write_text(FEAST_REPO.format(parquet=args.parquet))
    namespace: dict = {}
    exec((repo / "repo.py").read_text(), namespace)  # noqa: S102 - our own generated file
    store = FeatureStore(repo_path=str(repo))
    store.apply([namespace["user"], namespace["view"]])
    end = datetime.fromisoformat(args.end)
    started = time.perf_counter()
    store.materialize(start_date=end - timedelta(days=60), end_date=end)
    materialize_seconds = time.perf_counter() - started
    refs = [f"feat_bench__users:{f}" for f in
            [f"count_{i}" for i in range(5)] + [f"amount_{i}" for i in range(5)]]
    expected = {int(user): row for user, row in json.loads(Path(args.expected).read_text()).items()}
    answer = store.get_online_features(
        features=refs, entity_rows=[{"user_id": user} for user in expected]).to_dict()
    for i, (user, row) in enumerate(expected.items()):
        for name, value in row.items():
            if answer[name][i] != value:
                raise SystemExit(f"benchmark check failed (Feast): user {user} {name}: "
                                 f"got {answer[name][i]!r}, expected {value!r}")
    if args.requests == 0:  # materialized and checked: another benchmark serves it
        print(json.dumps({"materialize_seconds": materialize_seconds, "checked": len(expected)}))
        return
    rng = random.Random(7)
    ids = [rng.randrange(args.entities) for _ in range(args.requests + 200)]
    samples = []
    for i, user_id in enumerate(ids):
        t = time.perf_counter()
        store.get_online_features(features=refs, entity_rows=[{"user_id": user_id}]).to_dict()
        if i >= 200:
            samples.append(time.perf_counter() - t)
    samples.sort()
    print(json.dumps({"materialize_seconds": materialize_seconds,
                      "p50": samples[len(samples) // 2], "p99": samples[int(len(samples) * .99)],
                      "checked": len(expected)}))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--entities", type=int, default=200_000)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--feast-python", default="/tmp/feast-venv/bin/python")
    parser.add_argument("--feast-child", action="store_true")
    parser.add_argument("--repo")
    parser.add_argument("--parquet")
    parser.add_argument("--redis-port", type=int)
    parser.add_argument("--expected", help="(child) JSON of the values Feast must serve")
    parser.add_argument("--end", help="(child) the materialization end, ISO 8601")
    parser.add_argument("--keep", action="store_true",
                        help="keep the work directory (warehouse, Parquet, Feast repo)")
    args = parser.parse_args()
    if args.feast_child:
        feast_child(args)
        return
    from benchmarks.bench_online_common import work_directory

    with work_directory("fo-bench-feast-", args.keep) as work:
        run(args, work)


def run_feast(args: argparse.Namespace, work: Path, parquet: Path, redis_port: int,
              expected: dict, end: datetime) -> dict:
    """The Feast half in its venv's child process; its JSON result."""
    (work / "expected.json").write_text(json.dumps(expected))
    child = subprocess.run(
        [args.feast_python, __file__, "--feast-child", "--repo", str(work / "feast_repo"),
         "--parquet", str(parquet), "--redis-port", str(redis_port),
         "--entities", str(args.entities), "--requests", str(args.requests),
         "--expected", str(work / "expected.json"), "--end", end.isoformat()],
        capture_output=True, text=True, timeout=3600)
    if child.returncode != 0:
        lines = (child.stderr or child.stdout).strip().splitlines() or ["no output"]
        raise SystemExit(f"the Feast child failed (exit {child.returncode}): {lines[-1]}")
    return json.loads(child.stdout.strip().splitlines()[-1])


def run(args: argparse.Namespace, work: Path) -> None:
    from benchmarks.bench_online_common import (
        END,
        REFS,
        PrivateRedis,
        check_sdk,
        expected_values,
        export_parquet,
        machine,
        make_manifest,
        make_warehouse_in_child,
        percentiles,
        sample_users,
    )
    from featureops.online.config import open_online_store, parse_store_config
    from featureops.online.materialize import materialize
    from featureops.online.sdk import OnlineFeatureClient
    from featureops.project import Project

    with_feast = Path(args.feast_python).exists()
    if not with_feast:
        print(f"# Feast skipped: {args.feast_python} not found (create its venv as the "
              "docstring says, or pass --feast-python); featureops only")
    warehouse = make_warehouse_in_child(work, args.entities)
    checked = sample_users(args.entities)
    expected = expected_values(warehouse, checked)
    os.environ["FEATUREOPS_DUCKDB_PATH"] = str(warehouse)
    project = Project.locate(work, make_manifest(work))
    print(f"# {machine()}; {args.entities:,} entities x 10 features, {args.requests:,} reads")
    with PrivateRedis() as server:
        os.environ["FEATUREOPS_REDIS_URL"] = server.url
        store = open_online_store(project, parse_store_config(
            {"type": "redis", "key_prefix": "fo_bench"}))
        started = time.perf_counter()
        materialize(project, store=store, end_time=END, progress=False)
        ours_seconds = time.perf_counter() - started
        client = OnlineFeatureClient(project, store=store)
        check_sdk("featureops SDK", client, checked, expected)
        rng = random.Random(7)
        ids = [rng.randrange(args.entities) for _ in range(args.requests + 200)]
        samples = []
        for i, user_id in enumerate(ids):
            t = time.perf_counter()
            client.get_online_features(REFS, entities={"user_id": [user_id]})
            if i >= 200:
                samples.append(time.perf_counter() - t)
        ours_p50, ours_p99 = percentiles(samples)
        store.close()
        server.flush()
        feast = (run_feast(args, work, export_parquet(warehouse, work / "bench.parquet"),
                           server.port, expected, END) if with_feast else None)
    ours_rate = args.entities / ours_seconds
    if feast is None:
        print(f"materialize: featureops {ours_rate:,.0f} entities/s ({ours_seconds:.1f} s)")
        print(f"SDK read 1 entity x 10 features: featureops p50 {ours_p50:.3f} ms p99 "
              f"{ours_p99:.3f} ms")
        return
    feast_rate = args.entities / feast["materialize_seconds"]
    print(f"materialize: featureops {ours_rate:,.0f} entities/s ({ours_seconds:.1f} s), "
          f"Feast {feast_rate:,.0f} entities/s ({feast['materialize_seconds']:.1f} s): "
          f"{ours_rate / feast_rate:.1f}x")
    print(f"SDK read 1 entity x 10 features: featureops p50 {ours_p50:.3f} ms p99 "
          f"{ours_p99:.3f} ms; Feast p50 {feast['p50'] * 1000:.3f} ms p99 "
          f"{feast['p99'] * 1000:.3f} ms; p99 ratio Feast/featureops "
          f"{feast['p99'] * 1000 / ours_p99:.1f}x")
    print(f"checked before timing: {len(checked)} users x 10 features, both implementations "
          "serve the warehouse's values")


if __name__ == "__main__":
    main()
