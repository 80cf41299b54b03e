"""Errors of model bundles: one line naming the bundle, spec or feature."""

from __future__ import annotations

from featureops.exceptions import FeatureopsError


class BundleError(FeatureopsError):
    """A bundle, its spec, or the data it is applied to does not fit."""


class BundleNotFoundError(BundleError):
    """No bundle with the id asked for."""


class BundleDefinitionsChangedError(BundleError):
    """Features of the bundle whose live definitions differ from the bundle's, or cannot
    be compared (views without compiled SQL in the manifest)."""

    def __init__(self, bundle_id: str, changed: tuple[str, ...] | list[str],
                 unchecked_views: tuple[str, ...] | list[str] = ()) -> None:
        self.changed = tuple(changed)
        self.unchecked_views = tuple(unchecked_views)
        parts = []
        if changed:
            parts.append(f"the definitions of {len(changed)} feature(s) changed since it "
                         f"was built: {', '.join(changed)}")
        if unchecked_views:
            parts.append(f"the manifest has no compiled SQL for {', '.join(unchecked_views)}"
                         " (a partial dbt run, compile or parse wrote it), so they cannot "
                         "be compared: run dbt compile")
        super().__init__(f"bundle {bundle_id}: {'; '.join(parts)}; retrain on a new "
                         "training set and build the bundle again (featureops bundle)"
                         if changed else f"bundle {bundle_id}: {'; '.join(parts)}")
