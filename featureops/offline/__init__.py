"""The offline side: point-in-time-correct training sets and leakage checks.

Exports are loaded on first use, so ``import featureops`` (and the CLI's ``--help``) does
not pay for pyarrow and DuckDB.
"""

from __future__ import annotations

import importlib
from typing import Any

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


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'featureops.offline' has no attribute {name!r}")
    return getattr(importlib.import_module(_EXPORTS[name]), name)
