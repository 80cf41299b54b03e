"""The schema registry: every registered contract version of every model, as reviewable
JSON in the repository (``contracts/registry/<model>.json``, one file per model).

Files are written in a fixed key order with one column per line, so ``git diff`` shows a
contract change as the lines of the columns that changed. A file holds all the versions of
one model name; ``model_version`` says which dbt version (``versions:``) each one is of,
``null`` for an unversioned model. A version with ``retired: true`` records that a model
version left the project on purpose (``contracts register --allow-breaking``); its line
starts afresh if it ever comes back.

See docs/decisions/0031-contract-registry-format.md.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from featureops.contracts.contract import Contract, version_sort_key
from featureops.exceptions import FeatureopsError
from featureops.files import write_text_atomic

FORMAT = 1
DEFAULT_REGISTRY_DIR = Path("contracts") / "registry"
_MODEL_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class RegistryError(FeatureopsError):
    """A registry file is missing, unreadable or malformed."""


@dataclass(frozen=True)
class RegisteredVersion:
    """One version in a model's registry file."""

    version: int
    model_version: str | None
    registered_at: str
    contract: Contract | None
    reason: str | None = None

    @property
    def retired(self) -> bool:
        return self.contract is None

    @property
    def label(self) -> str:
        return f"registry v{self.version}"

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"version": self.version, "model_version": self.model_version,
                                "registered_at": self.registered_at}
        if self.contract is None:
            data.update(retired=True, reason=self.reason)
            return data
        content = self.contract.content()
        data.update(checksum=self.contract.checksum,
                    compatibility=content["compatibility"],
                    materialized=content["materialized"],
                    adapter=self.contract.adapter,
                    dbt_contract_checksum=self.contract.dbt_checksum,
                    columns=content["columns"],
                    constraints=content["constraints"])
        if self.reason:
            data["breaking_change_reason"] = self.reason
        return data


@dataclass
class ModelHistory:
    """All registered versions of one model name, oldest first."""

    model: str
    versions: list[RegisteredVersion] = field(default_factory=list)

    @property
    def next_version(self) -> int:
        return self.versions[-1].version + 1 if self.versions else 1

    def lines(self) -> dict[str | None, list[RegisteredVersion]]:
        """Versions grouped by dbt model version, each group oldest first."""
        out: dict[str | None, list[RegisteredVersion]] = {}
        for entry in self.versions:
            out.setdefault(entry.model_version, []).append(entry)
        return dict(sorted(out.items(), key=lambda item: version_sort_key(item[0])))

    def get(self, version: int | None = None) -> RegisteredVersion:
        if not self.versions:
            raise RegistryError(f"model '{self.model}' has no registered contract")
        if version is None:
            return self.versions[-1]
        for entry in self.versions:
            if entry.version == version:
                return entry
        have = ", ".join(str(v.version) for v in self.versions)
        raise RegistryError(
            f"model '{self.model}' has no registry version {version} (versions: {have})"
        )


def live_entries(entries: list[RegisteredVersion]) -> list[RegisteredVersion]:
    """The entries of one line since its last retirement (empty when it ends retired)."""
    for index in range(len(entries) - 1, -1, -1):
        if entries[index].retired:
            return entries[index + 1:]
    return entries


class Registry:
    """The registry directory (default ``<project>/contracts/registry``)."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)

    def path_for(self, model: str) -> Path:
        if not _MODEL_NAME.fullmatch(model):
            raise RegistryError(f"'{model}' is not a model name the registry can store")
        return self.root / f"{model}.json"

    def models(self) -> list[str]:
        if not self.root.is_dir():
            return []
        return sorted(p.stem for p in self.root.glob("*.json"))

    def load(self, model: str) -> ModelHistory:
        """The model's history; empty when it was never registered."""
        path = self.path_for(model)
        if not path.is_file():
            return ModelHistory(model)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
            raise RegistryError(f"{path}: cannot read registry file: {error}") from None
        return _parse_history(path, model, data)

    def load_all(self) -> dict[str, ModelHistory]:
        return {model: self.load(model) for model in self.models()}

    def require(self, model: str) -> ModelHistory:
        history = self.load(model)
        if not history.versions:
            known = ", ".join(self.models()) or "none"
            raise RegistryError(
                f"model '{model}' is not in the registry {self.root} (registered: {known}); "
                "run `featureops contracts register` first"
            )
        return history

    def write(self, history: ModelHistory) -> Path:
        """Write one model's file atomically (temporary file, then rename)."""
        path = self.path_for(history.model)
        write_text_atomic(path, render_history(history))
        return path


def render_history(history: ModelHistory) -> str:
    """The file text: fixed key order, two-space indent, one column per line."""
    lines = ["{", f'  "format": {FORMAT},', f'  "model": {_json(history.model)},',
             '  "versions": [']
    for index, entry in enumerate(history.versions):
        lines.extend(_render_entry(entry.to_json()))
        if index < len(history.versions) - 1:
            lines[-1] += ","
    lines += ["  ]", "}"]
    return "\n".join(lines) + "\n"


def _render_entry(entry: dict[str, Any]) -> Iterator[str]:
    yield "    {"
    items = list(entry.items())
    for index, (key, value) in enumerate(items):
        comma = "," if index < len(items) - 1 else ""
        if isinstance(value, list) and value:
            yield f"      {_json(key)}: ["
            for position, item in enumerate(value):
                yield f"        {_json(item)}" + ("," if position < len(value) - 1 else "")
            yield f"      ]{comma}"
        else:
            yield f"      {_json(key)}: {_json(value)}{comma}"
    yield "    }"


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))


def _parse_history(path: Path, model: str, data: Any) -> ModelHistory:
    def bad(why: str) -> RegistryError:
        return RegistryError(f"{path}: {why}; restore the file from git or re-register")

    if not isinstance(data, dict) or not isinstance(data.get("versions"), list):
        raise bad("not a registry file (expected an object with a `versions` list)")
    if data.get("format") != FORMAT:
        raise bad(f"registry format {data.get('format')!r} is not supported (expected {FORMAT})")
    if data.get("model") != model:
        raise bad(f"the file is for model {data.get('model')!r}, not {model!r}")
    versions = []
    for index, raw in enumerate(data["versions"]):
        try:
            versions.append(_parse_entry(model, raw))
        except (KeyError, TypeError, ValueError) as error:
            raise bad(f"versions[{index}] is malformed ({type(error).__name__}: {error})") from None
    numbers = [v.version for v in versions]
    if numbers != sorted(set(numbers)):
        raise bad("version numbers must increase")
    return ModelHistory(model, versions)


def _parse_entry(model: str, raw: dict[str, Any]) -> RegisteredVersion:
    model_version = raw["model_version"]
    model_version = None if model_version is None else str(model_version)
    if raw.get("retired"):
        return RegisteredVersion(int(raw["version"]), model_version, str(raw["registered_at"]),
                                 None, raw.get("reason"))
    contract = Contract.from_content(model, model_version, raw, adapter=raw.get("adapter"),
                                     dbt_checksum=raw.get("dbt_contract_checksum"))
    if raw.get("checksum") != contract.checksum:
        raise ValueError(
            f"checksum {raw.get('checksum')} does not match the contract ({contract.checksum});"
            " the file was edited by hand"
        )
    return RegisteredVersion(int(raw["version"]), model_version, str(raw["registered_at"]),
                             contract, raw.get("breaking_change_reason"))
