"""Running the enabled rules over a manifest and collecting an :class:`AuditReport`."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any

from featureops.audit.config import AuditConfig
from featureops.audit.context import AuditContext
from featureops.audit.registry import RuleRegistry
from featureops.audit.rule import SEVERITIES, Finding, Rule
from featureops.lineage.graph import LineageGraph
from featureops.manifest import Manifest


@dataclass(frozen=True)
class RuleRun:
    rule: Rule
    severity: str
    checked: int  # resources the rule ran on (0: it did not apply to this project)


@dataclass
class AuditReport:
    project: str
    manifest: str
    today: date
    packages: tuple[str, ...]
    runs: list[RuleRun]
    findings: list[Finding]  # not suppressed
    suppressed: list[Finding] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def counts(self) -> dict[str, int]:
        counts = Counter(f.severity for f in self.findings)
        return {severity: counts.get(severity, 0) for severity in SEVERITIES}

    @property
    def failed(self) -> bool:
        """True when any unsuppressed finding has error severity (exit code 1)."""
        return any(f.severity == "error" for f in self.findings)

    def to_dict(self) -> dict[str, Any]:
        return {
            "project": self.project,
            "manifest": self.manifest,
            "as_of": self.today.isoformat(),
            "packages": list(self.packages),
            "passed": not self.failed,
            "counts": self.counts,
            "rules": [{"id": r.rule.id, "severity": r.severity, "target": r.rule.target,
                       "checked": r.checked, "description": r.rule.description}
                      for r in self.runs],
            "findings": [f.to_dict() for f in self.findings],
            "suppressed": [f.to_dict() for f in self.suppressed],
            "notes": self.notes,
        }


def run_audit(manifest: Manifest, config: AuditConfig | None = None, *, today: date,
              registry: RuleRegistry | None = None, lineage: LineageGraph | None = None,
              only: tuple[str, ...] = (), bundles_dir: Path | None = None) -> AuditReport:
    """Evaluate every enabled rule (or only the ``only`` ids) on the audited packages;
    ``bundles_dir``: the model bundles the bundle rules check (none without it)."""
    config = config or AuditConfig()
    registry = registry or RuleRegistry.with_namespaces(config.rule_namespaces)
    config.check_against(registry)
    packages, notes = _packages(manifest, config)
    context = AuditContext(manifest, today=today, packages=packages, lineage=lineage,
                           bundles_dir=bundles_dir)
    report = AuditReport(manifest.project_name, manifest.path, today, tuple(sorted(packages)),
                         [], [], notes=notes)
    for rule in registry:
        if only and rule.id not in only:
            continue
        if not only and not config.is_enabled(rule.id, rule.enabled_by_default):
            continue
        severity = config.severity.get(rule.id, rule.severity)
        params = config.params_for(rule.id, rule.params)
        checked = 0
        for resource in context.resources(rule.target):
            checked += 1
            message = rule.check(resource, context, params)
            if message:
                finding = _finding(rule, severity, resource, message)
                reason = _suppression(config, finding, today)
                if reason:
                    report.suppressed.append(replace(finding, suppressed=reason))
                else:
                    report.findings.append(finding)
        report.runs.append(RuleRun(rule, severity, checked))
    report.findings.sort(key=lambda f: (SEVERITIES.index(f.severity), f.rule, f.name))
    report.notes.extend(_expired(config, today))
    return report


def _finding(rule: Rule, severity: str, resource: Any, message: str) -> Finding:
    node = getattr(resource, "node", resource)  # ViewFacts wrap their model
    path = (getattr(node, "yaml_path", None) or getattr(node, "original_file_path", "")
            or "")
    name = getattr(node, "name", "")
    if getattr(node, "source_name", None):
        name = f"{node.source_name}.{name}"
    return Finding(rule.id, severity, node.unique_id, name, path, message, rule.fix)


def _suppression(config: AuditConfig, finding: Finding, today: date) -> str | None:
    for suppression in config.suppress:
        if suppression.covers(finding.rule, finding.resource, finding.name, today):
            return suppression.reason
    return None


def _expired(config: AuditConfig, today: date) -> list[str]:
    return [f"suppression of {s.rule} on {s.resource} expired on {s.until}; its findings "
            f"are reported again (extend `until` or fix them)"
            for s in config.suppress if s.until is not None and today > s.until]


def _packages(manifest: Manifest, config: AuditConfig) -> tuple[frozenset[str], list[str]]:
    """The packages to audit, and notes on the choice.

    Default: the root project. A root project that owns no model, source or exposure (a
    package's integration-test project, say) gets every package audited instead, since
    auditing nothing would look like a clean bill of health.
    """
    if config.packages:
        chosen = frozenset(config.packages)
        return chosen, _scope_notes(manifest, chosen)
    root = manifest.project_name
    owned = [r for group in (manifest.models, manifest.sources, manifest.exposures)
             for r in group.values()]
    if owned and not any(r.package_name == root for r in owned):
        chosen = frozenset(r.package_name for r in owned)
        return chosen, [f"the root project {root} owns no model, source or exposure, so the "
                        f"packages it installs were audited: {', '.join(sorted(chosen))}"]
    return frozenset({root}), _scope_notes(manifest, frozenset({root}))


def _scope_notes(manifest: Manifest, packages: frozenset[str]) -> list[str]:
    """Say what was left out, so a clean report on a project with installed packages is
    not mistaken for a clean report on everything."""
    outside: Counter[str] = Counter(
        m.package_name for m in manifest.models.values() if m.package_name not in packages)
    if not outside:
        return []
    audited = sum(1 for m in manifest.models.values() if m.package_name in packages)
    listing = ", ".join(f"{p} ({n})" for p, n in outside.most_common())
    return [f"{audited} model(s) audited in {', '.join(sorted(packages))}; models of other "
            f"packages were not: {listing} (audit them with --package NAME or --all-packages)"]
