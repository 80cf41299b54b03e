"""`featureops deprecate`: mark a feature view deprecated in its YAML, and say who to tell.

The YAML is edited as text, minimally: only the ``status``, ``deprecation_date`` and
``deprecation_guide`` lines of the view's ``meta.featureops`` block change (comments,
ordering, quoting and line endings elsewhere are kept). The edit is verified by parsing the
file before and after: unless the only difference is those three keys of that one block,
nothing is written and the exact edit is returned for the user to apply by hand (the same
happens for shapes a line edit cannot handle safely, such as flow-style mappings).
"""

from __future__ import annotations

import copy
import difflib
import json
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from featureops.exceptions import FeatureopsError
from featureops.files import write_text_atomic
from featureops.lineage.graph import LineageGraph, featureops_block
from featureops.lineage.impact import OwnerNotice, impact

_KEY_LINE = re.compile(r"^(?P<indent> *)(?P<key>[A-Za-z_][\w-]*|\"[^\"]+\"|'[^']+')\s*:"
                       r"(?P<rest>.*?)(?P<eol>\r?\n)?$")
_ITEM_NAME = re.compile(r"^(?P<indent> *)- +name\s*:\s*(?P<name>[^#\r\n]*?)\s*(?:#.*)?(\r?\n)?$")


class DeprecationError(FeatureopsError):
    """The view cannot be deprecated as asked."""


@dataclass
class DeprecationResult:
    view: str
    yaml_path: Path | None
    written: bool
    diff: str
    manual_edit: str = ""  # the exact edit, when it could not be applied safely
    reason: str = ""  # why it was not applied
    notices: tuple[OwnerNotice, ...] = ()
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"view": self.view, "yaml_path": str(self.yaml_path) if self.yaml_path else None,
                "written": self.written, "diff": self.diff, "manual_edit": self.manual_edit,
                "reason": self.reason, "warnings": self.warnings,
                "notices": [n.to_dict() for n in self.notices]}


def deprecate(lineage: LineageGraph, project_dir: Path, view: str, *, when: date, guide: str,
              today: date, dry_run: bool = False) -> DeprecationResult:
    manifest = lineage.manifest
    node = manifest.find_model(view)
    if featureops_block(node).get("kind") != "feature_view":
        raise DeprecationError(
            f"model `{node.name}` is not a feature view (no meta.featureops.kind: "
            f"feature_view); only feature views are deprecated with featureops")
    if not guide.strip():
        raise DeprecationError("--guide must say what consumers should use instead")
    values = {"status": "deprecated", "deprecation_date": when.isoformat(),
              "deprecation_guide": " ".join(guide.split())}
    warnings = []
    if when < today:
        warnings.append(f"deprecation date {when} is in the past: the audit rule "
                        f"feature_view_deprecation_date_passed will fail until the view is "
                        f"removed")
    notices = impact(lineage, node.unique_id).owners
    snippet = _snippet(node.name, values)
    if not node.yaml_path:
        return DeprecationResult(node.name, None, False, "", snippet,
                                 "the model has no YAML properties file", notices, warnings)
    path = project_dir / node.yaml_path
    try:
        original = path.read_bytes().decode("utf-8") if path.is_file() else None
    except (OSError, UnicodeDecodeError) as error:
        raise DeprecationError(f"{path}: cannot read the YAML file: {error}") from None
    if original is None:
        return DeprecationResult(node.name, path, False, "", snippet,
                                 f"{path} does not exist (is --project-dir right?)",
                                 notices, warnings)
    try:
        edited = edit_featureops_block(original, node.name, values)
    except _CannotEdit as why:
        return DeprecationResult(node.name, path, False, "", snippet, str(why), notices,
                                 warnings)
    diff = "".join(difflib.unified_diff(original.splitlines(keepends=True),
                                        edited.splitlines(keepends=True),
                                        fromfile=str(node.yaml_path),
                                        tofile=str(node.yaml_path)))
    if not dry_run and edited != original:
        write_text_atomic(path, edited)
    return DeprecationResult(node.name, path, not dry_run and edited != original, diff,
                             notices=notices, warnings=warnings)


class _CannotEdit(Exception):
    """The YAML has a shape a line edit cannot change safely."""


def edit_featureops_block(text: str, model: str, values: dict[str, str]) -> str:
    """``text`` with ``values`` set in the ``meta.featureops`` block of ``model``."""
    lines = text.splitlines(keepends=True)
    newline = "\r\n" if text.count("\r\n") * 2 > text.count("\n") else "\n"
    item_start, item_end = _model_item(lines, model)
    block_start, block_end, child_indent = _featureops_block(lines, item_start, item_end)
    block = lines[block_start:block_end]
    for key, value in values.items():
        rendered = f"{' ' * child_indent}{key}: {json.dumps(value, ensure_ascii=False)}"
        position = _key_position(block, key, child_indent)
        if position is None:
            insert_at = _last_content_line(block) + 1
            block.insert(insert_at, rendered + newline)
        else:
            start, end = position
            eol = newline if block[end - 1].endswith("\n") else ""
            block[start:end] = [rendered + eol]
    result = "".join(lines[:block_start] + block + lines[block_end:])
    _verify(text, result, model, values)
    return result


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _is_content(line: str) -> bool:
    stripped = line.strip()
    return bool(stripped) and not stripped.startswith("#")


