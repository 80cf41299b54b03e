"""Governance audits of a dbt project: typed rules over manifest resources, configured in
dbt_project.yml, reported as a table, JSON, JUnit XML or Markdown. See docs/audit.md."""

from featureops.audit.config import AuditConfig, Suppression
from featureops.audit.registry import DuplicateRuleError, RuleRegistry
from featureops.audit.rule import Finding, Rule, rule
from featureops.audit.runner import AuditReport, run_audit

__all__ = [
    "AuditConfig",
    "AuditReport",
    "DuplicateRuleError",
    "Finding",
    "Rule",
    "RuleRegistry",
    "Suppression",
    "rule",
    "run_audit",
]
