"""Model bundles: the model-side artifact of a dataset version (ordered features, their
definition hashes and types, preprocessing fitted in SQL) and the one function that
applies its preprocessing to training frames and served vectors alike
(docs/reproducibility.md, "Model bundles")."""

from __future__ import annotations

from featureops._lazy import lazy_exports

_EXPORTS = {
    "apply": "featureops.bundles.preprocess",
    "Bundle": "featureops.bundles.bundle",
    "get_bundle_features": "featureops.bundles.online",
    "read_bundle": "featureops.bundles.bundle",
    "write_bundle": "featureops.bundles.bundle",
    "PreprocessingSpec": "featureops.bundles.spec",
}

__all__ = sorted(_EXPORTS)

__getattr__ = lazy_exports(__name__, _EXPORTS)
