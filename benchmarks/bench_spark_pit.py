"""Point-in-time join on Spark (local[2], in process through PySpark) against DuckDB, on
the same data in the same run: the "large" scenario of bench_training_set.py (a 1M-row
spine over 10M feature rows in 3 views, one with a created timestamp).

    .venv/bin/python benchmarks/bench_spark_pit.py              # 1M spine, 10M view rows
    .venv/bin/python benchmarks/bench_spark_pit.py --scale 10   # a tenth of the rows

Both build the training set through featureops's Python API (plan_training_set, then the
whole set as an Arrow table in the driver): DuckDB from bench_training_set's warehouse
file with its defaults (one view per statement, its memory budget); Spark from the same
rows as Parquet files, read as temporary views, with the spark__point_in_time_join macro
(one sort per view, no join per spine row). Each run is its own child process. Spark's
JVM start (a fixed cost of seconds) is reported apart from the join; its memory is the
JVM's peak resident size (driver heap capped by --driver-memory) plus the Python
process's. Spark's result must equal DuckDB's row for row before anything is reported.
The implementations alternate round by round (benchmarks.alternation).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks import bench_training_set as duckdb_bench  # noqa: E402
from benchmarks.alternation import alternate, describe_ratios, round_ratios  # noqa: E402

SCENARIO = "large"


def run_spark(directory: Path, driver_memory: str) -> dict[str, float]:
    """The training set on Spark local[2]: the views as temporary views over their Parquet
    files, the manifest's relations pointing at them."""
    from featureops.engines.spark_engine import SparkSessionEngine
    from featureops.offline.retrieval import plan_training_set
    from featureops.project import Project

    memory = _PeakMemory()
    started = time.perf_counter()
    engine = SparkSessionEngine({
        "spark.master": "local[2]", "spark.driver.memory": driver_memory,
        "spark.sql.shuffle.partitions": "16",
        "spark.sql.warehouse.dir": str(directory / "spark-warehouse"),
        "spark.hadoop.javax.jdo.option.ConnectionURL":
            f"jdbc:derby:;databaseName={directory / 'metastore_db'};create=true"})
    start_seconds = time.perf_counter() - started
    memory.start()
    project = Project.locate(directory, _spark_manifest(directory))
    views = [model.name for model in project.manifest.models.values()]
    for name in views:
        engine.session.sql(f"create or replace temporary view {name} using parquet "
                           f"options (path '{directory / name}.parquet')")
    started = time.perf_counter()
    with plan_training_set(directory / "spine.parquet", views, project=project,
                           warehouse=engine) as job:
        table = job.to_arrow()
    seconds = time.perf_counter() - started
    result = duckdb_bench.finished(_naive_times(table), seconds, directory, "spark")
    return {**result, "start_seconds": start_seconds, "peak_rss_mb": memory.stop()}


def _spark_manifest(directory: Path) -> Path:
    """bench_training_set's manifest, as if compiled for Spark: relations are the
    temporary views' names."""
    manifest = json.loads((directory / "manifest.json").read_text())
    manifest["metadata"]["adapter_type"] = "spark"
    for node in manifest["nodes"].values():
        if node.get("resource_type") == "model":
            node["relation_name"] = f"`{node['name']}`"
    path = directory / "spark_manifest.json"
    path.write_text(json.dumps(manifest))
    return path


def _naive_times(table):
    """Spark returns instants in UTC; DuckDB's columns are naive UTC timestamps."""
    import pyarrow as pa

    for index, field in enumerate(table.schema):
        if pa.types.is_timestamp(field.type) and field.type.tz is not None:
            table = table.set_column(index, field.name, table.column(index).cast(
                pa.timestamp(field.type.unit)))
    return table


class _PeakMemory:
    """Peak resident memory of this process and its children (the JVM), sampled."""

    def __init__(self) -> None:
        self.peak = 0.0
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> float:
        self._done.set()
        self._thread.join()
        return self.peak

    def _sample(self) -> None:
        import psutil

        me = psutil.Process()
        while not self._done.wait(0.25):
            try:
                processes = [me, *me.children(recursive=True)]
                total = sum(p.memory_info().rss for p in processes)
            except psutil.Error:
                continue
            self.peak = max(self.peak, total / 2**20)


def run_child(kind: str, directory: Path, driver_memory: str) -> dict[str, float]:
    if kind == "duckdb":
        result = duckdb_bench.run_child(sys.executable, "featureops", directory, SCENARIO)
        return {**result, "start_seconds": 0.0}
    completed = subprocess.run(
        [sys.executable, __file__, "--child", str(directory), driver_memory],
        capture_output=True, text=True, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    if completed.returncode != 0:
        raise SystemExit(f"spark run failed:\n{completed.stderr[-3000:]}")
    result = json.loads(completed.stdout.strip().splitlines()[-1])
    _check_equal(directory)
    return result


def _check_equal(directory: Path) -> None:
    import pyarrow.parquet as pq

    expected = directory / "featureops_result.parquet"
    if not expected.exists():
        return  # the first round ran Spark first: checked after DuckDB's run
    wanted = pq.read_table(expected)
    # Values compared; a column's nullability flag may differ (Spark knows "not null").
    produced = pq.read_table(directory / "spark_result.parquet").cast(wanted.schema)
    if not produced.equals(wanted):
        raise SystemExit("Spark's training set differs from DuckDB's")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--scale", type=int, default=1,
                        help="Divide rows and key cardinalities by this (data shape kept).")
    parser.add_argument("--driver-memory", default="4g", help="Spark driver heap.")
    parser.add_argument("--results", type=Path, default=None, help="Write results as JSON.")
    args = parser.parse_args()
    if args.rounds < 1 or args.scale < 1:
        raise SystemExit("--rounds and --scale must be at least 1")
    print(f"{duckdb_bench.machine()}; load average {os.getloadavg()[0]:.2f}", flush=True)
    with tempfile.TemporaryDirectory(prefix="bench_spark_pit_") as tmp:
        directory = Path(tmp)
        started = time.perf_counter()
        duckdb_bench.prepare(SCENARIO, directory, args.scale)
        print(f"data ready in {time.perf_counter() - started:.1f} s", flush=True)
        runners = {"duckdb": lambda: run_child("duckdb", directory, args.driver_memory),
                   "spark": lambda: run_child("spark", directory, args.driver_memory)}
        rounds = alternate(runners, args.rounds)
        _check_equal(directory)
    seconds = {kind: [r["seconds"] for r in results] for kind, results in rounds.items()}
    runs = {kind: {"seconds": statistics.median(seconds[kind]),
                   "all_seconds": [round(s, 2) for s in seconds[kind]],
                   "start_seconds": statistics.median(r["start_seconds"] for r in results),
                   "peak_rss_mb": max(r["peak_rss_mb"] for r in results),
                   "rows": results[0]["rows"]} for kind, results in rounds.items()}
    ratios = round_ratios(seconds["spark"], seconds["duckdb"])
    for kind, run in runs.items():
        print(f"{kind}: median {run['seconds']:.1f} s (rounds {run['all_seconds']}), start "
              f"{run['start_seconds']:.1f} s, peak RSS {run['peak_rss_mb']:.0f} MB, "
              f"{run['rows']:,} rows")
    print(f"spark / duckdb: {describe_ratios(ratios)} (results equal row for row, checked); "
          f"load average after {os.getloadavg()[0]:.2f}")
    if args.results:
        args.results.write_text(json.dumps({"runs": runs, "ratios": ratios,
                                            "scale": args.scale}, indent=2))


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        print(json.dumps(run_spark(Path(sys.argv[2]), sys.argv[3])))
    else:
        main()
