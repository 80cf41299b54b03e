"""featureops as a user installs it, for tests/integration/test_wheel_install.py: the wheel
built from this checkout (checking the build leaves nothing in the tree) and a fresh
virtualenv outside the checkout with the wheel installed in it, not editable, and commands
run there in a clean environment (no variable of this checkout's shell)."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

from tests.conftest import REPO_ROOT

#: Variables of the developer's shell that would point commands back at this checkout.
_CHECKOUT_VARIABLES = ("PYTHONPATH", "VIRTUAL_ENV", "DBT_PROFILES_DIR", "DBT_PROJECT_DIR",
                       "DBT_TARGET", "DBT_TARGET_PATH")
#: Caches that may appear in the tree while the build runs, from other processes.
_CACHE_NAMES = ("__pycache__", ".pytest_cache", ".ruff_cache", ".hypothesis")


def _tree_entries() -> set[str]:
    """Untracked and ignored entries of the checkout (folders collapsed), as git reports."""
    listed = subprocess.run(
        ["git", "status", "--porcelain", "--ignored", "--untracked-files=normal"],
        cwd=REPO_ROOT, check=True, capture_output=True, text=True).stdout
    return {line[3:] for line in listed.splitlines()
            if line.startswith(("??", "!!")) and not any(name in line for name in _CACHE_NAMES)}


def build_wheel(out_dir: Path) -> Path:
    """`python -m build --wheel` of the checkout into ``out_dir``; fails when the build left
    a new untracked or ignored entry in the tree (a build/ or *.egg-info folder)."""
    before = _tree_entries()
    subprocess.run([sys.executable, "-m", "build", "--wheel", "--outdir", str(out_dir),
                    str(REPO_ROOT)], check=True, capture_output=True, text=True, timeout=600)
    left = _tree_entries() - before
    assert not left, f"building the wheel left {sorted(left)} in the checkout"
    (wheel,) = out_dir.glob("featureops-*.whl")
    return wheel


def wheel_files(wheel: Path) -> set[str]:
    with zipfile.ZipFile(wheel) as archive:
        return set(archive.namelist())


@dataclass(frozen=True)
class Installed:
    """A virtualenv with featureops installed from the wheel."""

    venv: Path
    home: Path

    @property
    def bin(self) -> Path:
        return self.venv / "bin"

    def env(self, **extra: str) -> dict[str, str]:
        """A new user's environment: this venv first on PATH, an empty HOME (no
        ~/.dbt/profiles.yml of this machine), nothing of the checkout's shell."""
        env = {key: value for key, value in os.environ.items()
               if key not in _CHECKOUT_VARIABLES and not key.startswith("FEATUREOPS_")}
        env.update(PATH=f"{self.bin}{os.pathsep}{os.defpath}", HOME=str(self.home),
                   DBT_SEND_ANONYMOUS_USAGE_STATS="false")
        env.update(extra)
        return env

    def run(self, *args: str, cwd: Path, env: dict[str, str] | None = None,
            timeout: float = 600) -> subprocess.CompletedProcess[str]:
        """Run a command of the venv (``featureops``, ``dbt``, ``python``); a non-zero exit
        fails the test with the command's output."""
        command = [str(self.bin / args[0]), *args[1:]]
        done = subprocess.run(command, cwd=cwd, env=env or self.env(), capture_output=True,
                              text=True, timeout=timeout)
        assert done.returncode == 0, (
            f"{' '.join(args)} exited {done.returncode} in {cwd}\n"
            f"--- stdout\n{done.stdout[-6000:]}\n--- stderr\n{done.stderr[-6000:]}")
        return done


def install(wheel: Path, where: Path) -> Installed:
    """A fresh venv in ``where`` (outside the checkout; no system site packages) with
    ``<wheel>[postgres]`` installed by pip from the package index, as a user would."""
    venv = where / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    pip_env = {key: value for key, value in os.environ.items()
               if key not in _CHECKOUT_VARIABLES}
    done = subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet",
                           f"{wheel}[postgres]"], env=pip_env, capture_output=True, text=True,
                          timeout=1200)
    assert done.returncode == 0, f"pip install of {wheel.name} failed:\n{done.stderr[-6000:]}"
    home = where / "home"
    home.mkdir()
    return Installed(venv, home)
