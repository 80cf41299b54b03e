"""Dataset versions: the identity of every training set written, the registry that records
them, and the comparisons between them (docs/reproducibility.md).

Exports are loaded on first use, as in featureops.offline.
"""

from __future__ import annotations

from featureops._lazy import lazy_exports

_EXPORTS = {
    "DatasetVersion": "featureops.datasets.identity",
    "read_file_version": "featureops.datasets.identity",
    "DatasetRegistry": "featureops.datasets.registry",
    "DatasetError": "featureops.datasets.errors",
}

__all__ = sorted(_EXPORTS)

__getattr__ = lazy_exports(__name__, _EXPORTS)
