"""Every library featureops imports at run time is installed by ``pip install featureops``,
or belongs to a named extra and is imported only through ``featureops._optional.require``
(a one-line error naming the extra). Read from the source: every module, every import,
function-level ones included; each import is mapped to its distribution by
importlib.metadata and looked up in pyproject.toml's own lists."""

from __future__ import annotations

import ast
import re
import sys
from collections.abc import Iterator
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest

from featureops._optional import MissingExtraError, require
from tests.conftest import REPO_ROOT

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    tomllib = pytest.importorskip("tomli")

PACKAGE = REPO_ROOT / "featureops"
#: Extras that are not runtime features of featureops.
NOT_RUNTIME = {"dev"}


def _name(requirement: str) -> str:
    """The normalized distribution name of a PEP 508 requirement (PEP 503)."""
    match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", requirement)
    assert match, f"pyproject.toml: unreadable requirement {requirement!r}"
    return re.sub(r"[-_.]+", "-", match.group(1)).lower()


def _declared() -> tuple[set[str], dict[str, set[str]]]:
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]
    base = {_name(r) for r in project["dependencies"]}
    extras = {extra: {_name(r) for r in requirements}
              for extra, requirements in project["optional-dependencies"].items()
              if extra not in NOT_RUNTIME}
    return base, extras


BASE, EXTRAS = _declared()
DISTRIBUTIONS = packages_distributions()


def _distributions(module: str) -> set[str]:
    return {_name(d) for d in DISTRIBUTIONS.get(module.partition(".")[0], [])}


def _third_party(module: str) -> bool:
    top = module.partition(".")[0]
    return top not in sys.stdlib_module_names and top != "featureops"


def _type_checking_only(node: ast.If) -> bool:
    return "TYPE_CHECKING" in ast.unparse(node.test)


def _walk(node: ast.AST) -> Iterator[ast.AST]:
    """Every node that runs (the bodies of ``if TYPE_CHECKING:`` never do)."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.If) and _type_checking_only(child):
            yield from (n for stmt in child.orelse for n in [stmt, *_walk(stmt)])
            continue
        yield child
        yield from _walk(child)


def _literal_prefix(node: ast.expr) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if (isinstance(node, ast.JoinedStr) and node.values
            and isinstance(node.values[0], ast.Constant)):
        return str(node.values[0].value)
    return None


def _imports() -> Iterator[tuple[str, str, str | None]]:
    """(where, module, extra): a plain import has extra None, ``require`` its extra; the
    module of ``importlib.import_module`` is its literal prefix."""
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        for node in _walk(tree):
            where = f"{path.relative_to(REPO_ROOT)}:{getattr(node, 'lineno', '?')}"
            if isinstance(node, ast.Import):
                for alias in node.names:
                    yield where, alias.name, None
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                yield where, node.module, None
            elif isinstance(node, ast.Call) and node.args:
                function = ast.unparse(node.func)
                module = _literal_prefix(node.args[0])
                if function == "require":
                    extra = next((k.value for k in node.keywords if k.arg == "extra"), None)
                    assert module and isinstance(extra, ast.Constant), (
                        f"{where}: require() needs a literal module and extra=")
                    yield where, module, str(extra.value)
                elif function.endswith("import_module") and module:
                    yield where, module, None


IMPORTS = [entry for entry in _imports() if _third_party(entry[1])]


def _problem(module: str, extra: str | None) -> str | None:
    distributions = _distributions(module)
    if not distributions:
        return f"{module} is installed by no distribution of this environment"
    if extra is None:
        if distributions & BASE:
            return None
        in_extras = sorted(name for name, deps in EXTRAS.items() if distributions & deps)
        if in_extras:
            return (f"{module} comes with the extra {in_extras[0]!r}, so import it with "
                    f"require({module!r}, extra={in_extras[0]!r})")
        return f"{module} ({', '.join(sorted(distributions))}) is in no base dependency"
    if extra not in EXTRAS:
        return f"require(..., extra={extra!r}): pyproject.toml has no such runtime extra"
    if not distributions & EXTRAS[extra]:
        return f"{module} ({', '.join(sorted(distributions))}) is not in the {extra} extra"
    return None


def test_the_walk_sees_function_level_and_guarded_imports() -> None:
    seen = {(where.split(":")[0], module, extra) for where, module, extra in IMPORTS}
    assert ("featureops/cli/online_commands.py", "uvicorn", None) in seen  # in a function
    assert ("featureops/online/redis.py", "redis", "redis") in seen
    assert ("featureops/rawload.py", "psycopg2", "postgres") in seen


@pytest.mark.parametrize(("where", "module", "extra"), IMPORTS,
                         ids=[f"{where}:{module}" for where, module, _ in IMPORTS])
def test_every_import_is_installed_or_behind_its_extra(where: str, module: str,
                                                       extra: str | None) -> None:
    problem = _problem(module, extra)
    assert problem is None, f"{where}: {problem}"


@pytest.mark.parametrize(("module", "extra", "expected"), [
    ("httpx", None, "httpx (httpx) is in no base dependency"),
    ("redis", None, "require('redis', extra='redis')"),
    ("psycopg2.extras", None, "require('psycopg2.extras', extra='postgres')"),
    ("redis", "postgres", "redis (redis) is not in the postgres extra"),
    ("pytest", "dev", "no such runtime extra"),
])
def test_the_check_refuses_what_a_base_install_lacks(module: str, extra: str | None,
                                                     expected: str) -> None:
    assert expected in (_problem(module, extra) or "")


def test_a_missing_extra_is_a_one_line_error_naming_it(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "redis", None)  # as if it were not installed
    with pytest.raises(MissingExtraError) as error:
        require("redis", extra="redis")
    assert str(error.value) == ("redis is not installed; it comes with the redis extra: "
                                "pip install 'featureops[redis]'")


def test_a_library_that_fails_to_import_is_not_called_missing(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "half_installed.py").write_text("import a_native_part_that_is_gone\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(MissingExtraError) as error:
        require("half_installed", extra="redis")
    assert str(error.value) == (
        "half_installed cannot be imported (No module named 'a_native_part_that_is_gone'); "
        "it comes with the redis extra: pip install 'featureops[redis]'")


def test_the_redis_store_of_a_base_install_says_which_extra(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from featureops.online.config import load_store_config
    from featureops.project import Project

    monkeypatch.setitem(sys.modules, "redis", None)
    monkeypatch.delitem(sys.modules, "featureops.online.redis", raising=False)
    monkeypatch.delenv("FEATUREOPS_ONLINE_STORE", raising=False)
    (tmp_path / "dbt_project.yml").write_text("name: shop\n")
    (tmp_path / "featureops.yml").write_text("online_store:\n  type: redis\n")
    with pytest.raises(MissingExtraError, match=r"pip install 'featureops\[redis\]'"):
        load_store_config(Project.locate(tmp_path))
