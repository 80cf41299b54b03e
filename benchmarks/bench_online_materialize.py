"""Materialization throughput and memory.

    .venv/bin/python benchmarks/bench_online_materialize.py --entities 1000000
    .venv/bin/python benchmarks/bench_online_materialize.py --entities 2500000 \
        --rows-per-entity 4 --stores sqlite          # 10M source rows, peak memory
    .venv/bin/python benchmarks/bench_online_materialize.py --entities 300000 \
        --pushed 30000 --no-baseline                 # merging the push log when publishing
    .venv/bin/python benchmarks/bench_online_materialize.py --small   # smoke run, 20k

Writes N entities x 10 features into a private Redis (its own redis-server on a spare port)
and into SQLite with `featureops.online.materialize`. For Redis the headline is the ratio
to the floor: raw redis-py writing the very records featureops wrote (read back from the
untimed warm-up run), 1,000 per MSET as featureops writes them, pipelined, from records
already in Python memory. featureops and the floor (and, as context only, redis-py with one
command per entity: HSET of the 10 features, Feast's layout, and SET of our record)
alternate round by round in rotating order (``--rounds``), each on an emptied server; the
ratio featureops/floor is taken per round and its median reported. Peak RSS is the
process maximum after the featureops runs of the warm-up (before the baselines hold their
records in memory). With ``--pushed N``, N records (half for users the warehouse has, newer
than its rows, half for users it lacks) are pushed before each featureops run, which must
keep every one of them.

After each materialize, a sample of users is read back through the SDK: each must be
``present`` with the warehouse's values, or the run fails. The work directory is removed
at the end unless ``--keep``.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.alternation import alternate, describe_ratios  # noqa: E402
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


FLOOR = "floor: raw redis-py, MSET of 1,000 of the same records per command, pipelined"
PER_ENTITY_HSET = "context: raw redis-py, one HSET per entity (10 fields + ts), pipelined"
PER_ENTITY_SET = "context: raw redis-py, one SET per entity (the same record), pipelined"
MSET_CHUNK = 1000  # featureops's default mset_chunk
COMMANDS_PER_ROUND_TRIP = 10


def written_records(store) -> list[tuple[bytes, bytes]]:
    """Every (full key, record) of the view's live version, as featureops wrote it."""
    version = store.live_state(VIEW).version
    prefix = f"{store.key_prefix}:{VIEW}:{version}:"
    return [((prefix + key).encode(), record)
            for key, record in store.scan_records(VIEW, version)]


def write_floor(url: str, records: list[tuple[bytes, bytes]]) -> float:
    """Seconds for redis-py to write ``records`` as featureops does: MSET of 1,000 pairs per
    command, several commands per round trip."""
    import redis

    client = redis.Redis.from_url(url)
    per_trip = MSET_CHUNK * COMMANDS_PER_ROUND_TRIP
    started = time.perf_counter()
    for trip in range(0, len(records), per_trip):
        pipe = client.pipeline(transaction=False)
        for chunk in range(trip, min(trip + per_trip, len(records)), MSET_CHUNK):
            pipe.mset(dict(records[chunk:chunk + MSET_CHUNK]))
        pipe.execute()
    seconds = time.perf_counter() - started
    written_all(client, len(records))
    return seconds


def written_all(client, count: int) -> None:
    """The emptied server must now hold ``count`` keys: the run wrote what it was timed for."""
    keys = client.dbsize()
    client.close()
    if keys != count:
        raise SystemExit(f"raw redis-py run wrote {keys:,} keys, expected {count:,}")


def write_per_entity(url: str, commands: list[tuple[str, object]]) -> float:
    """Seconds for redis-py to send one command per entity (``("set", (key, value))`` or
    ``("hset", (key, mapping))``), pipelined 10,000 at a time."""
    import redis

    client = redis.Redis.from_url(url)
    started = time.perf_counter()
    for start in range(0, len(commands), 10_000):
        pipe = client.pipeline(transaction=False)
        for name, (key, value) in commands[start:start + 10_000]:
            if name == "hset":
                pipe.hset(key, mapping=value)
            else:
                pipe.set(key, value)
        pipe.execute()
    seconds = time.perf_counter() - started
    written_all(client, len(commands))
    return seconds


def hset_commands(warehouse: Path) -> list[tuple[str, object]]:
    """One HSET per user of its latest row's 10 features and timestamp (Feast's layout)."""
    import duckdb

    with duckdb.connect(str(warehouse), read_only=True) as conn:
        rows = conn.execute(f"select user_id, epoch_us(event_at), {', '.join(FEATURES)} "
                            f"from {VIEW} qualify row_number() over (partition by user_id "
                            "order by event_at desc) = 1").fetchall()
    return [("hset", (f"raw:{user}", {"_ts": ts, **dict(zip(FEATURES, values, strict=True))}))
            for user, ts, *values in rows]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--entities", type=int, default=1_000_000)
    parser.add_argument("--rows-per-entity", type=int, default=1)
    parser.add_argument("--stores", default="redis,sqlite")
    parser.add_argument("--rounds", type=int, default=3,
                        help="alternating rounds of featureops and the raw redis-py writes")
    parser.add_argument("--no-baseline", action="store_true",
                        help="skip the per-entity redis-py context (the floor always runs)")
    parser.add_argument("--pushed", type=int, default=0,
                        help="records pushed before each featureops run")
    parser.add_argument("--small", action="store_true",
                        help="smoke run: 20,000 entities, 2 rounds")
    add_keep_option(parser)
    args = parser.parse_args()
    if args.small:
        args.entities, args.rounds = 20_000, 2
    if args.pushed // 2 >= args.entities:
        raise SystemExit("--pushed must be under twice --entities")
    if args.rounds < 1:
        raise SystemExit("--rounds must be at least 1")
    with work_directory("fo-bench-materialize-", args.keep) as work:
        run(args, work)


