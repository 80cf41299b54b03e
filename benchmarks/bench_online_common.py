"""Shared set-up of the online benchmarks: a synthetic feature view (N entities x 10
features) in a DuckDB warehouse and as Parquet (for Feast), a one-view manifest, a
private redis-server on a spare port (never the shared 6379 instance), a work directory
removed at the end (also on Ctrl-C or SIGTERM) unless --keep, and the checks every
benchmark runs before timing: the reads it times must return the generated values with
status ``present`` (a read that silently took another path, e.g. ``outside_ttl``, fails
the run).

The data is relative to the time of the run: rows start 30 days before END (the run's
start, the materialization end), well inside the view's 60-day ttl."""

from __future__ import annotations

import argparse
import json
import platform
import random
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

VIEW = "feat_bench__users"
FEATURES = [f"count_{i}" for i in range(5)] + [f"amount_{i}" for i in range(5)]
REFS = [f"{VIEW}:{name}" for name in FEATURES]
END = datetime.now(timezone.utc).replace(microsecond=0)
START = END - timedelta(days=30)
TTL_DAYS = 60
TEMPLATE = Path(__file__).resolve().parents[1] / "tests/resources/manifests/minimal_v12.json"


def make_warehouse(directory: Path, entities: int, rows_per_entity: int = 1) -> Path:
    """DuckDB file with VIEW: rows_per_entity rows per user, one day apart from START (all
    before END and inside the ttl)."""
    import duckdb

    if not 1 <= rows_per_entity < 30:
        raise SystemExit("--rows-per-entity must be between 1 and 29 (one day each, "
                         "before the run's time)")
    path = directory / "bench.duckdb"
    path.unlink(missing_ok=True)
    counts = ", ".join(f"(hash(r * {i + 3}) % 1000)::bigint as count_{i}" for i in range(5))
    amounts = ", ".join(f"(hash(r * {i + 11}) % 100000) / 100.0 as amount_{i}" for i in range(5))
    with duckdb.connect(str(path), config={"autoinstall_known_extensions": False}) as conn:
        conn.execute(
            f"create table {VIEW} as select r % {entities} as user_id, "
            f"timestamp '{START:%Y-%m-%d %H:%M:%S}' "
            f"+ to_seconds(r // {entities} * 86400 + r % 86000) as event_at, {counts}, {amounts} "
            f"from range({entities * rows_per_entity}) t(r)")
    return path


def export_parquet(warehouse: Path, target: Path) -> Path:
    import duckdb

    with duckdb.connect(str(warehouse), read_only=True) as conn:
        conn.execute(f"copy {VIEW} to '{target}' (format parquet)")
    return target


def make_manifest(directory: Path) -> Path:
    """A one-model manifest: VIEW as an online feature view (user_id, event_at, 10 features)."""
    manifest = json.loads(TEMPLATE.read_text())
    node = manifest["nodes"].pop("model.shop_features.feat_customer__orders")
    column = node["columns"]["event_at"]
    node.update(name=VIEW, alias=VIEW, unique_id=f"model.shop_features.{VIEW}",
                relation_name=f'"bench"."main"."{VIEW}"', database="bench")
    node["config"]["meta"] = {"featureops": {
        "kind": "feature_view", "entities": ["user_id"], "timestamp": "event_at",
        "ttl": f"{TTL_DAYS}d", "online": True}}
    types = {"user_id": "bigint", "event_at": "timestamp",
             **{f: "bigint" if f.startswith("count") else "double" for f in FEATURES}}
    node["columns"] = {name: {**column, "name": name, "data_type": kind}
                       for name, kind in types.items()}
    manifest["nodes"] = {node["unique_id"]: node}
    manifest["exposures"] = {}
    for key in ("parent_map", "child_map", "group_map"):
        manifest[key] = {}
    path = directory / "manifest.json"
    path.write_text(json.dumps(manifest))
    return path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class PrivateRedis:
    def __init__(self) -> None:
        if shutil.which("redis-server") is None:
            raise SystemExit("redis-server is not installed")
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no"], stdout=subprocess.DEVNULL)
        import redis

        for _ in range(100):
            try:
                redis.Redis(port=self.port).ping()
                return
            except redis.ConnectionError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError("redis-server did not start")

    def __enter__(self) -> PrivateRedis:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def flush(self) -> None:
        import redis

        redis.Redis(port=self.port).flushall()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)


def machine() -> str:
    import os

    return (f"{platform.system()} {platform.release()}, {os.cpu_count()} cores, "
            f"Python {platform.python_version()}, {datetime.now():%Y-%m-%d}")


