"""Feature-view governance metadata: owner, description, status, review date."""

from __future__ import annotations

from featureops.audit.context import AuditContext, ViewFacts
from featureops.audit.rule import rule

STATUSES = ("active", "experimental", "deprecated")


@rule(severity="error", target="feature_view",
      fix="Set meta.featureops.owner (a team), or put the model in a dbt group with an owner.")
def feature_view_missing_owner(view: ViewFacts, ctx: AuditContext) -> str | None:
    """Feature view without an owner (meta.featureops.owner or its dbt group's owner)."""
    if view.owner:
        return None
    return "has no owner: nobody is answerable for its features or gets deprecation notices"


@rule(severity="warning", target="feature_view",
      fix="Describe what the features mean, their grain and their windows in the model's "
          "description.")
def feature_view_short_description(view: ViewFacts, ctx: AuditContext, *,
                                   min_length: int = 50) -> str | None:
    """Feature view whose description is shorter than `min_length` characters."""
    length = len(" ".join(view.node.description.split()))
    if length >= min_length:
        return None
    return f"description has {length} characters (at least {min_length} expected)"


@rule(severity="error", target="feature_view",
      fix="Set meta.featureops.status to active, experimental or deprecated.")
def feature_view_invalid_status(view: ViewFacts, ctx: AuditContext) -> str | None:
    """Feature view whose status is missing or not active, experimental or deprecated."""
    if view.status in STATUSES:
        return None
    if view.status is None:
        return "has no status (active, experimental or deprecated)"
    return f"status {view.status!r} is not one of {', '.join(STATUSES)}"


@rule(severity="warning", target="feature_view",
      fix="Review the view with its owner and set meta.featureops.last_reviewed to today's "
          "date (YYYY-MM-DD).")
def feature_view_review_overdue(view: ViewFacts, ctx: AuditContext, *,
                                max_age_days: int = 90) -> str | None:
    """Feature view whose last_reviewed is missing, not a date, in the future, or older
    than `max_age_days` days."""
    reviewed = view.date("last_reviewed")
    if reviewed is None:
        return "has never been reviewed (no meta.featureops.last_reviewed)"
    if isinstance(reviewed, str):
        return f"last_reviewed {reviewed!r} is not a date (YYYY-MM-DD)"
    age = (ctx.today - reviewed).days
    if age < 0:
        return f"last_reviewed {reviewed} is in the future"
    if age > max_age_days:
        return f"last reviewed {age} days ago ({reviewed}); the limit is {max_age_days} days"
    return None
