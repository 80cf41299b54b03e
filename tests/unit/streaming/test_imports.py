"""Imports between the streaming and online packages go one way: streaming modules import
the online store, online modules import streaming only inside functions (at run time, once
both are loaded). Checked two ways: every module of both packages imports alone, first,
in a fresh interpreter state (an import cycle fails there: featureops.streaming.state ->
featureops.online -> materialize -> streaming.batch_edge -> streaming.state did), and no
online module imports streaming at module level."""

from __future__ import annotations

import ast
import subprocess
import sys

from tests.conftest import REPO_ROOT

PACKAGES = ("online", "streaming")

# One interpreter for speed; before each module every featureops module is forgotten, so
# each is imported first, as in a fresh interpreter (third-party modules stay loaded).
_SCRIPT = """
import importlib, sys, traceback
failed = []
for name in sys.argv[1:]:
    for loaded in [m for m in sys.modules if m == 'featureops' or m.startswith('featureops.')]:
        del sys.modules[loaded]
    try:
        importlib.import_module(name)
    except Exception:
        failed.append(name + ': ' + traceback.format_exc().strip().splitlines()[-1])
print('\\n'.join(failed))
"""


def _modules() -> list[str]:
    names = []
    for package in PACKAGES:
        for path in sorted((REPO_ROOT / "featureops" / package).rglob("*.py")):
            parts = path.relative_to(REPO_ROOT).with_suffix("").parts
            names.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return names


def test_every_module_imports_alone() -> None:
    modules = _modules()
    assert "featureops.streaming.state" in modules and "featureops.online.materialize" in modules
    done = subprocess.run([sys.executable, "-c", _SCRIPT, *modules], cwd=REPO_ROOT,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == ""


def _module_level_imports(tree: ast.Module) -> list[str]:
    """Modules imported where the import runs on load (not in functions, not in
    ``if TYPE_CHECKING:``)."""
    found = []
    pending: list[ast.stmt] = list(tree.body)
    while pending:
        node = pending.pop()
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.append(node.module)
        elif isinstance(node, ast.If) and "TYPE_CHECKING" not in ast.unparse(node.test):
            pending += [*node.body, *node.orelse]
        elif isinstance(node, ast.Try):
            pending += [*node.body, *node.orelse, *node.finalbody]
    return found


def test_online_modules_do_not_import_streaming_on_load() -> None:
    offending = {}
    for path in sorted((REPO_ROOT / "featureops" / "online").rglob("*.py")):
        imports = _module_level_imports(ast.parse(path.read_text()))
        bad = [name for name in imports if name.startswith("featureops.streaming")]
        if bad:
            offending[str(path.relative_to(REPO_ROOT))] = bad
    assert offending == {}
