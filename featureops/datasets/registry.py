"""The dataset registry: one reviewable JSON file per training-set version,
``datasets/registry/<version>.json``, beside the contract registry
(featureops.contracts.registry), and the compiled SQL of the views it read as plain
``.sql`` files under ``datasets/registry/sql/`` (named by view and hash, shared by every
version that read the same definition, so a definition change is one new file in review).

Files are written with a fixed key order and two-space indent; writing the same version
again changes nothing unless it was written to a new path (listed under ``files``).
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from featureops.datasets.definitions import sha256_of
from featureops.datasets.errors import DatasetError
from featureops.datasets.identity import PREFIX, DatasetVersion, version_id
from featureops.files import write_text_atomic

DEFAULT_REGISTRY_DIR = Path("datasets") / "registry"
#: Overrides the default folder (tests point it at a temporary one).
REGISTRY_ENV = "FEATUREOPS_DATASET_REGISTRY"
_VERSION = re.compile(re.escape(PREFIX) + r"[0-9a-f]{16}")
_PREFIX = re.compile(re.escape(PREFIX) + r"[0-9a-f]{1,16}")


def registry_dir(project_dir: Path, option: str | os.PathLike[str] | None = None) -> Path:
    if option:
        return Path(option)
    if os.environ.get(REGISTRY_ENV):
        return Path(os.environ[REGISTRY_ENV])
    return project_dir / DEFAULT_REGISTRY_DIR


def sql_file_name(view: str, sql_hash: str) -> str:
    return f"{view}.{sql_hash.removeprefix('sha256:')[:16]}.sql"


class DatasetRegistry:
    """The registry folder of one project."""

    def __init__(self, root: str | os.PathLike[str], project_dir: Path | None = None) -> None:
        self.root = Path(root)
        self.project_dir = project_dir

    def path_for(self, version: str) -> Path:
        if not _VERSION.fullmatch(version):
            raise DatasetError(f"'{version}' is not a dataset version (expected {PREFIX} and "
                               "hex digits)")
        return self.root / f"{version}.json"

    def versions(self) -> list[str]:
        if not self.root.is_dir():
            return []
        return sorted(p.stem for p in self.root.glob(f"{PREFIX}*.json"))

    def resolve(self, prefix: str) -> str:
        """The one version starting with ``prefix`` (a whole id or an unambiguous start)."""
        if not _PREFIX.fullmatch(prefix):
            raise DatasetError(f"'{prefix}' is not a dataset version (expected {PREFIX} and "
                               "hex digits)")
        matches = [v for v in self.versions() if v.startswith(prefix)]
        if len(matches) == 1:
            return matches[0]
        if not matches:
            raise DatasetError(f"no dataset version {prefix} in {self.root} "
                               f"({len(self.versions())} version(s) registered)")
        raise DatasetError(f"dataset version {prefix} is ambiguous in {self.root}: "
                           f"{', '.join(matches[:5])}")

    def load(self, version: str) -> DatasetVersion:
        path = self.path_for(self.resolve(version))
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
            raise DatasetError(f"{path}: cannot read registry entry ({error})") from None
        if isinstance(data, dict):
            data["sql"] = {}
        entry = DatasetVersion.from_dict(data, str(path))
        expected = version_id(entry.content_hash, entry.spine_hash, entry.definition_hash,
                              entry.contracts)
        if expected != entry.version or path.stem != entry.version:
            raise DatasetError(f"{path}: its hashes give version {expected}, not "
                               f"{path.stem}; the file was edited by hand (restore it from git)")
        entry.sql = {view["view"]: self._read_sql(view["view"], view["sql_hash"])
                     for view in entry.definition.get("views", [])}
        return entry

    def all(self) -> list[DatasetVersion]:
        return [self.load(version) for version in self.versions()]

    def record(self, version: DatasetVersion, file: Path | None) -> tuple[DatasetVersion, bool]:
        """Add ``version`` (written to ``file``); (the registry's entry, whether it is new).
        An existing entry keeps its first provenance; only a new path is added to it."""
        path = self.path_for(version.version)
        where = self._relative(file) if file is not None else None
        if path.is_file():
            entry = self.load(version.version)
            if where is None or where in entry.files:
                return entry, False
            entry.files = sorted({*entry.files, where})
            self._write(entry)
            return entry, False
        for view, text in version.sql.items():
            sql_path = self.root / "sql" / sql_file_name(view, sha256_of(text))
            if not sql_path.is_file():
                write_text_atomic(sql_path, text)
        version.files = [where] if where else []
        self._write(version)
        return version, True

    def pin(self, version: str, exposure: str, run: str, tags: dict[str, str]) -> DatasetVersion:
        """Tie a version to an experiment or model run (one pin per exposure and run; a
        second pin of the same pair replaces its tags)."""
        entry = self.load(version)
        pins = [p for p in entry.pins if (p["exposure"], p["run"]) != (exposure, run)]
        pins.append({"exposure": exposure, "run": run, "tags": dict(sorted(tags.items())),
                     "pinned_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")})
        entry.pins = sorted(pins, key=lambda p: (p["exposure"], p["run"]))
        self._write(entry)
        return entry

    def _write(self, entry: DatasetVersion) -> None:
        data = asdict(entry)
        data.pop("sql")  # in sql/, one file per definition
        write_text_atomic(self.path_for(entry.version), render(data) + "\n")

    def _read_sql(self, view: str, sql_hash: str) -> str:
        path = self.root / "sql" / sql_file_name(view, sql_hash)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError:
            raise DatasetError(f"{path}: missing (the compiled SQL of view '{view}' for a "
                               "registered version); restore it from git") from None
        if sha256_of(text) != sql_hash:
            raise DatasetError(f"{path}: does not match its hash {sql_hash}; the file was "
                               "edited by hand (restore it from git)")
        return text

    def _relative(self, file: Path) -> str:
        file = file.resolve()
        if self.project_dir is not None:
            try:
                return file.relative_to(self.project_dir.resolve()).as_posix()
            except ValueError:
                pass
        return str(file)

    def file_of(self, entry: DatasetVersion) -> Path | None:
        """The first of the entry's files that still exists."""
        for name in entry.files:
            path = Path(name)
            if not path.is_absolute() and self.project_dir is not None:
                path = self.project_dir / path
            if path.is_file():
                return path
        return None


#: A value whose one-line JSON fits in this many characters is written on one line.
_LINE = 96


def render(value: Any, indent: str = "") -> str:
    """JSON with keys in the order given: short values on one line, longer objects and
    lists one member per line (a column, a view, a pin is one line in a diff)."""
    flat = json.dumps(value, ensure_ascii=False, separators=(", ", ": "))
    if len(flat) + len(indent) <= _LINE or not isinstance(value, (dict, list)) or not value:
        return flat
    inner = indent + "  "
    if isinstance(value, dict):
        members = [f"{inner}{json.dumps(key)}: {render(item, inner)}"
                   for key, item in value.items()]
        return "{\n" + ",\n".join(members) + f"\n{indent}}}"
    members = [inner + render(item, inner) for item in value]
    return "[\n" + ",\n".join(members) + f"\n{indent}]"


def describe_pin(pin: dict[str, Any]) -> str:
    tags = ", ".join(f"{k}={v}" for k, v in pin.get("tags", {}).items())
    return f"{pin['exposure']} run {pin['run']}" + (f" ({tags})" if tags else "")
