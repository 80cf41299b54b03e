"""Reading a large manifest: ``load_manifest`` on eight renamed copies of the across-postgres
manifest's nodes (~15 MB, parent/child maps dropped so they are rebuilt from depends_on),
against ``json.loads`` of the same bytes measured in the same run (the floor: every reader
parses the JSON first).

    .venv/bin/python benchmarks/bench_manifest_load.py [--copies 8] [--repeats 7]

Each repeat reads the file from disk; the best and the median of the repeats are reported.
This replaces the timed unit test that asserted "under a second" (tests assert behaviour:
tests/unit/test_manifest.py::test_a_15mb_manifest_loads_whole).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

SOURCE = REPO / "tests" / "resources" / "real_manifests" / "across-postgres" / "manifest.json"


def timed(action: Callable[[], object], repeats: int) -> list[float]:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=8)
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()

    from featureops.manifest import load_manifest
    from featureops.testing.manifests import enlarged_manifest

    data = enlarged_manifest(json.loads(SOURCE.read_bytes()), args.copies)
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "manifest.json"
        path.write_text(json.dumps(data))
        size = path.stat().st_size
        manifest = load_manifest(path)  # warm the page cache and imports once
        assert len(manifest.nodes) == len(data["nodes"])
        ours = timed(lambda: load_manifest(path), args.repeats)
        floor = timed(lambda: json.loads(path.read_bytes()), args.repeats)
    load = os.getloadavg()[0]
    print(f"{date.today()} {platform.node()} Python {platform.python_version()}, "
          f"{os.cpu_count()} cores, load average {load:.1f}")
    print(f"manifest: {size:,} bytes, {len(data['nodes']):,} nodes, maps rebuilt")
    print("| reader | best | median | vs json.loads (best) |")
    print("| --- | ---: | ---: | ---: |")
    for name, times in (("load_manifest", ours), ("json.loads", floor)):
        print(f"| {name} | {min(times):.3f} s | {statistics.median(times):.3f} s | "
              f"{min(times) / min(floor):.1f}x |")


if __name__ == "__main__":
    main()