def run(args: argparse.Namespace, work: Path) -> None:
    from featureops.online.config import parse_store_config
    from featureops.online.sqlite import SqliteOnlineStore
    from featureops.project import Project

    warehouse = make_warehouse_in_child(work, args.entities, args.rows_per_entity)
    os.environ["FEATUREOPS_DUCKDB_PATH"] = str(warehouse)
    project = Project.locate(work, make_manifest(work))
    # users the pushes do not touch: they must serve the warehouse's newest row
    expected = expected_values(warehouse, sample_users(args.entities - args.pushed // 2))
    print(f"# {machine()}; {args.entities:,} entities x 10 features, "
          f"{args.entities * args.rows_per_entity:,} source rows, {args.rounds} rounds")
    rss_before = peak_rss_mib()
    if "sqlite" in args.stores:
        store = SqliteOnlineStore(parse_store_config(
            {"type": "sqlite", "path": str(work / "online.db")}), work)
        seconds, note = timed_run(project, store, args.entities, args.pushed, expected)
        store.close()
        print(f"featureops materialize -> SQLite{note}: {seconds:.2f} s, "
              f"{args.entities / seconds:,.0f} entities/s (no floor measured)")
    if "redis" in args.stores:
        with PrivateRedis() as server:
            redis_rounds(args, project, server, work, expected)
    print(f"peak RSS: {peak_rss_mib():,.0f} MiB (before materializing: {rss_before:,.0f} MiB)")


def redis_rounds(args: argparse.Namespace, project, server: PrivateRedis, work: Path,
                 expected: dict[int, dict]) -> None:
    """An untimed warm-up materialize (its records become the floor's), then featureops,
    the floor and the context baselines alternating, each on an emptied server."""
    from featureops.online.config import parse_store_config
    from featureops.online.redis import RedisOnlineStore

    os.environ["FEATUREOPS_BENCH_REDIS_URL"] = server.url
    config = parse_store_config({"type": "redis", "url_env": "FEATUREOPS_BENCH_REDIS_URL",
                                 "key_prefix": "fo_bench"})
    notes = []

    def featureops() -> float:
        store = RedisOnlineStore(config, work)
        try:
            seconds, note = timed_run(project, store, args.entities, args.pushed, expected)
        finally:
            store.close()
            server.flush()
        notes.append(note)
        return seconds

    # warm-up (untimed): caches and page cache for every run; its records are the floor's
    store = RedisOnlineStore(config, work)
    timed_run(project, store, args.entities, args.pushed, expected)
    records = written_records(store)
    store.close()
    server.flush()
    print(f"peak RSS of materializing (warm-up runs): {peak_rss_mib():,.0f} MiB; "
          f"{len(records):,} records of {len(records[0][1])} bytes")

    def floor() -> float:
        try:
            return write_floor(server.url, records)
        finally:
            server.flush()

    runs = {"featureops": featureops, FLOOR: floor}
    if not args.no_baseline:
        sets = [("set", (f"raw:{key.decode().rsplit(':', 1)[1]}", record))
                for key, record in records]
        hsets = hset_commands(work / "bench.duckdb")

        def per_entity(commands):
            def write() -> float:
                try:
                    return write_per_entity(server.url, commands)
                finally:
                    server.flush()
            return write

        runs |= {PER_ENTITY_HSET: per_entity(hsets), PER_ENTITY_SET: per_entity(sets)}
    seconds = alternate(runs, args.rounds)
    report_redis(seconds, {"featureops": args.entities, FLOOR: len(records),
                           PER_ENTITY_HSET: args.entities, PER_ENTITY_SET: len(records)},
                 notes[-1])


def report_redis(seconds: dict[str, list[float]], counts: dict[str, int], note: str) -> None:
    for name, runs in seconds.items():
        label = f"featureops materialize -> Redis{note}" if name == "featureops" else name
        median = statistics.median(runs)
        print(f"{label}: median {median:.2f} s, {counts[name] / median:,.0f} entities/s "
              f"(rounds: {', '.join(f'{s:.2f}' for s in runs)} s)")
    # rate ratio per round: featureops's entities/s over the other's
    for name, runs in seconds.items():
        if name == "featureops":
            continue
        ratios = [(counts["featureops"] / ours) / (counts[name] / theirs)
                  for ours, theirs in zip(seconds["featureops"], runs, strict=True)]
        headline = "HEADLINE " if name == FLOOR else ""
        print(f"{headline}featureops rate / {name.split(':')[0]} rate "
              f"({name.split(': ', 1)[1]}): {describe_ratios(ratios)}"
              + (" (goal >= 0.90x)" if name == FLOOR else ""))


if __name__ == "__main__":
    main()
