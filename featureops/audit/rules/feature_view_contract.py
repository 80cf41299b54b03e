"""Feature-view contracts: enforced schema, tested keys, ttl, PII in online stores."""

from __future__ import annotations

from featureops.audit.context import AuditContext, ViewFacts
from featureops.audit.coverage import not_null_columns, proves_unique, unique_column_sets
from featureops.audit.rule import rule


@rule(severity="error", target="feature_view",
      fix="Add `contract: {enforced: true}` under the model's config, with a data_type for "
          "every column.")
def feature_view_contract_not_enforced(view: ViewFacts, ctx: AuditContext) -> str | None:
    """Feature view without an enforced dbt contract."""
    if view.node.contract_enforced:
        return None
    return "has no enforced contract, so its schema can change under its consumers"


@rule(severity="error", target="feature_view",
      fix="Add a not_null test (or a not_null constraint) on every entity key, and a "
          "unique_combination_of_columns test on the entity keys and timestamp.")
def feature_view_entity_keys_untested(view: ViewFacts, ctx: AuditContext) -> str | None:
    """Feature view whose entity keys lack not_null tests, or whose grain (entity keys +
    timestamp) has no uniqueness test."""
    tests = ctx.tests_on(view.unique_id)
    keys = list(view.entities)
    if not keys:
        return "declares no entities, so its grain cannot be tested"
    problems = []
    unguarded = [k for k in keys if k.lower() not in not_null_columns(view.node, tests)]
    if unguarded:
        problems.append(f"no not_null test or constraint on {', '.join(unguarded)}")
    grain = [*keys, *([view.timestamp] if view.timestamp else [])]
    if not proves_unique(grain, unique_column_sets(tests)):
        problems.append(f"no uniqueness test on ({', '.join(grain)})")
    return "; ".join(problems) or None


@rule(severity="warning", target="feature_view",
      fix="Set meta.featureops.ttl (for example 7d): how long a feature value stays valid.")
def feature_view_missing_ttl(view: ViewFacts, ctx: AuditContext) -> str | None:
    """Feature view without a ttl (stale values would be served and joined forever)."""
    if view.block.get("ttl"):
        return None
    return "has no ttl: point-in-time joins and the online store never expire its values"


@rule(severity="error", target="feature_view",
      fix="Get the column approved for online serving and record it as meta.pii_approval "
          "(ticket or approver) on the column or the model, or stop serving it online.")
def online_feature_view_pii_unapproved(view: ViewFacts, ctx: AuditContext, *,
                                       pii_tags: tuple[str, ...] = ("pii",),
                                       pii_meta_keys: tuple[str, ...] = ("pii", "contains_pii"),
                                       ) -> str | None:
    """Online feature view with PII columns (column tags or meta) and no approval flag."""
    if not view.online or _approved(view.node.meta):
        return None
    tags = {t.lower() for t in pii_tags}
    flagged = [
        name for name, column in view.node.columns.items()
        if ({t.lower() for t in column.tags} & tags
            or any(column.meta.get(k) is True for k in pii_meta_keys)
            or str(column.meta.get("sensitivity", "")).lower() in tags)
        and not _approved(column.meta)
    ]
    if not flagged:
        return None
    return f"serves PII column(s) {', '.join(flagged)} online without meta.pii_approval"


def _approved(meta: dict) -> bool:
    approval = meta.get("pii_approval")
    return bool(approval) and (not isinstance(approval, str) or bool(approval.strip()))
