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
    from featureops.bundles.check import changed_features

    stale = []
    for bundle in ctx.bundles:
        if bundle.exposure != exposure.name:
            continue
        changed = changed_features(bundle, ctx.live_view_hashes({f.view for f in
                                                                 bundle.features}))
        if changed:
            views = sorted({ref.partition(":")[0] for ref in changed})
            stale.append(f"bundle {bundle.id} (dataset {bundle.dataset_version}): "
                         f"{', '.join(views)} changed ({len(changed)} feature(s): "
                         f"{', '.join(changed)})")
    return "; ".join(stale) or None
