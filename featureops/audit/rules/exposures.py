"""Exposures: the consumers lineage and deprecation notices reach."""

from __future__ import annotations

from featureops.audit.context import AuditContext
from featureops.audit.rule import rule
from featureops.manifest import Exposure


@rule(severity="warning", target="exposure",
      fix="Set owner.name and owner.email on the exposure.")
def exposure_without_owner(exposure: Exposure, ctx: AuditContext) -> str | None:
    """Exposure without an owner name or email (nobody to notify of changes)."""
    if exposure.owner_email and exposure.owner_name:
        return None
    missing = [k for k, v in (("name", exposure.owner_name), ("email", exposure.owner_email))
               if not v]
    return f"has no owner {' or '.join(missing)}"


@rule(severity="warning", target="exposure",
      fix="Make the models it reads public (with an enforced contract), or read public "
          "models that expose the same data.")
def exposure_depends_on_non_public_model(exposure: Exposure, ctx: AuditContext) -> str | None:
    """Exposure reading models that are not public (their shape may change freely)."""
    models = ctx.manifest.models
    private = [models[u].name for u in exposure.depends_on
               if u in models and models[u].access not in (None, "public")]
    if not private:
        return None
    return f"reads non-public model(s) {', '.join(private)}"
