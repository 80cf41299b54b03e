"""Shared set-up of the online benchmarks: a synthetic feature view (N entities x 10
features) in a DuckDB warehouse and as Parquet (for Feast), a one-view manifest, and a
private redis-server on a spare port (never the shared 6379 instance)."""

from __future__ import annotations

import json
import platform
import shutil
import socket
import subprocess
import time
from datetime import datetime, timezone
from pathlib import Path

VIEW = "feat_bench__users"
FEATURES = [f"count_{i}" for i in range(5)] + [f"amount_{i}" for i in range(5)]
END = datetime(2026, 11, 1, tzinfo=timezone.utc)
TEMPLATE = Path(__file__).resolve().parents[1] / "tests/resources/manifests/minimal_v12.json"


def make_warehouse(directory: Path, entities: int, rows_per_entity: int = 1) -> Path:
    """DuckDB file with VIEW: rows_per_entity rows per user in October 2026."""
    import duckdb

    path = directory / "bench.duckdb"
    path.unlink(missing_ok=True)
    counts = ", ".join(f"(hash(r * {i + 3}) % 1000)::bigint as count_{i}" for i in range(5))
    amounts = ", ".join(f"(hash(r * {i + 11}) % 100000) / 100.0 as amount_{i}" for i in range(5))
    with duckdb.connect(str(path), config={"autoinstall_known_extensions": False}) as conn:
        conn.execute(
            f"create table {VIEW} as select r % {entities} as user_id, "
            f"timestamp '2026-10-01' + to_seconds(r // {entities} * 86400 + r % 86000) "
            f"as event_at, {counts}, {amounts} "
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
        "ttl": "60d", "online": True}}
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
        raise RuntimeError("redis-server did not start")

    def flush(self) -> None:
        import redis

        redis.Redis(port=self.port).flushall()

    def stop(self) -> None:
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


if __name__ == "__main__":
    import sys

    make_warehouse(Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]))
