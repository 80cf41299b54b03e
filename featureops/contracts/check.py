"""``contracts check`` and ``contracts register``: every contracted model version of a
manifest compared with its history, from the registry or from an older manifest.

Histories are kept per *line*: one line per dbt model version (``versions:``), plus the
unversioned line. A new dbt version starts a new line, so a breaking change is legal for
it while the old version, still in the project, keeps its own line and history. When an
unversioned model becomes versioned, its history continues into the lowest dbt version
that has none of its own (the old definition kept as v1, by dbt's convention). A line with
no contract in the manifest any more (model deleted, disabled, contract no longer
enforced, or a dbt version dropped) is a ``contract_removed`` change.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone

from featureops.contracts.compatibility import (
    Change,
    Violation,
    check_history,
    diff_contracts,
    removal_change,
)
from featureops.contracts.contract import Contract, contracts_from_manifest, version_sort_key
from featureops.contracts.registry import (
    ModelHistory,
    RegisteredVersion,
    Registry,
    live_entries,
)
from featureops.manifest import Manifest

Key = tuple[str, str | None]
#: One line's history: (label, contract) pairs, oldest first.
History = list[tuple[str, Contract]]


@dataclass
class CheckReport:
    """What changed, what the modes forbid, and what is new or gone."""

    violations: list[Violation] = field(default_factory=list)
    changes: list[tuple[Change, str]] = field(default_factory=list)
    checked: list[str] = field(default_factory=list)
    new: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unregistered: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.violations

    def to_dict(self) -> dict[str, object]:
        violating = {(v.change, v.against) for v in self.violations}
        return {
            "ok": self.ok,
            "violations": [v.to_dict() for v in self.violations],
            "changes": [
                {**_change_dict(change), "against": against,
                 "violation": (change, against) in violating}
                for change, against in self.changes
            ],
            "checked": self.checked,
            "new": self.new,
            "removed": self.removed,
            "unregistered": self.unregistered,
        }


def _change_dict(change: Change) -> dict[str, object]:
    return {"model": change.model, "model_version": change.model_version,
            "column": change.column, "rule": change.rule, "old": change.old,
            "new": change.new, "detail": change.detail, "dbt_breaking": change.dbt_breaking}


def registry_histories(registry: Registry) -> dict[Key, History]:
    """Live history of every line in the registry, unversioned lines merged into the
    dbt version that continues them."""
    out: dict[Key, History] = {}
    for model, history in registry.load_all().items():
        for model_version, entries in _continued_lines(history).items():
            if entries:
                out[(model, model_version)] = [(e.label, e.contract) for e in entries
                                               if e.contract is not None]
    return out


def _continued_lines(history: ModelHistory) -> dict[str | None, list[RegisteredVersion]]:
    # The unversioned line continues into the lowest dbt version registered after it
    # (register always records that version, changed or not, to mark the hand-over).
    lines = history.lines()
    unversioned = lines.pop(None, [])
    versioned = sorted(lines, key=version_sort_key)
    if unversioned and versioned and lines[versioned[0]][0].version > unversioned[-1].version:
        lines[versioned[0]] = unversioned + lines[versioned[0]]
    elif unversioned:
        lines[None] = unversioned
    return {line: live_entries(entries) for line, entries in lines.items()}


def manifest_histories(manifest: Manifest) -> dict[Key, History]:
    """Each contract of an older manifest as a one-version history."""
    return {key: [("baseline", contract)]
            for key, contract in contracts_from_manifest(manifest).items()}


def match_lines(current: Mapping[Key, Contract], baselines: Mapping[Key, History]
                ) -> dict[Key, Key | None]:
    """Which current contract continues each baseline line (None: none does)."""
    mapping: dict[Key, Key | None] = {}
    taken: set[Key] = set()
    for key in baselines:
        if key in current:
            mapping[key] = key
            taken.add(key)
    for key in baselines:
        if key in mapping:
            continue
        successor = None
        if key[1] is None:
            candidates = sorted((k for k in current if k[0] == key[0] and k[1] is not None
                                 and k not in taken and k not in baselines),
                                key=lambda k: version_sort_key(k[1]))
            successor = candidates[0] if candidates else None
        mapping[key] = successor
        if successor is not None:
            taken.add(successor)
    return mapping


def check_contracts(current: Mapping[Key, Contract], baselines: Mapping[Key, History], *,
                    fail_on_dbt_breaking: bool = False,
                    why_missing: Callable[[Key], str] | None = None) -> CheckReport:
    """Compare every current contract with its history under the governing mode."""
    report = CheckReport()
    mapping = match_lines(current, baselines)
    for base_key, history in baselines.items():
        latest_label, latest = history[-1]
        current_key = mapping[base_key]
        if current_key is None:
            why = why_missing(base_key) if why_missing else "no enforced contract any more"
            change = removal_change(latest, why)
            report.removed.append(latest.label)
            report.changes.append((change, latest_label))
            if change.breaks(latest.compatibility):
                report.violations.append(Violation(change, latest.compatibility, latest_label))
            continue
        new = current[current_key]
        report.checked.append(new.label)
        changes = diff_contracts(latest, new)
        report.changes.extend((change, latest_label) for change in changes)
        if new.checksum != latest.checksum:
            report.unregistered.append(new.label)
        violations = check_history(new, history)
        report.violations.extend(violations)
        if fail_on_dbt_breaking:
            flagged = {v.change for v in violations}
            report.violations.extend(Violation(change, "dbt", latest_label) for change in changes
                                     if change.dbt_breaking and change not in flagged)
    matched = {key for key in mapping.values() if key is not None}
    report.new = [contract.label for key, contract in current.items() if key not in matched]
    return report


def missing_reason(manifest: Manifest) -> Callable[[Key], str]:
    """Explain why a baseline line has no contract in ``manifest``."""

    def why(key: Key) -> str:
        name, version = key
        nodes = [m for m in manifest.models.values()
                 if m.name == name and m.package_name == manifest.project_name]
        if not nodes:
            if any(d.split(".")[2:3] == [name] for d in manifest.disabled_ids):
                return "the model is disabled"
            return "the model is no longer in the project"
        same = [m for m in nodes if (None if m.version is None else str(m.version)) == version]
        if not same:
            return f"dbt version {version} of the model is gone" if version else \
                "the model is now versioned and no version continues the unversioned one"
        return "the contract is no longer enforced"

    return why


@dataclass
class RegisterResult:
    """What ``register`` recorded, or would have recorded when ``refused``."""

    report: CheckReport
    registered: list[str] = field(default_factory=list)
    retired: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    written: list[str] = field(default_factory=list)
    refused: bool = False


def register_contracts(manifest: Manifest, registry: Registry, *,
                       allow_breaking: str | None = None, dry_run: bool = False,
                       now: datetime | None = None) -> RegisterResult:
    """Record a new registry version for every contract that changed.

    Nothing is written when any change violates its mode, unless ``allow_breaking``
    gives the reason, which is recorded with each breaking version. Registering is
    all-or-nothing across models; each file is replaced atomically.
    """
    current = contracts_from_manifest(manifest)
    baselines = registry_histories(registry)
    report = check_contracts(current, baselines, why_missing=missing_reason(manifest))
    result = RegisterResult(report, refused=bool(report.violations) and allow_breaking is None)
    stamp = (now or datetime.now(timezone.utc)).strftime("%Y-%m-%dT%H:%M:%SZ")
    breaking = {(v.change.model, v.change.model_version) for v in report.violations}
    histories: dict[str, ModelHistory] = {}

    def append(key: Key, contract: Contract | None, reason: str | None) -> None:
        history = histories.setdefault(key[0], registry.load(key[0]))
        history.versions.append(RegisteredVersion(history.next_version, key[1], stamp,
                                                  contract, reason))

    mapping = match_lines(current, baselines)
    continued = {successor: base for base, successor in mapping.items() if successor}
    for key, contract in current.items():
        base = continued.get(key)
        if base == key and baselines[base][-1][1].checksum == contract.checksum:
            result.unchanged.append(contract.label)
            continue
        append(key, contract, allow_breaking if key in breaking else None)
        result.registered.append(contract.label)
    explain = missing_reason(manifest)
    for base, successor in mapping.items():
        if successor is None:
            append(base, None, allow_breaking or explain(base))
            result.retired.append(baselines[base][-1][1].label)
    if not result.refused and not dry_run:
        result.written = [str(registry.write(histories[model])) for model in sorted(histories)]
    return result
