"""Model bundles (featureops.bundles): what a trained model expects of its features."""

from __future__ import annotations

from featureops.audit.context import AuditContext
from featureops.audit.rule import rule
from featureops.manifest import Exposure


@rule(severity="error", target="exposure",
      fix="Retrain the model on a training set of the current definitions and build its "
          "bundle again (featureops training-set, featureops bundle), or revert the change.")
def bundle_definitions_changed(exposure: Exposure, ctx: AuditContext) -> str | None:
    """Model bundle of the exposure built from feature definitions that have changed since
    (the feature server refuses it with 409)."""
    from featureops.bundles.check import judge

    stale = []
    for bundle in ctx.bundles:
        if bundle.exposure != exposure.name:
            continue
        verdict = judge(bundle, ctx.live_view_hashes({f.view for f in bundle.features}))
        if verdict.changed:
            views = sorted({ref.partition(":")[0] for ref in verdict.changed})
            stale.append(f"bundle {bundle.id} (dataset {bundle.dataset_version}): "
                         f"{', '.join(views)} changed ({len(verdict.changed)} feature(s): "
                         f"{', '.join(verdict.changed)})")
        if verdict.unchecked_views:
            stale.append(f"bundle {bundle.id}: no compiled SQL for "
                         f"{', '.join(verdict.unchecked_views)} to compare (run dbt compile)")
    return "; ".join(stale) or None
