"""Errors of model bundles: one line naming the bundle, spec or feature."""

from __future__ import annotations

from featureops.exceptions import FeatureopsError


class BundleError(FeatureopsError):
    """A bundle, its spec, or the data it is applied to does not fit."""


class BundleNotFoundError(BundleError):
    """No bundle with the id asked for."""


class BundleDefinitionsChangedError(BundleError):
    """Features of the bundle whose live definitions differ from the bundle's."""

    def __init__(self, bundle_id: str, changed: list[str] | tuple[str, ...]) -> None:
        self.changed = tuple(changed)
        super().__init__(
            f"bundle {bundle_id}: the definitions of {len(changed)} feature(s) changed "
            f"since it was built: {', '.join(changed)}; retrain on a new training set and "
            "build the bundle again (featureops bundle)")
