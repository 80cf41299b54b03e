"""CLI start-up: wall time of `featureops --help` and `featureops list` (a fresh process
each, as a user runs them) against `dbt --version`, `dbt --help` and a bare
`python -c pass`, measured in the same run.

    .venv/bin/python benchmarks/bench_cli_startup.py [--rounds 15]
                     [--project-dir .] [--manifest target/manifest.json]

The commands alternate round by round (each round runs every command once, starting from a
different one), so load that shifts during the run biases no command; figures are the
median and best of the rounds. Start-up is a few hundred milliseconds: take figures only on
a quiet machine (the script prints the load average before and after, and warns when it
was 0.5 or more before the run; the run itself adds about 1, one process at a time).
`list` reads the project's manifest (the example project's by default; build it first).
`dbt --version` asks PyPI for the latest dbt-core and adapter versions, so it includes
network round trips; `dbt --help` is dbt's start-up alone, the fairer floor.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
QUIET_LOAD = 0.5


def commands(project_dir: Path, manifest: Path) -> dict[str, list[str]]:
    featureops = [str(BIN / "featureops")] if (BIN / "featureops").exists() else [
        sys.executable, "-m", "featureops"]
    return {
        "featureops --help": [*featureops, "--help"],
        "featureops list": [*featureops, "list", "--project-dir", str(project_dir),
                            "--manifest", str(manifest)],
        "dbt --version": [str(BIN / "dbt"), "--version"],
        "dbt --help": [str(BIN / "dbt"), "--help"],
        "python -c pass": [sys.executable, "-c", "pass"],
    }


def run_once(argv: list[str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed ({done.returncode}): "
                         f"{done.stderr.strip()[-500:]}")
    return elapsed


def measure(argvs: dict[str, list[str]], rounds: int) -> dict[str, list[float]]:
    names = list(argvs)
    times: dict[str, list[float]] = {name: [] for name in names}
    for name in names:  # warm the file cache once, unmeasured
        run_once(argvs[name])
    for round_ in range(rounds):
        shift = round_ % len(names)
        for name in names[shift:] + names[:shift]:
            times[name].append(run_once(argvs[name]))
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--project-dir", type=Path, default=REPO)
    parser.add_argument("--manifest", type=Path, default=None,
                        help="[default: <project-dir>/target/manifest.json]")
    args = parser.parse_args()
    manifest = args.manifest or args.project_dir / "target" / "manifest.json"
    if not manifest.is_file():
        raise SystemExit(f"no manifest at {manifest}: build the project first or pass "
                         "--manifest")
    before = os.getloadavg()[0]
    times = measure(commands(args.project_dir, manifest), args.rounds)
    after = os.getloadavg()[0]
    print(f"{date.today()} {platform.node()} Python {platform.python_version()}, "
          f"{args.rounds} alternating rounds, load average {before:.2f} -> {after:.2f}")
    if before >= QUIET_LOAD:
        print(f"warning: load average above {QUIET_LOAD}: not a quiet machine, do not "
              "publish these figures")
    version, help_ = (statistics.median(times[name]) for name in ("dbt --version", "dbt --help"))
    print("| command | median | best | vs `dbt --version` | vs `dbt --help` |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for name, values in times.items():
        median = statistics.median(values)
        print(f"| `{name}` | {median:.3f} s | {min(values):.3f} s | {median / version:.2f}x | "
              f"{median / help_:.2f}x |")


if __name__ == "__main__":
    main()