def percentiles(samples: list[float]) -> tuple[float, float]:
    """(p50, p99) in milliseconds."""
    ordered = sorted(samples)
    return (ordered[len(ordered) // 2] * 1000, ordered[int(len(ordered) * 0.99)] * 1000)


def make_warehouse_in_child(directory: Path, entities: int, rows_per_entity: int = 1) -> Path:
    """make_warehouse in a child process, so the caller's peak RSS is its own work only."""
    import sys

    subprocess.run([sys.executable, __file__, str(directory), str(entities),
                    str(rows_per_entity)], check=True)
    return directory / "bench.duckdb"


def add_keep_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--keep", action="store_true",
                        help="keep the work directory (warehouse, stores) for inspection")


def _terminate(signum: int, frame: object) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


@contextmanager
def work_directory(prefix: str, keep: bool = False) -> Iterator[Path]:
    """A temporary directory removed on the way out, also on Ctrl-C and SIGTERM (a 1M-entity
    run leaves ~140 MB), or kept and named with ``keep``."""
    path = Path(tempfile.mkdtemp(prefix=prefix))
    previous = signal.signal(signal.SIGTERM, _terminate)
    try:
        yield path
    finally:
        signal.signal(signal.SIGTERM, previous)
        if keep:
            print(f"# work directory kept: {path}")
        else:
            shutil.rmtree(path, ignore_errors=True)


def sample_users(entities: int, count: int = 50, seed: int = 11) -> list[int]:
    """Users to check: the first, the last and a random sample."""
    rng = random.Random(seed)
    return sorted({0, entities - 1, *(rng.randrange(entities) for _ in range(count))})


def expected_values(warehouse: Path, users: Sequence[int]) -> dict[int, dict[str, Any]]:
    """The newest warehouse row of each user: what every online read must serve."""
    import duckdb

    with duckdb.connect(str(warehouse), read_only=True) as conn:
        rows = conn.execute(
            f"select user_id, {', '.join(FEATURES)} from {VIEW} "
            f"where user_id in ({', '.join(str(int(u)) for u in users)}) "
            "qualify row_number() over (partition by user_id order by event_at desc) = 1"
        ).fetchall()
    found = {row[0]: dict(zip(FEATURES, row[1:], strict=True)) for row in rows}
    if len(found) != len(set(users)):
        raise SystemExit(f"benchmark check: the warehouse lacks users "
                         f"{sorted(set(users) - set(found))[:5]}")
    return found


def assert_served(label: str, users: Sequence[int],
                  served: Sequence[Mapping[str, tuple[Any, str]]],
                  expected: Mapping[int, Mapping[str, Any]]) -> None:
    """Fail the run (one line, non-zero exit) unless every (user, feature) was served with
    status ``present`` and the generated value: timings of another code path (nulls
    outside the ttl, not found) would mislead."""
    for user, row in zip(users, served, strict=True):
        for name, value in expected[user].items():
            got, status = row.get(name, (None, "missing"))
            if status != "present" or got != value:
                raise SystemExit(f"benchmark check failed ({label}): user {user} {name}: "
                                 f"got {got!r} ({status}), expected {value!r} (present)")


def sdk_served(answer: Any) -> list[dict[str, tuple[Any, str]]]:
    """An OnlineFeatures answer as [{feature: (value, status)}] per entity."""
    names = [ref.split(":", 1)[1] for ref in answer.feature_refs]
    return [{name: (v.value, v.status) for name, v in zip(names, row, strict=True)}
            for row in answer.values]


def check_sdk(label: str, client: Any, users: Sequence[int],
              expected: Mapping[int, Mapping[str, Any]]) -> None:
    """Read ``users`` through an OnlineFeatureClient (as the timed reads do) and check them."""
    answer = client.get_online_features(REFS, entities={"user_id": list(users)})
    assert_served(label, users, sdk_served(answer), expected)


def http_served(body: Mapping[str, Any]) -> list[dict[str, tuple[Any, str]]]:
    """A /features JSON answer (Feast's shape) as [{feature: (value, status)}] per entity."""
    names = body["metadata"]["feature_names"]
    columns = dict(zip(names, body["results"], strict=True))
    features = [name for name in names if ":" in name]
    count = len(body["results"][0]["values"])
    return [{name.split(":", 1)[1]: (columns[name]["values"][i], columns[name]["statuses"][i])
             for name in features} for i in range(count)]


if __name__ == "__main__":
    import sys

    make_warehouse(Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]))
