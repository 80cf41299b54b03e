"""`featureops init --existing`: featureops added to a dbt project without touching its
models: the featureops dbt package entry in packages.yml (created, or appended to the list
so the other packages and the comments stay) and a ``vars.featureops`` settings block in
dbt_project.yml, monitoring off. Run twice, the second run changes nothing.

Both files are edited as text, so the user's comments and layout survive; each edit is
checked by parsing the result, which must equal the old data plus the one addition."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from featureops.files import write_text_atomic
from featureops.init.errors import InitError
from featureops.package import PACKAGE_NAME, local_entry_line, package_dir

#: Where dbt reads package entries from (the first that exists; else packages.yml is made).
PACKAGE_FILES = ("packages.yml", "dependencies.yml")
#: The settings block added under vars: monitoring off, with what turning it on takes.
SETTINGS_BLOCK = """\
featureops:
  # featureops settings (online_store, serving, audit, monitoring). Monitoring
  # is off; to turn it on, set enabled: true and list what to monitor, e.g.
  #   monitored: [my_feature_view]
  #   drift:
  #     - {name: my_view_week_over_month, model: my_feature_view,
  #        reference_window: [35d, 7d], current_window: [7d, null]}
  #   skew: {training_sets: [my_training_set], serving_window: 7d}
  monitoring:
    enabled: false
