"""Running dbt from featureops (tests, and commands that need a fresh manifest).

dbt is optional at runtime: nothing here imports it; it runs as a subprocess so its
global state, logging and exit codes stay its own.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from featureops.exceptions import FeatureopsError


class DbtNotFoundError(FeatureopsError):
    """The dbt executable cannot be found."""


class DbtCommandError(FeatureopsError):
    """A dbt command exited non-zero."""


def dbt_executable() -> str:
    """The dbt next to this Python (the same virtualenv) or else the one on PATH."""
    beside = Path(sys.executable).with_name("dbt")
    if beside.is_file():
        return str(beside)
    found = shutil.which("dbt")
    if found is None:
        raise DbtNotFoundError(
            "dbt is not installed in this environment: pip install 'dbt-core>=1.11,<1.12' "
            "dbt-duckdb (or run `make install`)"
        )
    return found


def run_dbt(args: Sequence[str], project_dir: str | os.PathLike[str], *,
            profiles_dir: str | os.PathLike[str] | None = None,
            env: Mapping[str, str] | None = None, check: bool = True,
            capture: bool = True) -> subprocess.CompletedProcess[str]:
    """Run `dbt <args>` in a project; on failure raise DbtCommandError with dbt's last
    error line (the full log is in the project's logs/ folder)."""
    project = Path(project_dir)
    full_env = {**os.environ, "DBT_SEND_ANONYMOUS_USAGE_STATS": "false", **(env or {})}
    full_env.setdefault("DBT_PROFILES_DIR", str(Path(profiles_dir or project).resolve()))
    command = [dbt_executable(), *args, "--project-dir", str(project)]
    completed = subprocess.run(command, cwd=project, env=full_env, text=True,
                               capture_output=capture, check=False)
    if check and completed.returncode != 0:
        output = (completed.stdout or "") + (completed.stderr or "")
        errors = [line.strip() for line in output.splitlines()
                  if "error" in line.lower() and line.strip()]
        detail = errors[-1] if errors else f"exit code {completed.returncode}"
        raise DbtCommandError(f"`dbt {' '.join(args)}` failed in {project}: {detail}")
    return completed
