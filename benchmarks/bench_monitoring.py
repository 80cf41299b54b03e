"""Monitoring cost: the drift/skew statistics in SQL at scale, and what the monitoring models
add to the demo's `dbt build`.

    .venv/bin/python benchmarks/bench_monitoring.py [--series 20] [--reference 100000]
        [--current 50000] [--buckets 8] [--repeats 3] [--postgres] [--no-build]

1. Statistics: `featureops.distribution_comparison` (PSI over reference-quantile bins,
   Jensen-Shannon, two-sample KS, mean shift; the macro every drift and skew model runs),
   compiled once by dbt and timed on DuckDB (and Postgres with --postgres) over `series`
   distributions of `reference` values each, compared with `buckets` current groups of
   `current` values each. Baseline, in the same run: the same statistics with NumPy/SciPy
   (np.quantile, np.searchsorted/bincount, scipy jensenshannon and ks_2samp) on arrays
   already in memory. Both must agree within 1e-9 (checked).
2. Build: `dbt build` of the example project into a fresh warehouse with and without
   models/monitoring (best of --repeats each), so the monitoring overhead is a ratio.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from featureops.dbt_runner import run_dbt  # noqa: E402
from tests.unit.monitoring.oracles import compare_numeric  # noqa: E402

Distributions = tuple[dict[str, np.ndarray], dict[tuple[str, int], np.ndarray]]


def _distributions(series: int, reference: int, current: int, buckets: int,
                   seed: int = 5) -> Distributions:
    """Log-normal reference values per series; each current bucket drifts a little more."""
    rng = np.random.default_rng(seed)
    references, currents = {}, {}
    for index in range(series):
        name = f"feature_{index:03d}"
        references[name] = np.round(rng.lognormal(index % 5, 1.0, reference), 2)
        for bucket in range(buckets):
            currents[(name, bucket)] = np.round(rng.lognormal(index % 5 + 0.02 * bucket, 1.0,
                                                              current), 2)
    return references, currents


def _compiled_sql(tmp: Path, env: dict[str, str], reference: str, current: str) -> str:
    completed = run_dbt(
        ["compile", "--inline", f"{{{{ featureops.distribution_comparison('{reference}', "
         f"'{current}', ['series'], ['bucket']) }}}}", "--output", "json", "--quiet",
         "--target-path", str(tmp / "target"), "--log-path", str(tmp / "logs")],
        REPO, env=env)
    return json.loads(completed.stdout[completed.stdout.index("{"):])["compiled"]


def _best(action: Any, repeats: int) -> tuple[float, Any]:
    best, result = float("inf"), None
    for _ in range(repeats):
        start = time.perf_counter()
        result = action()
        best = min(best, time.perf_counter() - start)
    return best, result


def _long_tables(references: dict, currents: dict) -> tuple[Any, Any]:
    import pyarrow as pa

    ref = pa.table({
        "series": np.repeat(list(references), [len(v) for v in references.values()]),
        "numeric_value": np.concatenate(list(references.values())),
        "category_value": pa.nulls(sum(len(v) for v in references.values()), pa.string())})
    keys = list(currents)
    cur = pa.table({
        "series": np.repeat([k[0] for k in keys], [len(currents[k]) for k in keys]),
        "bucket": np.repeat([k[1] for k in keys], [len(currents[k]) for k in keys]),
        "numeric_value": np.concatenate([currents[k] for k in keys]),
        "category_value": pa.nulls(sum(len(v) for v in currents.values()), pa.string())})
    return ref, cur


def bench_statistics(args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    import duckdb

    references, currents = _distributions(args.series, args.reference, args.current,
                                          args.buckets)
    ref, cur = _long_tables(references, currents)
    sql = _compiled_sql(tmp, {"FEATUREOPS_TARGET": "dev",
                              "FEATUREOPS_DUCKDB_PATH": str(tmp / "compile.duckdb")},
                        "bench_reference", "bench_current")
    conn = duckdb.connect(config={"autoinstall_known_extensions": False})
    for name, table in (("bench_reference", ref), ("bench_current", cur)):
        conn.register("arrow_input", table)
        conn.execute(f"create table {name} as select * from arrow_input")
        conn.unregister("arrow_input")
    duck_seconds, rows = _best(lambda: conn.execute(sql).fetchall(), args.repeats)
    names = [d[0] for d in conn.description]
    by_key = {(r[names.index("series")], r[names.index("bucket")]): r for r in rows}

    def baseline() -> dict:
        return {key: compare_numeric(references[key[0]], values)
                for key, values in currents.items()}
    numpy_seconds, expected = _best(baseline, args.repeats)
    worst = max(abs(by_key[key][names.index(stat)] - getattr(value, stat))
                for key, value in expected.items()
                for stat in ("psi", "jensen_shannon", "ks_statistic", "mean_shift_sd"))
    assert worst < 1e-9, f"SQL and NumPy disagree by {worst}"
    result = {"values": ref.num_rows + cur.num_rows, "comparisons": len(rows),
              "duckdb_seconds": duck_seconds, "numpy_scipy_seconds": numpy_seconds,
              "max_abs_difference": worst}
    if args.postgres:
        result["postgres_seconds"] = _postgres_seconds(args, tmp, ref, cur)
    return result


def _postgres_seconds(args: argparse.Namespace, tmp: Path, ref: Any, cur: Any) -> float:
    import psycopg2
    import pyarrow.parquet as pq

    from featureops.rawload import load_into_postgres
    from tests.services import postgres_dsn  # the example profile's postgres target

    dsn = postgres_dsn()
    schema = f"featureops_bench_monitoring_{os.getpid()}"
    staging = tmp / "pg"
    staging.mkdir()
    pq.write_table(ref, staging / "bench_reference.parquet")
    pq.write_table(cur, staging / "bench_current.parquet")
    load_into_postgres(staging, dsn, schema=schema, progress=False)
    sql = _compiled_sql(tmp / "pg_compile", {"FEATUREOPS_TARGET": "postgres",
                                             "FEATUREOPS_PG_SCHEMA": schema},
                        f"{schema}.bench_reference", f"{schema}.bench_current")
    conn = psycopg2.connect(**dsn)
    try:
        with conn.cursor() as cursor:
            cursor.execute("set enable_nestloop = off; set jit = off")  # as the models do

            def run() -> None:
                cursor.execute(sql)
                cursor.fetchall()
            seconds, _ = _best(run, args.repeats)
            cursor.execute(f"drop schema {schema} cascade")
        conn.commit()
    finally:
        conn.close()
    return seconds


def bench_build(args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    from featureops.datagen import generate

    raw = tmp / "raw"
    generate(raw, n_transactions=50_000, seed=42, progress=False)
    timings: dict[str, float] = {}
    for label, selection in (("without_monitoring", ["--exclude", "package:featureops"]),
                             ("with_monitoring", [])):
        best = float("inf")
        for attempt in range(args.repeats):
            work = tmp / f"{label}_{attempt}"
            env = {"FEATUREOPS_TARGET": "dev",
                   "FEATUREOPS_DUCKDB_PATH": str(work / "warehouse.duckdb")}
            start = time.perf_counter()
            run_dbt(["build", *selection, "--target-path", str(tmp / f"target_{label}"),
                     "--log-path", str(work / "logs"), "--vars",
                     f"{{featureops_raw_dir: '{raw}'}}"], REPO, env=env)
            best = min(best, time.perf_counter() - start)
        timings[label] = best
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--series", type=int, default=20)
    parser.add_argument("--reference", type=int, default=100_000)
    parser.add_argument("--current", type=int, default=50_000)
    parser.add_argument("--buckets", type=int, default=8)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument("--no-build", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-monitoring-") as directory:
        tmp = Path(directory)
        statistics = bench_statistics(args, tmp)
        print(f"# {date.today()} {platform.node()} {os.cpu_count()} cores, "
              f"python {platform.python_version()}")
        print(f"statistics: {statistics['values']:,} values, {statistics['comparisons']} "
              f"comparisons: DuckDB SQL {statistics['duckdb_seconds']:.2f} s, NumPy/SciPy "
              f"{statistics['numpy_scipy_seconds']:.2f} s (ratio "
              f"{statistics['numpy_scipy_seconds'] / statistics['duckdb_seconds']:.1f}x), "
              f"max |difference| {statistics['max_abs_difference']:.1e}")
        if "postgres_seconds" in statistics:
            ratio = statistics["numpy_scipy_seconds"] / statistics["postgres_seconds"]
            print(f"            Postgres SQL {statistics['postgres_seconds']:.2f} s (ratio to "
                  f"NumPy/SciPy {ratio:.1f}x)")
        if not args.no_build:
            build = bench_build(args, tmp)
            print(f"demo dbt build: {build['without_monitoring']:.1f} s without the monitoring "
                  f"models, {build['with_monitoring']:.1f} s with them (x"
                  f"{build['with_monitoring'] / build['without_monitoring']:.2f})")
        print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")


if __name__ == "__main__":
    main()
