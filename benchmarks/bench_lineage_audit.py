"""Lineage, impact analysis and the governance audit on a large synthetic manifest
(10,000 models, 50,000 tests, 500 exposures by default), against a naive BFS over the
raw JSON's depends_on lists measured in the same run.

    .venv/bin/python benchmarks/bench_lineage_audit.py [--models 10000] [--tests 50000]
                     [--exposures 500] [--repeats 3] [--keep /tmp/synthetic.json]

Every measurement runs in a fresh Python process, so its wall time includes reading the
manifest (the operation a user waits for) and its peak RSS is its own. featureops' time is
split into phases: load (the foundation's typed reader), graph (building the networkx
graph), operation, render (JSON). The baselines read the file with `json.load` and walk
`depends_on.nodes` without any index: upstream by following the lists, downstream by
rescanning every node's list once per BFS level, which is what code without a child map
does. The audit baseline answers the audit's graph question (which feature views have a
downstream exposure) with one such BFS per view.
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import subprocess
import sys
import tempfile
import time
from collections import deque
from collections.abc import Callable, Iterable
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

OPERATIONS = ("lineage", "impact", "audit")


# --- workers (run in a child process) ----------------------------------------------------------


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def featureops_worker(operation: str, path: str, node: str) -> dict[str, Any]:
    from featureops.lineage.graph import LineageGraph
    from featureops.lineage.loading import gc_paused
    from featureops.manifest import load_manifest

    phases: dict[str, float] = {}
    start = time.perf_counter()
    with gc_paused():  # as the CLI does (featureops.lineage.loading)
        manifest = load_manifest(path)
        phases["load"] = time.perf_counter() - start
        mark = time.perf_counter()
        lineage = LineageGraph.from_manifest(manifest)
        phases["graph"] = time.perf_counter() - mark
    mark = time.perf_counter()
    if operation == "lineage":
        from featureops.lineage.render_json import render_json
        from featureops.lineage.render_model import node_graph

        selection = lineage.select(lineage.resolve(node))
        phases["operation"] = time.perf_counter() - mark
        mark = time.perf_counter()
        text = render_json(node_graph(lineage, selection, "bench"))
        size = len(selection.nodes)
    elif operation == "impact":
        from featureops.lineage.impact import impact

        report = impact(lineage, lineage.resolve(node))
        phases["operation"] = time.perf_counter() - mark
        mark = time.perf_counter()
        text = json.dumps(report.to_dict())
        size = report.total
    else:
        from featureops.audit.formats import render_json as render_audit
        from featureops.audit.runner import run_audit

        report = run_audit(manifest, today=date(2026, 11, 27), lineage=lineage)
        phases["operation"] = time.perf_counter() - mark
        mark = time.perf_counter()
        text = render_audit(report)
        size = len(report.findings)
    phases["render"] = time.perf_counter() - mark
    return {"seconds": time.perf_counter() - start, "phases": phases, "result": size,
            "bytes": len(text), "peak_mb": _peak_mb()}


def _naive_downstream(everything: dict[str, Any], start: str) -> set[str]:
    """Downstream without a child index: rescan every node's depends_on per BFS level."""
    reached: set[str] = set()
    frontier = {start}
    while frontier:
        frontier = {uid for uid, node in everything.items() if uid not in reached
                    and not frontier.isdisjoint(node.get("depends_on", {}).get("nodes", ()))}
        reached |= frontier
    return reached


def _walk(neighbours: Callable[[str], Iterable[str]], start: str) -> set[str]:
    """Every node reachable from ``start`` (itself excluded), breadth first."""
    seen = {start}
    queue = deque([start])
    while queue:
        for neighbour in neighbours(queue.popleft()):
            if neighbour not in seen:
                seen.add(neighbour)
                queue.append(neighbour)
    return seen - {start}


def _children_index(everything: dict[str, Any]) -> dict[str, list[str]]:
    children: dict[str, list[str]] = {}
    for uid, item in everything.items():
        for parent in item.get("depends_on", {}).get("nodes", ()):
            children.setdefault(parent, []).append(uid)
    return children


