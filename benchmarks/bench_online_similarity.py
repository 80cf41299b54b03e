"""Similarity search latency: k=10 nearest of N 16-d embeddings, with and without a filter.

    .venv/bin/python benchmarks/bench_online_similarity.py [--entities 100000]

SQLite answers from its sqlite-vec index; Redis by exact search on a cached matrix (the
first query loads it: reported apart). Baseline in the same run: numpy brute force on an
in-memory float32 matrix of the same vectors (the floor for an exact search). Before
timing, each store must answer the first queries (with and without the filter) with the
brute force's nearest neighbours, or the run fails. The work directory is removed at the
end unless ``--keep``.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np
import pyarrow as pa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.bench_online_common import (  # noqa: E402
    END,
    START,
    PrivateRedis,
    add_keep_option,
    machine,
    percentiles,
    work_directory,
)

VIEW, DIM, K, CHECKED_QUERIES = "feat_bench__merchants", 16, 10, 5
TIERS = np.array(["low", "medium", "high"])


def table(n: int) -> pa.Table:
    rng = np.random.default_rng(3)
    vectors = rng.normal(size=(n, DIM)).astype(np.float32)
    return pa.table({
        "merchant_id": pa.array(np.arange(n), pa.int64()),
        "event_at": pa.array([START.replace(tzinfo=None)] * n, pa.timestamp("us")),
        "tier": pa.array(TIERS[np.arange(n) % 3]),
        "embedding": pa.FixedSizeListArray.from_arrays(pa.array(vectors.ravel()), DIM),
    })


def load(store, data: pa.Table) -> None:
    from featureops.online.encoding import RecordCodec, encode_key_columns
    from featureops.online.layout import layout_from_schema

    layout = layout_from_schema(data.schema, ("merchant_id",), ("tier", "embedding"))
    codec = RecordCodec(layout)
    build = store.begin_version(VIEW, layout)
    for batch in data.to_batches(50_000):
        keys = encode_key_columns([batch.column("merchant_id")], ["int"])
        store.write_batch(build, codec.encode(batch, "event_at", keys))
    store.publish_version(build, END.replace(tzinfo=None))


def cosine_distances(data: pa.Table, query: np.ndarray) -> np.ndarray:
    """Exact cosine distance of every vector to ``query`` (the oracle)."""
    matrix = np.asarray(data.column("embedding").combine_chunks().flatten()).reshape(-1, DIM)
    unit = matrix / np.linalg.norm(matrix, axis=1, keepdims=True)
    return 1 - unit @ (query / np.linalg.norm(query))


def check_nearest(name: str, store, data: pa.Table, queries: np.ndarray) -> None:
    """Fail the run unless the store's k nearest (with and without the filter) are the
    exact ones: the k returned keys' true distances equal the k smallest (ties allowed)."""
    allowed = {"": np.ones(data.num_rows, bool),
               ", filter tier=high": TIERS[np.arange(data.num_rows) % 3] == "high"}
    for query in queries[:CHECKED_QUERIES]:
        distances = cosine_distances(data, query)
        for label, filters in (("", None), (", filter tier=high", {"tier": "high"})):
            found = [int(key) for key, _ in store.find_similar(VIEW, "embedding", query, K,
                                                               filters)]
            best = np.sort(distances[allowed[label]])[:K]
            if (len(found) != K or not allowed[label][found].all()
                    or not np.allclose(np.sort(distances[found]), best, atol=1e-5)):
                raise SystemExit(f"benchmark check failed ({name}{label}): returned {found}, "
                                 f"not the {K} nearest")


def timed(search, queries: np.ndarray) -> list[float]:
    samples = []
    for query in queries:
        started = time.perf_counter()
        search(query)
        samples.append(time.perf_counter() - started)
    return samples


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--entities", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=200)
    add_keep_option(parser)
    args = parser.parse_args()
    with work_directory("fo-bench-sim-", args.keep) as work:
        run(args, work)


def run(args: argparse.Namespace, work: Path) -> None:
    from featureops.online.config import parse_store_config
    from featureops.online.redis import RedisOnlineStore
    from featureops.online.sqlite import SqliteOnlineStore

    data = table(args.entities)
    queries = np.random.default_rng(9).normal(size=(args.queries, DIM)).astype(np.float32)
    print(f"# {machine()}; {args.entities:,} x {DIM}-d embeddings, k=10, "
          f"{args.queries} queries")
    with PrivateRedis() as server:
        os.environ["FEATUREOPS_BENCH_REDIS_URL"] = server.url
        stores = {
            "SQLite (sqlite-vec)": SqliteOnlineStore(parse_store_config(
                {"type": "sqlite", "path": str(work / "online.db")}), work),
            "Redis (cached matrix)": RedisOnlineStore(parse_store_config(
                {"type": "redis", "url_env": "FEATUREOPS_BENCH_REDIS_URL",
                 "key_prefix": "fo_bench"}), work),
        }
        for name, store in stores.items():
            load(store, data)
            started = time.perf_counter()
            store.find_similar(VIEW, "embedding", queries[0], K, None)
            first = time.perf_counter() - started
            check_nearest(name, store, data, queries)
            for label, filters in (("", None), (", filter tier=high", {"tier": "high"})):
                p50, p99 = percentiles(timed(
                    lambda q, s=store, f=filters: s.find_similar(VIEW, "embedding", q, 10, f),
                    queries))
                print(f"{name}{label}: p50 {p50:.2f} ms, p99 {p99:.2f} ms")
            print(f"{name}: first query (cold) {first * 1000:.0f} ms")
            store.close()
    matrix = np.asarray(data.column("embedding").combine_chunks().flatten()).reshape(-1, DIM)
    unit = matrix / np.linalg.norm(matrix, axis=1, keepdims=True)

    def brute(query: np.ndarray) -> np.ndarray:
        distances = 1 - unit @ (query / np.linalg.norm(query))
        top = np.argpartition(distances, 9)[:10]
        return top[np.argsort(distances[top])]

    p50, p99 = percentiles(timed(brute, queries))
    print(f"baseline numpy brute force (in memory): p50 {p50:.2f} ms, p99 {p99:.2f} ms")


if __name__ == "__main__":
    main()
