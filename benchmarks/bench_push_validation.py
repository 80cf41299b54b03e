"""Throughput of write-time contract validation (featureops push), against the jsonschema
library validating the same records with the exported JSON Schema, on the example
project's real feature views.

    .venv/bin/python benchmarks/bench_push_validation.py [--manifest target/manifest.json]
                     [--records 100000] [--repeats 5]

Without --manifest, the example project is parsed by dbt into a temporary directory.
Records are generated from each view's contract (deterministic seed): valid values, and
one record in ten broken in one field (wrong type, out of range, unknown value, missing
key). Both validators collect every problem of a record (featureops needs the reasons for
the dead-letter file; jsonschema's iter_errors does the same). The end-to-end figure adds
the Arrow conversion, dead-lettering and the write into a SQLite online store, against
the write alone (push_records) of the valid records.
"""

from __future__ import annotations

import argparse
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

VIEWS = ("feat_user__spend_windows", "feat_merchant__profile")


def parse_project(directory: Path) -> Path:
    target = directory / "target"
    subprocess.run([str(Path(sys.executable).with_name("dbt")), "parse", "--project-dir",
                    str(REPO), "--profiles-dir", str(REPO), "--target-path", str(target),
                    "--log-path", str(directory / "logs"), "--vars",
                    "{featureops_raw_dir: unused}"], check=True, capture_output=True,
                   env={"FEATUREOPS_DUCKDB_PATH": str(directory / "parse.duckdb"),
                        "PATH": "/usr/bin:/bin", "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"})
    return target / "manifest.json"


def make_records(rules: Any, count: int, seed: int) -> list[dict[str, Any]]:
    """Valid records from the contract and tests, one in ten broken in one field."""
    rng = random.Random(seed)
    start = datetime(2026, 10, 1)
    records = []
    for index in range(count):
        record = {column.name: _value(column, rng, start, index) for column in rules.columns}
        if index % 10 == 9:
            _break(record, rules, rng)
        records.append(record)
    return records


def _value(column: Any, rng: random.Random, start: datetime, index: int) -> Any:
    sql_type = column.sql_type
    if column.accepted:
        return rng.choice(column.accepted[0].values)
    if sql_type.array:
        return [rng.uniform(-1, 1) for _ in range(sql_type.array[0] or 8)]
    base = sql_type.base
    if base in ("bigint", "integer", "smallint"):
        return index if column.required else rng.randint(0, 500)
    if base in ("double", "real"):
        low = next((r.minimum for r in column.ranges if r.minimum is not None), -1.0)
        high = next((r.maximum for r in column.ranges if r.maximum is not None), low + 5000)
        return rng.uniform(max(low, -1.0), min(high, 1.0) if high <= 1 else high)
    if base == "boolean":
        return rng.random() < 0.5
    if base == "timestamp":
        return (start + timedelta(seconds=index * 37)).isoformat()
    return rng.choice(["US", "FR", "DE", "GB", "JP"])


def _break(record: dict[str, Any], rules: Any, rng: random.Random) -> None:
    kind = rng.choice(["type", "range", "values", "missing"])
    columns = list(rules.columns)
    if kind == "range":
        ranged = [c for c in columns if c.ranges and c.ranges[0].minimum is not None]
        if ranged:
            record[ranged[0].name] = ranged[0].ranges[0].minimum - 10
            return
    if kind == "values":
        valued = [c for c in columns if c.accepted]
        if valued:
            record[valued[0].name] = "not-a-value"
            return
    if kind == "missing":
        record.pop(columns[0].name)
        return
    record[columns[0].name] = "not-a-number"


def best_rate(action: Any, count: int, repeats: int) -> tuple[float, float]:
    """(records/s of the best run, median seconds per run)."""
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return count / min(times), statistics.median(times)