def naive_worker(operation: str, path: str, node: str) -> dict[str, Any]:
    start = time.perf_counter()
    with open(path, "rb") as handle:
        data = json.load(handle)
    loaded = time.perf_counter()
    everything = {**data["nodes"], **data["sources"], **data["exposures"]}
    if operation == "lineage":
        upstream = _walk(lambda u: everything.get(u, {}).get("depends_on", {}).get("nodes", ()),
                         node)
        size = len(upstream | _naive_downstream(everything, node))
    elif operation == "impact":
        reached = _naive_downstream(everything, node)
        groups: dict[str, list[str]] = {}
        for uid in reached:
            groups.setdefault(uid.split(".")[0], []).append(uid)
        size = len(reached)
    else:  # the audit's graph question: does each feature view reach an exposure?
        children = _children_index(everything)
        views = [uid for uid, item in data["nodes"].items()
                 if ((item.get("config") or {}).get("meta") or {}).get("featureops", {})
                 .get("kind") == "feature_view"]
        size = sum(not any(u.startswith("exposure.") for u in _walk(
            lambda u: children.get(u, ()), view)) for view in views)
    end = time.perf_counter()
    return {"seconds": end - start, "phases": {"load": loaded - start, "operation": end - loaded},
            "result": size, "bytes": 0, "peak_mb": _peak_mb()}


# --- the driver --------------------------------------------------------------------------------


def measure(kind: str, operation: str, path: Path, node: str) -> dict[str, Any]:
    completed = subprocess.run(
        [sys.executable, __file__, "--worker", kind, operation, str(path), node],
        capture_output=True, text=True, check=True)
    return json.loads(completed.stdout.strip().splitlines()[-1])


def pick_nodes(data: dict[str, Any]) -> dict[str, str]:
    """A mid-depth model for lineage; the source reaching the most nodes for impact."""
    children = _children_index({**data["nodes"], **data["sources"], **data["exposures"]})

    def reach(uid: str) -> int:
        return len(_walk(lambda u: children.get(u, ()), uid))

    models = sorted(u for u in data["nodes"] if u.startswith("model."))
    middle = [u for u in models if u.split(".")[-1].startswith("m06_")] or models
    widest = max(sorted(data["sources"])[:40], key=reach)
    return {"lineage": middle[0], "impact": widest, "audit": ""}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", type=int, default=10_000)
    parser.add_argument("--tests", type=int, default=50_000)
    parser.add_argument("--exposures", type=int, default=500)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--keep", type=Path, default=None,
                        help="Write (or reuse) the synthetic manifest at this path.")
    parser.add_argument("--worker", nargs=4, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        kind, operation, path, node = args.worker
        worker = featureops_worker if kind == "featureops" else naive_worker
        print(json.dumps(worker(operation, path, node)))
        return

    from featureops.testing import synthetic_manifest

    with tempfile.TemporaryDirectory() as tmp:
        path = args.keep or Path(tmp) / "manifest.json"
        started = time.perf_counter()
        if not path.exists():
            data = synthetic_manifest(models=args.models, tests=args.tests,
                                      exposures=args.exposures)
            path.write_text(json.dumps(data))
        else:
            data = json.loads(path.read_text())
        generated = time.perf_counter() - started
        nodes = pick_nodes(data)
        views = sum(1 for n in data["nodes"].values()
                    if ((n.get("config") or {}).get("meta") or {}).get("featureops"))
        print(f"synthetic manifest: {args.models:,} models, {args.tests:,} tests, "
              f"{args.exposures} exposures, {len(data['sources'])} sources, {views} feature "
              f"views; {path.stat().st_size / 1e6:.0f} MB, written in {generated:.1f} s")
        del data
        print(f"machine: {platform.platform()}, Python {platform.python_version()}, "
              f"{datetime.now(timezone.utc):%Y-%m-%d}")
        print("| operation | featureops s | load / graph / op / render s | peak MB | naive s "
              "| naive load / op s | peak MB | end-to-end naive/featureops "
              "| after loading naive op / featureops graph+op+render |")
        print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
        for operation in OPERATIONS:
            ours = [measure("featureops", operation, path, nodes[operation])
                    for _ in range(args.repeats)]
            base = [measure("naive", operation, path, nodes[operation])
                    for _ in range(args.repeats)]
            mine, theirs = _median(ours), _median(base)
            after_load = mine["seconds"] - mine["phases"]["load"]
            print(f"| {operation} | {mine['seconds']:.2f} | "
                  + " / ".join(f"{mine['phases'][k]:.2f}"
                               for k in ("load", "graph", "operation", "render"))
                  + f" | {max(r['peak_mb'] for r in ours):.0f} | {theirs['seconds']:.2f} | "
                  f"{theirs['phases']['load']:.2f} / {theirs['phases']['operation']:.2f} | "
                  f"{max(r['peak_mb'] for r in base):.0f} | "
                  f"{theirs['seconds'] / mine['seconds']:.2f} | "
                  f"{theirs['phases']['operation'] / after_load:.2f} |")
        print(f"(median of {args.repeats} runs, each in a fresh process; lineage of "
              f"{nodes['lineage']}, impact of {nodes['impact']})")


def _median(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The run with the median wall time (its phases are consistent with it)."""
    return sorted(runs, key=lambda r: r["seconds"])[len(runs) // 2]


if __name__ == "__main__":
    main()