"""
SETTINGS = {"monitoring": {"enabled": False}}


@dataclass(frozen=True)
class AdoptResult:
    """What `init --existing` changed (``changes``) and found already done (``kept``)."""

    project_dir: Path
    changes: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _Edit:
    path: Path
    text: str
    message: str


def adopt_existing(project_dir: Path) -> AdoptResult:
    """Add the package entry and the settings block where missing; write nothing unless
    both files could be planned."""
    project_dir = Path(project_dir)
    project_file = project_dir / "dbt_project.yml"
    if not project_file.is_file():
        raise InitError(f"{project_dir}: not a dbt project (no dbt_project.yml); "
                        "`featureops init DIR` creates a new feature repository")
    result = AdoptResult(project_dir)
    edits = [edit for edit in (_package_edit(project_dir, result),
                               _settings_edit(project_file, result)) if edit]
    for edit in edits:
        write_text_atomic(edit.path, edit.text)
        result.changes.append(edit.message)
    return result


def package_entry() -> dict[str, str]:
    return {"local": str(package_dir())}


def _package_entry_lines() -> list[str]:
    return [f"{local_entry_line()}: `featureops package-path` prints this path\n"]


def _package_edit(project_dir: Path, result: AdoptResult) -> _Edit | None:
    path = next((project_dir / name for name in PACKAGE_FILES
                 if (project_dir / name).is_file()), project_dir / PACKAGE_FILES[0])
    if not path.is_file():
        text = "# dbt packages of this project; `dbt deps` installs them.\npackages:\n"
        text += "".join("  " + line for line in _package_entry_lines())
        return _Edit(path, text, f"{path.name}: created, with the featureops dbt package")
    text, data = _read_yaml(path)
    entries = data.get("packages")
    if entries is None:
        entries = []
    if not isinstance(entries, list):
        raise InitError(f"{path}: packages must be a list")
    found = next((entry for entry in entries if _installs_featureops(entry, project_dir)), None)
    if found is not None:
        result.kept.append(f"{path.name}: already installs the featureops dbt package "
                           f"({_describe(found)})")
        return None
    expected = {**data, "packages": [*entries, package_entry()]}
    edited = _append_to_list(text, "packages", _package_entry_lines())
    if edited is not None and _parses_to(edited, expected):
        return _Edit(path, edited, f"{path.name}: added the featureops dbt package")
    # A layout the text edit cannot follow (flow style): rewrite the data, comments lost.
    rewritten = yaml.safe_dump(expected, sort_keys=False, default_flow_style=False)
    return _Edit(path, rewritten, f"{path.name}: added the featureops dbt package "
                                  "(rewritten: its comments could not be kept)")


def _settings_edit(project_file: Path, result: AdoptResult) -> _Edit | None:
    text, data = _read_yaml(project_file)
    variables = data.get("vars")
    if variables is not None and not isinstance(variables, dict):
        raise InitError(f"{project_file}: vars must be a mapping")
    if variables and PACKAGE_NAME in variables:
        result.kept.append(f"{project_file.name}: already has vars.featureops")
        return None
    expected = {**data, "vars": {**(variables or {}), PACKAGE_NAME: SETTINGS}}
    edited = _insert_under(text, "vars", SETTINGS_BLOCK.splitlines(keepends=True))
    if edited is None or not _parses_to(edited, expected):
        raise InitError(
            f"{project_file}: cannot add vars.featureops to its vars as written (flow style?);"
            " add `featureops: {monitoring: {enabled: false}}` under vars by hand")
    return _Edit(project_file, edited,
                 f"{project_file.name}: added vars.featureops (monitoring off)")


def _read_yaml(path: Path) -> tuple[str, dict[str, Any]]:
    try:
        text = path.read_text(encoding="utf-8")
        data = yaml.safe_load(text)
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        detail = str(error).strip().splitlines()[0] if str(error).strip() else repr(error)
        raise InitError(f"{path}: cannot read YAML: {detail}") from None
    if data is None:
        return text, {}
    if not isinstance(data, dict):
        raise InitError(f"{path}: must be a mapping at the top level")
    return text, data


def _installs_featureops(entry: Any, project_dir: Path) -> bool:
    """Whether a packages.yml entry is the featureops dbt package, from anywhere."""
    if not isinstance(entry, dict):
        return False
    if "local" in entry:
        local = Path(str(entry["local"])).expanduser()
        local = local if local.is_absolute() else project_dir / local
        return _package_name(local) == PACKAGE_NAME or local.parts[-2:] == (
            PACKAGE_NAME, "dbt_package")
    if "git" in entry:
        return str(entry.get("subdirectory", "")).rstrip("/").endswith(
            f"{PACKAGE_NAME}/dbt_package")
    return str(entry.get("package", "")).split("/")[-1] == PACKAGE_NAME


def _package_name(folder: Path) -> str | None:
    try:
        config = yaml.safe_load((folder / "dbt_project.yml").read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return None
    return config.get("name") if isinstance(config, dict) else None


def _describe(entry: dict[str, Any]) -> str:
    return ", ".join(f"{key}: {value}" for key, value in entry.items())


def _parses_to(text: str, expected: dict[str, Any]) -> bool:
    try:
        return yaml.safe_load(text) == expected
    except yaml.YAMLError:
        return False


def _block(lines: list[str], key: str) -> tuple[int, int, str] | None:
    """(header line, last content line, child indent) of the top-level block ``key:``
    written in block style, or None."""
    header = re.compile(rf"{re.escape(key)}:\s*(#.*)?")
    start = next((i for i, line in enumerate(lines) if header.fullmatch(line.rstrip("\r\n"))),
                 None)
    if start is None:
        return None
    last, indent = start, None
    for i in range(start + 1, len(lines)):
        stripped = lines[i].strip()
        if not stripped or stripped.startswith("#"):
            continue
        if lines[i][0] not in " \t-":
            break
        last = i
        if indent is None:
            indent = lines[i][: len(lines[i]) - len(lines[i].lstrip(" "))]
    return start, last, "  " if indent is None else indent


def _append_to_list(text: str, key: str, item: list[str]) -> str | None:
    """``text`` with ``item`` appended to the top-level list ``key`` (created when absent)."""
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    empty = re.compile(rf"{re.escape(key)}:\s*\[\s*\]\s*(#.*)?")
    for i, line in enumerate(lines):
        if empty.fullmatch(line.rstrip("\r\n")):
            lines[i: i + 1] = [f"{key}:\n", *("  " + part for part in item)]
            return "".join(lines)
    found = _block(lines, key)
    if found is None:
        if any(re.match(rf"{re.escape(key)}\s*:", line) for line in lines):
            return None  # flow style: not edited as text
        return "".join([*lines, f"{key}:\n", *("  " + part for part in item)])
    _, last, indent = found
    lines[last + 1: last + 1] = [indent + part for part in item]
    return "".join(lines)


def _insert_under(text: str, key: str, block: list[str]) -> str | None:
    """``text`` with ``block`` as the first entry of the top-level mapping ``key``
    (created at the end when absent)."""
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    empty = re.compile(rf"{re.escape(key)}:\s*(\{{\s*\}})?\s*(#.*)?")
    found = _block(lines, key)
    if found is None:
        if any(re.match(rf"{re.escape(key)}\s*:", line) for line in lines):
            matching = [i for i, line in enumerate(lines)
                        if empty.fullmatch(line.rstrip("\r\n"))]
            if not matching:
                return None  # flow style with content: not edited as text
            lines[matching[0]: matching[0] + 1] = [f"{key}:\n", *("  " + p for p in block)]
            return "".join(lines)
        return "".join([*lines, "\n", f"{key}:\n", *("  " + part for part in block)])
    start, _, indent = found
    lines[start + 1: start + 1] = [indent + part if part.strip() else part for part in block]
    return "".join(lines)
