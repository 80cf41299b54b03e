"""The offline side: point-in-time-correct training sets and leakage checks.

Exports are loaded on first use, so ``import featureops`` (and the CLI's ``--help``) does
not pay for pyarrow and DuckDB.
"""

from __future__ import annotations

from featureops._lazy import lazy_exports

_EXPORTS = {
    "get_historical_features": "featureops.offline.retrieval",
    "plan_training_set": "featureops.offline.retrieval",
    "TrainingSetJob": "featureops.offline.retrieval",
    "JoinOptions": "featureops.offline.retrieval",
    "check_leakage": "featureops.offline.leakage",
    "LeakageFinding": "featureops.offline.leakage",
    "LeakageReport": "featureops.offline.leakage",
    "TrainingSetError": "featureops.offline.errors",
}

__all__ = sorted(_EXPORTS)

__getattr__ = lazy_exports(__name__, _EXPORTS)
