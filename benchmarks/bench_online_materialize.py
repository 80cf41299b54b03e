"""Materialization throughput and memory.

    .venv/bin/python benchmarks/bench_online_materialize.py --entities 1000000
    .venv/bin/python benchmarks/bench_online_materialize.py --entities 2500000 \
        --rows-per-entity 4 --stores sqlite          # 10M source rows, peak memory
    .venv/bin/python benchmarks/bench_online_materialize.py --entities 300000 \
        --pushed 30000 --no-baseline                 # merging the push log when publishing

Writes N entities x 10 features into a private Redis and into SQLite with
`featureops.online.materialize`, and, as baselines in the same run, writes the same
payload to the same Redis with raw redis-py pipelines: HSET of the 10 features (Feast's
layout) and SET of our pre-encoded records. Peak RSS is the process maximum. With
``--pushed N``, N records (half for users the warehouse has, newer than its rows, half for
users it lacks) are pushed before the timed run, which must keep every one of them.

After each materialize, a sample of users is read back through the SDK: each must be
``present`` with the warehouse's values, or the run fails. The work directory is removed
at the end unless ``--keep``.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.bench_online_common import (  # noqa: E402
    END,
    FEATURES,
    VIEW,
    PrivateRedis,
    add_keep_option,
    check_sdk,
    expected_values,
    machine,
    make_manifest,
    make_warehouse_in_child,
    sample_users,
    work_directory,
)

PUSHED_AT = END  # newer than every warehouse row (they end before the run's time)


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_materialize(project, store) -> tuple[float, int]:
    from featureops.online.materialize import materialize

    started = time.perf_counter()
    (result,) = materialize(project, store=store, end_time=END, progress=False)
    return time.perf_counter() - started, result.rows


def push_before(project, store, entities: int, count: int) -> list[int]:
    """Push ``count`` records, newer than the warehouse's, for users around the last one
    it has (half known to it, half not); return their user ids."""
    import pyarrow as pa

    from featureops.catalog import FeatureCatalog
    from featureops.online import push_records

    view = FeatureCatalog.from_manifest(project.manifest).view(VIEW)
    users = list(range(entities - count // 2, entities - count // 2 + count))
    for start in range(0, count, 10_000):
        chunk = users[start:start + 10_000]
        columns = {"user_id": pa.array(chunk, pa.int64()),
                   "event_at": pa.array([PUSHED_AT] * len(chunk), pa.timestamp("us", "UTC"))}
        for name in FEATURES:
            columns[name] = (pa.array(chunk, pa.int64()) if name.startswith("count")
                             else pa.array([u / 100 for u in chunk], pa.float64()))
        push_records(project, view, pa.table(columns), store=store)
    return users


def pushes_served(store, users: list[int]) -> int:
    """How many of the pushed users the store serves the pushed record for."""
    from featureops.online.encoding import RecordCodec, datetime_to_micros, encode_key

    (snapshot,) = store.read([(VIEW, [encode_key([u]) for u in users])])
    codec = RecordCodec(snapshot.state.layout)
    pushed = datetime_to_micros(PUSHED_AT)
    return sum(record is not None and codec.decode(record)[0] == pushed
               for record in snapshot.records)


def timed_run(project, store, entities: int, pushed: int,
              expected: dict[int, dict]) -> tuple[float, str]:
    """Seconds of one materialize, after ``pushed`` pushes; a note on the pushes kept.
    The users of ``expected`` (none pushed) must then read back present with its values."""
    from featureops.online.sdk import OnlineFeatureClient

    started = time.perf_counter()
    users = push_before(project, store, entities, pushed) if pushed else []
    pushing = time.perf_counter() - started
    seconds, _ = run_materialize(project, store)
    check_sdk(f"materialize -> {type(store).__name__}", OnlineFeatureClient(project, store=store),
              list(expected), expected)
    note = (f" ({pushes_served(store, users):,} of {pushed:,} pushes kept; pushing them "
            f"took {pushing:.2f} s)" if pushed else "")
    return seconds, note


def raw_baselines(warehouse: Path, url: str, entities: int) -> dict[str, float]:
    """Seconds for redis-py pipelined HSET and SET of the same payload (not counting the
    time to read it from DuckDB and build the Python objects)."""
    import duckdb
    import redis

    with duckdb.connect(str(warehouse), read_only=True) as conn:
        rows = conn.execute(f"select user_id, epoch_us(event_at), {', '.join(FEATURES)} "
                            f"from {VIEW} qualify row_number() over (partition by user_id "
                            "order by event_at desc) = 1").fetchall()
    client = redis.Redis.from_url(url)
    timings = {}
    started = time.perf_counter()
    pipe = client.pipeline(transaction=False)
    for i, (user, ts, *values) in enumerate(rows, 1):
        pipe.hset(f"raw:{user}", mapping={"_ts": ts, **dict(zip(FEATURES, values, strict=True))})
        if i % 10_000 == 0:
            pipe.execute()
    pipe.execute()
    timings["raw redis-py pipelined HSET (10 fields + ts)"] = time.perf_counter() - started
    client.flushall()
    blobs = [(f"raw:{row[0]}", b"x" * 97) for row in rows]  # our record size for this view
    started = time.perf_counter()
    for start in range(0, len(blobs), 10_000):
        pipe = client.pipeline(transaction=False)
        for key, value in blobs[start:start + 10_000]:
            pipe.set(key, value)
        pipe.execute()
    timings["raw redis-py pipelined SET (97-byte record)"] = time.perf_counter() - started
    client.flushall()
    return timings


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--entities", type=int, default=1_000_000)
    parser.add_argument("--rows-per-entity", type=int, default=1)
    parser.add_argument("--stores", default="redis,sqlite")
    parser.add_argument("--no-baseline", action="store_true")
    parser.add_argument("--pushed", type=int, default=0,
                        help="records pushed before the timed run")
    add_keep_option(parser)
    args = parser.parse_args()
    if args.pushed // 2 >= args.entities:
        raise SystemExit("--pushed must be under twice --entities")
    with work_directory("fo-bench-materialize-", args.keep) as work:
        run(args, work)


def run(args: argparse.Namespace, work: Path) -> None:
    from featureops.online.config import parse_store_config
    from featureops.online.redis import RedisOnlineStore
    from featureops.online.sqlite import SqliteOnlineStore
    from featureops.project import Project

    warehouse = make_warehouse_in_child(work, args.entities, args.rows_per_entity)
    os.environ["FEATUREOPS_DUCKDB_PATH"] = str(warehouse)
    project = Project.locate(work, make_manifest(work))
    # users the pushes do not touch: they must serve the warehouse's newest row
    expected = expected_values(warehouse, sample_users(args.entities - args.pushed // 2))
    print(f"# {machine()}; {args.entities:,} entities x 10 features, "
          f"{args.entities * args.rows_per_entity:,} source rows")
    rss_before = peak_rss_mib()
    results = {}
    if "redis" in args.stores:
        with PrivateRedis() as server:
            os.environ["FEATUREOPS_BENCH_REDIS_URL"] = server.url
            store = RedisOnlineStore(parse_store_config(
                {"type": "redis", "url_env": "FEATUREOPS_BENCH_REDIS_URL",
                 "key_prefix": "fo_bench"}), work)
            seconds, note = timed_run(project, store, args.entities, args.pushed, expected)
            results[f"featureops materialize -> Redis{note}"] = seconds
            store.close()
            server.flush()
            if not args.no_baseline:
                results.update(raw_baselines(warehouse, server.url, args.entities))
    if "sqlite" in args.stores:
        store = SqliteOnlineStore(parse_store_config(
            {"type": "sqlite", "path": str(work / "online.db")}), work)
        seconds, note = timed_run(project, store, args.entities, args.pushed, expected)
        results[f"featureops materialize -> SQLite{note}"] = seconds
        store.close()
    for name, seconds in results.items():
        print(f"{name}: {seconds:.2f} s, {args.entities / seconds:,.0f} entities/s")
    ours = next((s for name, s in results.items() if name.startswith("featureops")
                 and "Redis" in name), None)
    for name, seconds in results.items():
        if name.startswith("raw") and ours:
            print(f"ratio featureops/({name}): {seconds / ours:.2f}x the raw rate")
    print(f"peak RSS: {peak_rss_mib():,.0f} MiB (before materializing: {rss_before:,.0f} MiB)")


if __name__ == "__main__":
    main()