def _model_item(lines: list[str], model: str) -> tuple[int, int]:
    """Line range of the ``- name: model`` item under the top-level ``models:`` key."""
    in_models = False
    for index, line in enumerate(lines):
        if _is_content(line) and _indent(line) == 0 and not line.startswith("-"):
            in_models = line.split(":")[0].strip() == "models"
            continue
        match = _ITEM_NAME.match(line)
        if in_models and match and match["name"].strip("'\"") == model:
            dash = len(match["indent"])
            end = index + 1
            while end < len(lines) and not (_is_content(lines[end])
                                            and _indent(lines[end]) <= dash):
                end += 1
            return index, end
    raise _CannotEdit(f"no `- name: {model}` entry under `models:` in block style")


def _child(lines: list[str], start: int, end: int, key: str, indent: int | None
           ) -> tuple[int, int, int] | None:
    """(line, end of its block, indent of its children) of ``key:`` among the direct
    children at ``indent`` of lines[start:end] (indent None = the first content indent)."""
    for index in range(start, end):
        line = lines[index]
        if not _is_content(line):
            continue
        text = line.lstrip(" ")
        own = _indent(line)
        if text.startswith("- "):  # the item's first key shares the dash's line
            after = text[2:].lstrip(" ")
            own += len(text) - len(after)
            text = after
        if indent is None:
            indent = own
        if own != indent:
            continue
        match = _KEY_LINE.match(" " * own + text)
        if not match or match["key"].strip("'\"") != key:
            continue
        rest = match["rest"].split("#")[0].strip()
        if rest:
            raise _CannotEdit(f"`{key}:` is written inline ({rest[:40]}); a line edit could "
                              f"change its meaning")
        block_end = index + 1
        while block_end < end and not (_is_content(lines[block_end])
                                       and _indent(lines[block_end]) <= own):
            block_end += 1
        children = [_indent(lines[i]) for i in range(index + 1, block_end)
                    if _is_content(lines[i])]
        if not children:
            raise _CannotEdit(f"`{key}:` has no nested keys")
        return index, block_end, children[0]
    return None


def _featureops_block(lines: list[str], start: int, end: int) -> tuple[int, int, int]:
    """Line range of the featureops block's children (under config.meta or meta)."""
    for path in (("config", "meta", "featureops"), ("meta", "featureops")):
        found, indent, scope = True, None, (start, end)
        for key in path:
            hit = _child(lines, scope[0], scope[1], key, indent)
            if hit is None:
                found = False
                break
            line, block_end, indent = hit
            scope = (line + 1, block_end)
        if found:
            assert indent is not None
            return scope[0], scope[1], indent
    raise _CannotEdit("no block-style `config: meta: featureops:` (or `meta: featureops:`) "
                      "mapping for this model")


def _key_position(block: list[str], key: str, indent: int) -> tuple[int, int] | None:
    for index, line in enumerate(block):
        match = _KEY_LINE.match(line)
        if match and _indent(line) == indent and match["key"].strip("'\"") == key:
            end = index + 1
            while end < len(block) and (not _is_content(block[end])
                                        or _indent(block[end]) > indent):
                end += 1
            while end - 1 > index and not _is_content(block[end - 1]):
                end -= 1  # keep blank lines and comments that follow the value
            return index, end
    return None


def _last_content_line(block: list[str]) -> int:
    for index in range(len(block) - 1, -1, -1):
        if _is_content(block[index]):
            return index
    return -1


def _verify(before_text: str, after_text: str, model: str, values: dict[str, str]) -> None:
    """Refuse the edit unless it changes exactly these keys of this model's block."""
    try:
        before, after = yaml.safe_load(before_text), yaml.safe_load(after_text)
    except yaml.YAMLError as error:
        raise _CannotEdit(f"the edited YAML would not parse ({str(error).splitlines()[0]})") \
            from None
    expected = copy.deepcopy(before)
    entry = next((m for m in (expected or {}).get("models") or []
                  if isinstance(m, dict) and m.get("name") == model), None)
    if entry is None:
        raise _CannotEdit("the model entry was not found when parsing the YAML")
    block = _dig(entry, "config", "meta", "featureops")
    if not isinstance(block, dict):
        block = _dig(entry, "meta", "featureops")
    if not isinstance(block, dict):
        raise _CannotEdit("the featureops block was not found when parsing the YAML")
    block.update(values)
    if _normalise(after) != _normalise(expected):
        raise _CannotEdit("the line edit would change more than the three deprecation keys")


def _dig(data: Any, *keys: str) -> Any:
    for key in keys:
        data = data.get(key) if isinstance(data, dict) else None
    return data


def _normalise(data: Any) -> Any:
    """YAML dates load as date objects; compare them as ISO strings."""
    if isinstance(data, dict):
        return {k: _normalise(v) for k, v in data.items()}
    if isinstance(data, list):
        return [_normalise(v) for v in data]
    return data.isoformat() if isinstance(data, date) else data


def _snippet(model: str, values: dict[str, str]) -> str:
    body = "\n".join(f"          {k}: {json.dumps(v, ensure_ascii=False)}"
                     for k, v in values.items())
    return (f"# in the YAML entry of {model}, set under config: meta: featureops:\n"
            f"  - name: {model}\n    config:\n      meta:\n        featureops:\n{body}\n")
