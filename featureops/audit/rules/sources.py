"""Sources: documented, with freshness checks."""

from __future__ import annotations

from featureops.audit.context import AuditContext
from featureops.audit.rule import rule
from featureops.manifest import Source


@rule(severity="warning", target="source",
      fix="Set loaded_at_field and freshness (warn_after / error_after) on the source.")
def source_without_freshness(source: Source, ctx: AuditContext) -> str | None:
    """Source without a freshness rule (warn_after or error_after)."""
    if source.has_freshness:
        return None
    return "has no freshness rule, so stale raw data goes unnoticed"


@rule(severity="warning", target="source",
      fix="Describe the table in the source's YAML: where it comes from, what a row is.")
def source_missing_description(source: Source, ctx: AuditContext) -> str | None:
    """Source table without a description."""
    return None if source.description.strip() else "has no description"
