"""`featureops datasets verify FILE`: recompute a training-set file's hashes from its rows
and its recorded definitions, and compare them with what its footer and the registry say.

A file whose rows were edited fails on the content (and spine) hash; one whose footer was
edited fails on the version id or the definition hash; one that disagrees with its
registry entry says which hash differs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from featureops.datasets.content import file_relation, hash_rows
from featureops.datasets.definitions import sha256_of
from featureops.datasets.identity import (
    DatasetVersion,
    definition_hash,
    read_file_version,
    version_id,
)
from featureops.datasets.registry import DatasetRegistry


@dataclass
class VerifyReport:
    path: Path
    version: str
    #: (what, recorded, recomputed) for every check that failed
    problems: list[tuple[str, str, str]] = field(default_factory=list)
    registered: bool = False
    checks: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_dict(self) -> dict[str, Any]:
        return {"path": str(self.path), "version": self.version, "ok": self.ok,
                "registered": self.registered, "checks": self.checks,
                "problems": [{"check": what, "recorded": recorded, "recomputed": recomputed}
                             for what, recorded, recomputed in self.problems]}


def verify_file(path: str | Path, registry: DatasetRegistry | None = None) -> VerifyReport:
    import duckdb

    path = Path(path)
    recorded = read_file_version(path)
    report = VerifyReport(path, recorded.version)

    def check(what: str, stored: str, actual: str) -> None:
        report.checks += 1
        if stored != actual:
            report.problems.append((what, stored, actual))

    with duckdb.connect(config={"autoinstall_known_extensions": False}) as conn:
        hashes = hash_rows(conn, file_relation(str(path)), recorded.spine_columns)
    check("rows", str(recorded.rows), str(hashes.rows))
    check("content_hash", recorded.content_hash, hashes.content_hash)
    check("spine_hash", recorded.spine_hash, hashes.spine_hash)
    check("definition_hash", recorded.definition_hash, definition_hash(recorded.definition))
    for view in recorded.definition.get("views", []):
        check(f"sql of {view['view']}", view["sql_hash"],
              sha256_of(recorded.sql.get(view["view"], "")))
    check("version", recorded.version, version_id(hashes.content_hash, hashes.spine_hash,
                                                  definition_hash(recorded.definition),
                                                  recorded.contracts))
    if registry is not None and recorded.version in registry.versions():
        report.registered = True
        _against_entry(recorded, registry.load(recorded.version), check)
    return report


def _against_entry(recorded: DatasetVersion, entry: DatasetVersion, check: Any) -> None:
    for name in ("content_hash", "spine_hash", "definition_hash"):
        check(f"registry {name}", getattr(entry, name), getattr(recorded, name))
