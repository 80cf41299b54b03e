"""Feature-view lifecycle against its consumers (exposures downstream, at any depth)."""

from __future__ import annotations

from featureops.audit.context import AuditContext, ViewFacts, describe_exposures, is_production
from featureops.audit.rule import rule


@rule(severity="warning", target="feature_view",
      fix="Declare the ML model that reads it as an exposure (depends_on the view or its "
          "training set), or mark the view experimental or deprecated.")
def feature_view_without_consumer(view: ViewFacts, ctx: AuditContext) -> str | None:
    """Active feature view that no exposure reads, directly or through other models."""
    if view.status != "active" or ctx.consumers(view.unique_id):
        return None
    return "is active but no exposure consumes it (computed and stored for nobody?)"


@rule(severity="warning", target="feature_view",
      fix="Move the consumers to the replacement named in deprecation_guide, then remove "
          "the view.")
def deprecated_feature_view_consumed(view: ViewFacts, ctx: AuditContext) -> str | None:
    """Deprecated feature view still read by an exposure."""
    consumers = ctx.consumers(view.unique_id)
    if view.status != "deprecated" or not consumers:
        return None
    when = view.date("deprecation_date")
    until = f" (removal due {when})" if when else ""
    return f"is deprecated{until} but still consumed by {describe_exposures(consumers)}"


@rule(severity="error", target="feature_view",
      fix="Remove the view (its consumers must have migrated), or move deprecation_date "
          "with `featureops deprecate VIEW --date ... --guide ...`.")
def feature_view_deprecation_date_passed(view: ViewFacts, ctx: AuditContext) -> str | None:
    """Feature view still in the project after its deprecation_date."""
    when = view.date("deprecation_date")
    if when is None:
        return None
    if isinstance(when, str):
        return f"deprecation_date {when!r} is not a date (YYYY-MM-DD)"
    if when >= ctx.today:
        return None
    return f"deprecation_date {when} has passed ({(ctx.today - when).days} days ago)"


@rule(severity="error", target="feature_view",
      fix="Promote the view to active (after review), or keep production models off it.")
def experimental_feature_view_in_production(view: ViewFacts, ctx: AuditContext) -> str | None:
    """Experimental feature view consumed by a production exposure (maturity high or
    meta.featureops.stage production)."""
    if view.status != "experimental":
        return None
    production = [e for e in ctx.consumers(view.unique_id) if is_production(e)]
    if not production:
        return None
    return f"is experimental but feeds production {describe_exposures(production)}"
