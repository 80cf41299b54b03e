"""`featureops --help` and `featureops list` import only what they need: no dataframe,
warehouse, lineage, audit or server modules (issue #12 item 5). A behaviour test, not a
timing: it reads the modules a fresh interpreter imported (``-X importtime``)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests import factories as f

#: never needed to print help or list the feature views
HEAVY = {"pandas", "pyarrow", "duckdb", "numpy", "networkx", "sqlglot", "fastapi", "uvicorn",
         "matplotlib", "jinja2", "redis", "psycopg", "featureops.audit",
         "featureops.lineage", "featureops.contracts", "featureops.online",
         "featureops.offline", "featureops.serving", "featureops.monitoring"}
#: not even the manifest or the project settings are needed for help
HELP_HEAVY = HEAVY | {"pydantic", "yaml", "rich", "featureops.manifest", "featureops.project"}


def imported(*args: str, cwd: Path) -> set[str]:
    """Top-level packages and featureops subpackages a fresh `featureops ARGS` imports."""
    done = subprocess.run([sys.executable, "-X", "importtime", "-m", "featureops", *args],
                          capture_output=True, text=True, cwd=cwd, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    names = {line.rsplit("|", 1)[1].strip() for line in done.stderr.splitlines()
             if line.startswith("import time:") and line.count("|") == 2}
    assert "click" in names  # the parse is right: the CLI's own dependency is listed
    return ({name.split(".")[0] for name in names}
            | {".".join(name.split(".")[:2]) for name in names if name.startswith("featureops.")})


def test_help_imports_no_library_module(tmp_path: Path) -> None:
    assert imported("--help", cwd=tmp_path) & HELP_HEAVY == set()


def test_list_imports_only_the_catalog(tmp_path: Path) -> None:
    view = f.model("feat_user__spend", meta=f.VALID_VIEW_META)
    manifest = tmp_path / "manifest.json"
    manifest.write_text(json.dumps(f.manifest(view)))
    modules = imported("list", "--manifest", str(manifest), "--json", cwd=tmp_path)
    assert {"featureops.manifest", "featureops.catalog"} <= modules  # it did read the project
    assert modules & HEAVY == set()
