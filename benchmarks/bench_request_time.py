"""Request-time features through the Python SDK (in process, no HTTP): the fraud exposure
for one entity with its request fields (feat_transaction__context computed from them, the
home country chained from the store) against the same request without them (the view
skipped: what the exposure served before request-time views), alternated round by round;
the view computed by the compiled evaluator and, in a second client forced onto it, by
DuckDB; plus each executor alone (one request row).

    .venv/bin/python benchmarks/bench_request_time.py [--rounds 5] [--requests 1000] \
        [--work DIR]

The example project is built (raw data at the test scale, `dbt build`) into ``--work`` (a
temporary directory by default; an existing build there is reused) and its online views
are materialized to SQLite. Before timing, the served request-time values of a sample of
transactions must equal the dbt-built rows, or the run fails.
"""

from __future__ import annotations

import argparse
import math
import os
import shutil
import statistics
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.alternation import alternate, describe_ratios, round_ratios  # noqa: E402
from benchmarks.bench_online_common import machine, percentiles  # noqa: E402
from benchmarks.bench_online_reads import timed  # noqa: E402

FIELDS = ("transaction_id", "user_id", "event_at", "amount", "currency_code", "channel",
          "device_type", "transaction_country_code")
VIEW = "feat_transaction__context"


def build(work: Path):
    from featureops.datagen import generate
    from tests.conftest import TEST_SEED, TEST_TRANSACTIONS, BuiltProject, copy_project

    raw, warehouse = work / "raw", work / "warehouse.duckdb"
    built = BuiltProject(project_dir=work / "project", raw_dir=raw, target_dir=work / "target",
                         duckdb_path=warehouse,
                         env={"FEATUREOPS_TARGET": "dev",
                              "FEATUREOPS_DUCKDB_PATH": str(warehouse)},
                         vars_arg=f"{{featureops_raw_dir: '{raw}'}}")
    if not (warehouse.exists() and built.manifest_path.exists()):
        if not raw.exists():
            generate(raw, n_transactions=TEST_TRANSACTIONS, seed=TEST_SEED, progress=False)
        shutil.rmtree(built.project_dir, ignore_errors=True)
        copy_project(built.project_dir)
        built.dbt("build")
    return built


def sample_requests(built, count: int) -> list[dict]:
    import duckdb

    with duckdb.connect(str(built.duckdb_path), read_only=True) as conn:
        cursor = conn.execute(f"""
            select requests.*, context.* exclude (transaction_id, event_at),
                spend.merchant_id
            from int_transactions__requests as requests
            inner join {VIEW} as context using (transaction_id)
            inner join stg_payments__transactions as spend using (transaction_id)
            order by hash(transaction_id) limit {count}""")
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def request_of(row: dict, with_fields: bool) -> dict:
    keys = {"user_id": [row["user_id"]], "merchant_id": [row["merchant_id"]]}
    if not with_fields:
        return keys
    fields = {name: [row[name]] for name in FIELDS}
    fields["event_at"] = [row["event_at"].isoformat() + "Z"]
    return {**keys, **fields}


def check(client, rows: list[dict], end) -> None:
    """Every sampled transaction's served values equal the dbt-built row."""
    for row in rows:
        answer = client.get_online_features(exposure="fraud_detection_model",
                                            entities=request_of(row, True), as_of=end)
        for ref, value in answer.row(0).items():
            view, _, name = ref.partition(":")
            if view != VIEW:
                continue
            truth = row[name]
            same = (math.isclose(value.value, truth, abs_tol=1e-12)
                    if isinstance(truth, float) else value.value == truth)
            if not same or value.status != "present":
                raise SystemExit(f"served {ref}={value} for transaction "
                                 f"{row['transaction_id']}, dbt built {truth!r}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--requests", type=int, default=1000, help="per kind per round")
    parser.add_argument("--work", type=Path, help="build directory (kept; reused if built)")
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="featureops-bench-rt-"))
    work.mkdir(parents=True, exist_ok=True)
    built = build(work)
    os.environ["FEATUREOPS_DUCKDB_PATH"] = str(built.duckdb_path)

    from featureops.online import materialize
    from featureops.online.sdk import OnlineFeatureClient
    from featureops.project import Project
    from tests.integration.online_support import END, sqlite_store

    project = Project.locate(built.project_dir, built.manifest_path)
    store_path = work / "online.db"
    store = sqlite_store(store_path)
    if not (work / "online.done").exists():
        materialize(project, end_time=END, store=store, progress=False)
        (work / "online.done").touch()
    client = OnlineFeatureClient(project, store=store)
    rows = sample_requests(built, 500)
    check(client, rows, END)
    executor = client._executors[VIEW]  # made by check()'s first request
    if executor.engine != "compiled":
        raise SystemExit(f"{VIEW} runs on DuckDB: {executor.reason}")
    print(f"compiled evaluator: guard checked {executor.checked_rows} rows, "
          f"{executor.inexact} floats not bit-for-bit equal")
    on_duckdb = OnlineFeatureClient(project, store=store)
    on_duckdb.get_online_features(exposure="fraud_detection_model",
                                  entities=request_of(rows[0], True), as_of=END)
    duckdb_executor = on_duckdb._executors[VIEW]
    duckdb_executor._compiled = None  # the same view, answered by DuckDB only
    check(on_duckdb, rows, END)
    view = client.catalog.view(VIEW)
    inputs = [{**{name: [row[name]] for name in view.spec.request_time.fields},
               "home_country_code": [row["home_country_code"]]} for row in rows]
    with_fields = [request_of(row, True) for row in rows]
    without = [request_of(row, False) for row in rows]

    def lookup(sdk: OnlineFeatureClient, requests: list[dict]) -> Callable[[int], object]:
        return lambda i: sdk.get_online_features(
            exposure="fraud_detection_model", entities=requests[i % len(requests)], as_of=END)

    runs = {
        "without_request_fields": lambda: timed(lookup(client, without), args.requests),
        "with_request_fields": lambda: timed(lookup(client, with_fields), args.requests),
        "with_fields_on_duckdb": lambda: timed(lookup(on_duckdb, with_fields), args.requests),
        "executor_compiled": lambda: timed(
            lambda i: executor.run_columns(inputs[i % len(inputs)]), args.requests),
        "executor_duckdb": lambda: timed(
            lambda i: duckdb_executor.run_columns(inputs[i % len(inputs)]), args.requests),
    }
    results = alternate(runs, args.rounds)
    print(f"{machine()}; load average {os.getloadavg()[0]:.2f} at the end")
    print(f"{args.rounds} rounds x {args.requests} requests per kind, one entity, SQLite store")
    p99 = {}
    for kind, rounds in results.items():
        stats = [percentiles(samples) for samples in rounds]
        p99[kind] = [s[1] for s in stats]
        print(f"{kind:24s} p50 {statistics.median(s[0] for s in stats):.3f} ms, "
              f"p99 {statistics.median(p99[kind]):.3f} ms (median of rounds)")
    for kind in ("with_request_fields", "with_fields_on_duckdb"):
        added = [a - b for a, b in zip(p99[kind], p99["without_request_fields"], strict=True)]
        print(f"p99 added by the request-time view ({kind}): median "
              f"{statistics.median(added):.3f} ms (rounds "
              f"{', '.join(f'{a:.3f}' for a in added)})")
        print(f"p99 {kind} / without: " + describe_ratios(
            round_ratios(p99[kind], p99["without_request_fields"])))
    on_duckdb.close()
    client.close()


if __name__ == "__main__":
    main()
