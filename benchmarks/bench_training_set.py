"""Training-set build: featureops's point-in-time join against a naive correct rewrite and
Feast's get_historical_features, on the same data, in the same run.

    .venv/bin/python benchmarks/bench_training_set.py                  # both scenarios
    .venv/bin/python benchmarks/bench_training_set.py --feast-python /tmp/feast-venv/bin/python
    .venv/bin/python benchmarks/bench_training_set.py --small          # smoke run, 1/100 size

Scenarios (deterministic data, generated in DuckDB):
  large:  10M feature rows over 3 views (5M user rows, 3M merchant rows, 2M rows keyed by
          (user, merchant)), one with a created timestamp; a 1M-row spine.
  feast:  1M feature rows in 1 view, a 1M-row spine (the scale the Feast figure is for).

Every measured run is its own child process, so its peak RSS (reported) is its own:
featureops builds the training set as an Arrow table from the spine's Parquet file with its
defaults (on DuckDB one view at a time, within its memory budget; docs/training-sets.md);
featureops_one_query is the default before 2026-12-04 (one query with an ASOF JOIN per
view, DuckDB's own memory limit) and featureops_1gb featureops with --memory-limit 1GB,
both on the large scenario only; the naive baseline is a window-function rewrite (spine
and view rows merged per entity in time order, last_value ... ignore nulls) in DuckDB;
Feast 0.67 (in its own venv, never this one; `pip install 'feast[duckdb]'`) uses its
DuckDB offline store on the same Parquet files.

The implementations alternate round by round (``--rounds``) in rotating order (round r
starts at the r-th implementation: featureops, naive, featureops_1gb,
featureops_one_query, feast), so load that shifts during the run cannot favour one of
them; every ratio is taken within a round, and the per-round ratios and their median are
reported. Before anything is reported, every other featureops variant's and the naive
result of every round must equal featureops's row for row (the whole table), or the run
fails; Feast's agreement (it reorders rows) is reported.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.alternation import alternate, describe_ratios, round_ratios  # noqa: E402

DAY = 86_400
#: name -> (entity columns, rows, entity cardinality, features, ttl days, created timestamp)
VIEWS = {
    "large": {
        "user_stats": (["user_id"], 5_000_000, 200_000, 4, 30, True),
        "merchant_stats": (["merchant_id"], 3_000_000, 20_000, 3, 7, False),
        "user_merchant": (["user_id", "merchant_id"], 2_000_000, 1_000_000, 2, None, False),
    },
    "feast": {
        "user_stats": (["user_id"], 1_000_000, 200_000, 4, 30, False),
    },
}
SPINE_ROWS = 1_000_000
USERS, MERCHANTS, PAIRS = 200_000, 20_000, 1_000_000  # key cardinalities (pairs: user_merchant)


# --- data ----------------------------------------------------------------------------------


def prepare(scenario: str, directory: Path, scale: int = 1) -> None:
    """The warehouse (DuckDB file `bench.duckdb`), a manifest for it, and Parquet copies;
    rows and key cardinalities divided by ``scale``."""
    import duckdb

    from featureops.testing import ManifestBuilder

    directory.mkdir(parents=True, exist_ok=True)
    conn = duckdb.connect(str(directory / "bench.duckdb"))
    builder = ManifestBuilder("bench", database="bench")
    for name, (entities, rows, cardinality, features, ttl, created) in VIEWS[scenario].items():
        sql = _view_sql(name, entities, rows // scale, cardinality // scale, features, created,
                        scale)
        conn.execute(f"create or replace table {name} as {sql}")
        block = {"ttl": f"{ttl}d" if ttl else None}
        if created:
            block["created_timestamp"] = "created_at"
        columns = {key: "bigint" for key in entities} | {"event_at": "timestamp"}
        if created:
            columns["created_at"] = "timestamp"
        columns |= {f"{name}_f{i}": "double" for i in range(features)}
        builder.feature_view(name, entities=entities, block=block, columns=columns, tests=False)
        conn.execute(f"copy {name} to '{directory / name}.parquet' (format parquet)")
    conn.execute(f"""
        create or replace table spine as
        select
            pair % {USERS // scale} as user_id,
            pair % {MERCHANTS // scale} as merchant_id,
            timestamp '2026-08-01' + to_seconds((hash(i, 'ts') % ({90 * DAY}))::bigint)
                as event_timestamp,
            hash(i, 'label') % 50 = 0 as label
        from (select i, hash(i, 'pair') % {PAIRS * 6 // 5 // scale} as pair
              from range({SPINE_ROWS // scale}) t(i))
    """)
    conn.execute(f"copy spine to '{directory}/spine.parquet' (format parquet)")
    conn.close()
    (directory / "manifest.json").write_text(json.dumps(builder.build()))


def _view_sql(name: str, entities: list[str], rows: int, cardinality: int, features: int,
              created: bool, scale: int = 1) -> str:
    """Rows spread over 90 days; per entity, timestamps strictly increase (a view's grain).
    A created timestamp, when there is one, is half a step after the event time."""
    step = 90 * DAY // max(rows // cardinality, 1)
    offset = f"(i // {cardinality}) * {step}"
    if entities == ["user_id", "merchant_id"]:
        pairs = f"(i % {PAIRS // scale})"
        keys = (f"{pairs} % {USERS // scale} as user_id, "
                f"{pairs} % {MERCHANTS // scale} as merchant_id")
    else:
        keys = f"i % {cardinality} as {entities[0]}"
    created_sql = (f"timestamp '2026-08-01' + to_seconds({offset} + {step // 2}) as created_at,"
                   if created else "")
    values = ", ".join(f"(hash(i, {k}) % 1000000) / 1000.0 as {name}_f{k}"
                       for k in range(features))
    return f"""
        select {keys},
            timestamp '2026-08-01' + to_seconds({offset} + hash(i, 'jitter') % {step // 2})
                as event_at,
            {created_sql}
            {values}
        from range({rows}) t(i)
    """


# --- measured runs (each in a child process) --------------------------------------------------


def run_featureops(directory: Path, kind: str = "featureops") -> dict[str, float]:
    """featureops's default; featureops_1gb: with --memory-limit 1GB; featureops_one_query:
    the default before 2026-12-04 (one query with an ASOF JOIN per view, DuckDB's own
    memory limit, 80% of the machine), kept as the baseline the default must beat."""
    import featureops.offline.retrieval as retrieval
    from featureops.offline.retrieval import plan_training_set
    from featureops.project import Project

    memory_limit = {"featureops_1gb": "1GB", "featureops_one_query": "80%"}.get(kind)
    if kind == "featureops_one_query":  # no engine is a _NotStaged: the plan stays one query
        retrieval.DuckDBEngine = _NotStaged  # type: ignore[assignment,misc]
    project = Project.locate(directory, directory / "manifest.json")
    views = list(project.manifest.models.values())
    started = time.perf_counter()
    with plan_training_set(directory / "spine.parquet", [v.name for v in views],
                           project=project, warehouse=directory / "bench.duckdb",
                           memory_limit=memory_limit) as job:
        table = job.to_arrow()
    return finished(table, time.perf_counter() - started, directory, kind)


class _NotStaged:
    """Stands for DuckDBEngine in featureops_one_query runs (featureops.offline.staged)."""


def finished(table, seconds: float, directory: Path, kind: str) -> dict[str, float]:
    """A run's figures (peak RSS taken before its result is saved for the parent's checks)."""
    import pyarrow.parquet as pq

    result = {"seconds": seconds, "rows": table.num_rows, "peak_rss_mb": peak_rss_mb()}
    pq.write_table(table, directory / f"{kind}_result.parquet")
    return result


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_naive(directory: Path, scenario: str) -> dict[str, float]:
    """Per view: spine and view rows in one stream per entity, in time order; the latest
    view row's features carried forward with last_value(... ignore nulls)."""
    import duckdb

    conn = duckdb.connect(str(directory / "bench.duckdb"), read_only=True)
    started = time.perf_counter()
    conn.execute("create temp table s as select *, row_number() over () - 1 as spine_row "
                 "from read_parquet(?)", [str(directory / "spine.parquet")])
    selects, joins = [], []
    for number, (name, (entities, _, _, features, ttl, created)) in enumerate(
            VIEWS[scenario].items()):
        keys = ", ".join(entities)
        names = [f"{name}_f{i}" for i in range(features)]
        carried = ", ".join(
            f"last_value({c} ignore nulls) over w as {c}" for c in [*names, "feature_at"])
        order = "ts, side" + (", created_at" if created else "")
        conn.execute(f"""
            create temp table m{number} as
            select spine_row, {carried}, ts from (
                select {keys}, event_at as ts, 0 as side,
                    {"created_at," if created else ""} {", ".join(names)},
                    event_at as feature_at, null::bigint as spine_row
                from {name}
                union all
                select {keys}, event_timestamp, 1,
                    {"null::timestamp," if created else ""}
                    {", ".join("null::double" for _ in names)}, null::timestamp, spine_row
                from s
            ) window w as (partition by {keys} order by {order}
                           rows between unbounded preceding and current row)
            qualify spine_row is not null
        """)
        limit = f"m{number}.ts - m{number}.feature_at <= interval {ttl} day" if ttl else "true"
        selects += [f"case when {limit} then m{number}.{c} end as {c}" for c in names]
        joins.append(f"left join m{number} using (spine_row)")
    table = conn.sql(f"select s.user_id, s.merchant_id, s.event_timestamp, s.label, "
                     f"{', '.join(selects)} from s {' '.join(joins)} "
                     "order by s.spine_row").to_arrow_table()
    return finished(table, time.perf_counter() - started, directory, "naive")


FEAST_REPO = """
from datetime import timedelta
from feast import Entity, FeatureView, Field, FileSource
from feast.types import Float64
user = Entity(name="user", join_keys=["user_id"])
view = FeatureView(
    name="user_stats", entities=[user], ttl=timedelta(days=30), online=False,
    schema=[Field(name=f"user_stats_f{{i}}", dtype=Float64) for i in range(4)],
    source=FileSource(path={parquet!r}, timestamp_field="event_at"))
"""


def run_feast(directory: Path) -> dict[str, float]:
    """Inside the Feast venv: Feast's DuckDB offline store on the Parquet copies."""
    import pandas as pd
    from feast import FeatureStore

    repo = directory / "feast_repo"
    repo.mkdir(exist_ok=True)
    (repo / "feature_store.yaml").write_text(
        "project: bench\nregistry: registry.db\nprovider: local\n"
        "offline_store:\n  type: duckdb\nonline_store:\n  type: sqlite\n  path: online.db\n"
        "entity_key_serialization_version: 3\n")
    namespace: dict = {}
    exec(FEAST_REPO.format(parquet=str(directory / "user_stats.parquet")),  # noqa: S102
         namespace)
    store = FeatureStore(repo_path=str(repo))
    store.apply([namespace["user"], namespace["view"]])
    started = time.perf_counter()
    spine = pd.read_parquet(directory / "spine.parquet", columns=["user_id", "event_timestamp",
                                                                 "label"])
    table = store.get_historical_features(
        entity_df=spine, features=[f"user_stats:user_stats_f{i}" for i in range(4)]).to_arrow()
    return finished(table, time.perf_counter() - started, directory, "feast")


def child(argv: list[str]) -> None:
    kind, directory, scenario = argv[0], Path(argv[1]), argv[2]
    result = {"featureops": lambda: run_featureops(directory),
              "featureops_1gb": lambda: run_featureops(directory, kind),
              "featureops_one_query": lambda: run_featureops(directory, kind),
              "naive": lambda: run_naive(directory, scenario),
              "feast": lambda: run_feast(directory)}[kind]()
    print(json.dumps(result))


def run_child(python: str, kind: str, directory: Path, scenario: str) -> dict[str, float]:
    """One measured run in a fresh child process; its result is checked before returning."""
    completed = subprocess.run([python, __file__, "--child", kind, str(directory), scenario],
                               capture_output=True, text=True, cwd=ROOT,
                               env={**os.environ, "PYTHONPATH": str(ROOT)})
    if completed.returncode != 0:
        raise SystemExit(f"{kind} run failed:\n{completed.stderr[-3000:]}")
    result = json.loads(completed.stdout.strip().splitlines()[-1])
    check_result(kind, directory)
    return result


def check_result(kind: str, directory: Path) -> None:
    """featureops's result must have one row per spine row; the others' (Feast's aside)
    must equal the latest featureops result row for row (a run that computed something
    else must not be timed as if it were the same work)."""
    import pyarrow.parquet as pq

    produced = pq.read_table(directory / f"{kind}_result.parquet")
    if kind == "featureops":
        spine = pq.read_metadata(directory / "spine.parquet").num_rows
        if produced.num_rows != spine:
            raise SystemExit(f"featureops returned {produced.num_rows:,} rows for a "
                             f"{spine:,}-row spine")
    elif kind in ("naive", "featureops_1gb", "featureops_one_query"):
        expected = pq.read_table(directory / "featureops_result.parquet")
        if not produced.equals(expected.select(produced.column_names)):
            raise SystemExit(f"{kind}'s training set differs from featureops's")


def feast_agreement(directory: Path) -> float:
    """Share of rows where Feast's features equal featureops's (Feast reorders rows)."""
    import duckdb

    conn = duckdb.connect()
    ours, theirs = directory / "featureops_result.parquet", directory / "feast_result.parquet"
    same = " and ".join(f"a.user_stats_f{i} is not distinct from b.user_stats_f{i}"
                        for i in range(4))
    total, equal = conn.execute(f"""
        with a as (select *, row_number() over (partition by user_id, event_timestamp, label
                                                order by user_stats_f0) as n
                   from '{ours}'),
             b as (select *, row_number() over (partition by user_id, event_timestamp, label
                                                order by user_stats_f0) as n
                   from '{theirs}')
        select count(*), count(*) filter (where {same})
        from a join b using (user_id, event_timestamp, label, n)
    """).fetchone()
    return equal / total if total else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--feast-python", default=None,
                        help="Python of a venv with feast[duckdb] "
                             "(e.g. /tmp/feast-venv/bin/python)")
    parser.add_argument("--scenario", choices=["large", "feast", "both"], default="both")
    parser.add_argument("--rounds", "--repeat", dest="rounds", type=int, default=3,
                        help="Rounds; each runs every implementation once, in rotating order.")
    parser.add_argument("--scale", type=int, default=1,
                        help="Divide rows and key cardinalities by this (data shape kept).")
    parser.add_argument("--small", action="store_true",
                        help="Smoke run: --scale 100 --rounds 2.")
    parser.add_argument("--results", type=Path, default=None, help="Write results as JSON.")
    args = parser.parse_args()
    if args.small:
        args.scale, args.rounds = 100, 2
    if args.rounds < 1 or args.scale < 1:
        raise SystemExit("--rounds and --scale must be at least 1")
    scenarios = ["large", "feast"] if args.scenario == "both" else [args.scenario]
    results: dict[str, dict] = {"machine": machine(), "date": time.strftime("%Y-%m-%d"),
                                "scale": args.scale, "rounds": args.rounds}
    with tempfile.TemporaryDirectory(prefix="bench_training_") as tmp:
        for scenario in scenarios:
            directory = Path(tmp) / scenario
            started = time.perf_counter()
            prepare(scenario, directory, args.scale)
            print(f"[{scenario}] data ready in {time.perf_counter() - started:.1f} s", flush=True)
            runs = compare(scenario, directory, args)
            results[scenario] = runs
            report(scenario, runs)
    if args.results:
        args.results.write_text(json.dumps(results, indent=2))


def compare(scenario: str, directory: Path, args: argparse.Namespace) -> dict[str, dict]:
    """Every implementation once per round, in rotating order; featureops first in round 0
    (the others' results are checked against its)."""
    pythons = {"featureops": sys.executable, "naive": sys.executable}
    if scenario == "large":  # one view: the same plan, whatever the memory
        pythons["featureops_1gb"] = sys.executable
        pythons["featureops_one_query"] = sys.executable
    if args.feast_python and scenario == "feast":
        pythons["feast"] = args.feast_python
    runners = {kind: (lambda k=kind, py=python: run_child(py, k, directory, scenario))
               for kind, python in pythons.items()}
    rounds = alternate(runners, args.rounds)
    seconds = {kind: [r["seconds"] for r in results] for kind, results in rounds.items()}
    runs = {kind: {"seconds": statistics.median(seconds[kind]),
                   "all_seconds": [round(r["seconds"], 2) for r in results],
                   "peak_rss_mb": max(r["peak_rss_mb"] for r in results),
                   "rows": results[0]["rows"]}
            for kind, results in rounds.items()}
    for kind, run in runs.items():
        if kind != "featureops":
            run["ratios"] = round_ratios(seconds[kind], seconds["featureops"])
    if "feast" in runs:
        runs["feast"]["agreement"] = feast_agreement(directory)
    return runs


def report(scenario: str, runs: dict[str, dict]) -> None:
    """Median times; each other implementation's time over featureops's, per round (so
    above 1 means featureops is faster) and the median of those ratios."""
    ours = runs["featureops"]
    print(f"[{scenario}] featureops: median {ours['seconds']:.2f} s (rounds "
          f"{ours['all_seconds']}), peak RSS {ours['peak_rss_mb']:.0f} MB, "
          f"{ours['rows']:,} rows")
    for name, run in runs.items():
        if name == "featureops":
            continue
        extra = f", Feast agreeing on {run['agreement']:.1%} of rows" if "agreement" in run else ""
        checked = " (equal to featureops's, checked)" if name != "feast" else ""
        print(f"[{scenario}] {name}: median {run['seconds']:.2f} s (rounds {run['all_seconds']}), "
              f"time / featureops's: {describe_ratios(run['ratios'])}; peak RSS "
              f"{run['peak_rss_mb']:.0f} MB ({run['peak_rss_mb'] / ours['peak_rss_mb']:.1f}x), "
              f"{run['rows']:,} rows{checked}{extra}")


def machine() -> str:
    return (f"{platform.system()} {platform.release()}, {os.cpu_count()} cores, "
            f"Python {platform.python_version()}")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(sys.argv[2:])
    else:
        main()
