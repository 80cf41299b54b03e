"""`featureops impact`, `lineage` and `audit` end to end on large manifests of several shapes,
against `json.load` of the same file, as ratios measured in the same run (#12 item 6).

    .venv/bin/python benchmarks/bench_manifest_shapes.py [--rounds 3] [--shape issue]
                     [--keep DIR]

The manifests come from benchmarks/manifest_shapes.py (not featureops.testing's generator),
one per shape: the issue's (10,000 models, 5 columns and 5 tests each, 500 exposures), wide
models (40 columns each) and large compiled SQL with 8 tests per model. Each command is a
fresh process, as a user runs it; the baseline is a fresh `python -c` process doing
`json.load` of the file (interpreter start-up included on both sides), and beside it the
same with the garbage collector paused, as the CLI reads (a stricter floor). The commands
alternate round by round, each round starting from a different one, so load that shifts
during the run biases none; each figure is the median over rounds of the ratio to the
json.load of the same round. Before timing, every command must succeed and print what it
is for (a checked run), so a fast failure cannot pass for a fast command.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "benchmarks"))

from manifest_shapes import SHAPES, Shape, write  # noqa: E402

BIN = Path(sys.executable).parent
GOAL = 2.0


def _featureops() -> list[str]:
    script = BIN / "featureops"
    return [str(script)] if script.exists() else [sys.executable, "-m", "featureops"]


def _json_load(manifest: Path, *, paused: bool) -> list[str]:
    code = "import gc, json, sys; " + ("gc.disable(); " if paused else "")
    return [sys.executable, "-c",
            code + "print(len(json.load(open(sys.argv[1], 'rb'))['nodes']))", str(manifest)]


def commands(shape: Shape, manifest: Path, project: Path) -> dict[str, tuple[list[str],
                                                                           Callable[[str], bool]]]:
    """Each command with a check of its output; the node sits early in the graph, so its
    downstream (impact) and neighbourhood (lineage) are thousands of nodes."""
    node = f"m_{shape.sources + 100:05d}"
    where = ["--project-dir", str(project), "--manifest", str(manifest)]

    def counts_nodes(out: str) -> bool:
        return int(out) == shape.models * (1 + shape.tests_per_model)

    return {
        "json.load": (_json_load(manifest, paused=False), counts_nodes),
        # The CLI reads with the garbage collector paused (featureops.lineage.loading),
        # which alone makes json.load faster: a stricter floor, reported beside.
        "json.load, gc paused": (_json_load(manifest, paused=True), counts_nodes),
        "impact": ([*_featureops(), "impact", node, *where],
                   lambda out: "downstream node(s)" in out and "Exposures" in out),
        "lineage": ([*_featureops(), "lineage", node, *where],
                    lambda out: out.startswith(node) and "nodes," in out),
        "audit": ([*_featureops(), "audit", *where],
                  lambda out: out.rstrip().splitlines()[-1].startswith("audit ")),
    }


def run_once(argv: list[str]) -> tuple[float, str]:
    start = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    if done.returncode not in (0, 1):  # audit exits 1 on error findings
        raise SystemExit(f"{' '.join(argv[:3])} failed ({done.returncode}): "
                         f"{done.stderr.strip()[-500:]}")
    return elapsed, done.stdout


def bench_shape(shape: Shape, workdir: Path, rounds: int) -> dict[str, list[float]]:
    manifest = workdir / f"{shape.name}.json"
    size = write(shape, manifest)
    project = workdir / "project"
    project.mkdir(exist_ok=True)
    (project / "dbt_project.yml").write_text("name: shapes\nversion: '1.0'\nprofile: shapes\n")
    cmds = commands(shape, manifest, project)
    for name, (argv, check) in cmds.items():
        _, out = run_once(argv)
        if not check(out):
            raise SystemExit(f"{shape.name}: `{name}` printed something unexpected: "
                             f"{out[:300]!r}")
    names = list(cmds)
    ratios: dict[str, list[float]] = {n: [] for n in names if not n.startswith("json")}
    seconds: dict[str, list[float]] = {n: [] for n in names}
    paused: dict[str, list[float]] = {}
    for r in range(rounds):
        order = names[r % len(names):] + names[:r % len(names)]
        times = {name: run_once(cmds[name][0])[0] for name in order}
        for name in names:
            seconds[name].append(times[name])
            if name in ratios:
                ratios[name].append(times[name] / times["json.load"])
                paused.setdefault(name, []).append(times[name] / times["json.load, gc paused"])
    print(f"\n{shape.name}: {size / 1e6:.0f} MB, {shape.models} models x {shape.columns} "
          f"columns, {shape.models * shape.tests_per_model} tests, {shape.exposures} "
          f"exposures, {shape.code_bytes} B compiled SQL per model")
    print(f"  json.load (fresh process): median {statistics.median(seconds['json.load']):.2f} s;"
          f" with the collector paused {statistics.median(seconds['json.load, gc paused']):.2f} s")
    for name, values in ratios.items():
        ratio = statistics.median(values)
        verdict = "ok" if ratio <= GOAL else f"ABOVE the {GOAL:g}x goal"
        print(f"  {name:8} median {statistics.median(seconds[name]):.2f} s, "
              f"{ratio:.2f}x json.load (rounds: {', '.join(f'{v:.2f}' for v in values)}) "
              f"{verdict}; {statistics.median(paused[name]):.2f}x json.load with the "
              f"collector paused")
    return ratios


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--shape", action="append", choices=[s.name for s in SHAPES],
                        help="Run only this shape (repeatable) [default: all].")
    parser.add_argument("--keep", type=Path, default=None,
                        help="Write the manifests into this directory and keep them.")
    args = parser.parse_args()
    shapes = [s for s in SHAPES if not args.shape or s.name in args.shape]
    print(f"load average before: {os.getloadavg()[0]:.1f}; {args.rounds} alternated rounds")
    workdir = args.keep or Path(tempfile.mkdtemp(prefix="bench_manifest_shapes_"))
    workdir.mkdir(parents=True, exist_ok=True)
    try:
        for shape in shapes:
            bench_shape(shape, workdir, args.rounds)
    finally:
        if args.keep is None:
            shutil.rmtree(workdir, ignore_errors=True)
    print(f"\nload average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