def bench_view(manifest: Any, project: Any, name: str, count: int, repeats: int,
               scratch: Path) -> dict[str, Any]:
    import jsonschema

    from featureops.catalog import FeatureCatalog
    from featureops.contracts.jsonschema_export import json_schema
    from featureops.contracts.push import ContractPush, Incoming
    from featureops.contracts.rules import model_rules
    from featureops.contracts.validation import RecordValidator
    from featureops.online.config import parse_store_config
    from featureops.online.push import push_records
    from featureops.online.sqlite import SqliteOnlineStore

    node = manifest.find_model(name)
    rules = model_rules(manifest, node)
    records = make_records(rules, count, seed=42)
    ours = RecordValidator(rules)
    theirs = jsonschema.Draft202012Validator(json_schema(manifest, node))
    verdicts = [ours.validate(r).accepted for r in records]
    assert verdicts == [theirs.is_valid(r) for r in records], "validators disagree"
    ours_rate, _ = best_rate(lambda: [ours.validate(r) for r in records], count, repeats)
    sample = records[: max(count // 10, 1000)]
    theirs_rate, _ = best_rate(lambda: [list(theirs.iter_errors(r)) for r in sample],
                               len(sample), max(repeats // 2, 1))

    view = FeatureCatalog.from_manifest(manifest).view(name)
    runs = iter(range(1_000_000))

    def fresh_store() -> SqliteOnlineStore:
        # Each timed run writes into a new store: a rewrite of equal records is a no-op.
        path = scratch / f"{name}.{next(runs)}.db"
        return SqliteOnlineStore(parse_store_config({"type": "sqlite", "path": str(path)}),
                                 scratch)

    incoming = [Incoming(f"bench:{i}", "", r) for i, r in enumerate(records)]
    table = ours.to_arrow([o.row for o in (ours.validate(r) for r in records) if o.accepted])
    batch = 10_000

    def push_all() -> None:
        store = fresh_store()
        pusher = ContractPush(project, view, dead_letter=scratch / f"{name}.dead.jsonl",
                              writer=lambda p, v, t: push_records(p, v, t, store=store))
        for offset in range(0, len(incoming), batch):
            pusher.push(incoming[offset:offset + batch], producer="bench")
        store.close()

    def write_only() -> None:
        store = fresh_store()
        for offset in range(0, table.num_rows, batch):
            push_records(project, view, table.slice(offset, batch), store=store)
        store.close()

    push_rate, _ = best_rate(push_all, count, max(repeats // 2, 1))
    write_rate, _ = best_rate(write_only, table.num_rows, max(repeats // 2, 1))
    return {"view": name, "columns": len(rules.columns), "records": count,
            "accepted": sum(verdicts), "ours": ours_rate, "jsonschema": theirs_rate,
            "push": push_rate, "write": write_rate}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--manifest", type=Path, default=None)
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()

    from featureops.manifest import load_manifest
    from featureops.project import Project

    with tempfile.TemporaryDirectory(prefix="bench_push_") as tmp:
        scratch = Path(tmp)
        manifest_path = args.manifest or parse_project(scratch)
        manifest = load_manifest(manifest_path)
        project = Project(scratch, manifest_path)
        results = [bench_view(manifest, project, name, args.records, args.repeats, scratch)
                   for name in VIEWS]
    print(f"# {datetime.now():%Y-%m-%d}, {platform.python_implementation()} "
          f"{platform.python_version()}, {args.records:,} records per view")
    print("| view | columns | featureops validate (records/s, us/record) | jsonschema "
          "iter_errors (records/s) | ratio | push end to end (records/s) | write only "
          "(records/s) |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for r in results:
        print(f"| {r['view']} | {r['columns']} | {r['ours']:,.0f} ({1e6 / r['ours']:.1f} us) "
              f"| {r['jsonschema']:,.0f} | {r['ours'] / r['jsonschema']:.1f}x "
              f"| {r['push']:,.0f} | {r['write']:,.0f} |")


if __name__ == "__main__":
    main()
