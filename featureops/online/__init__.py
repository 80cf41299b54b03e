"""The online store: materialization from the warehouse, pushes, lookups, similarity
search and the online/offline consistency check (see docs/online-store.md)."""

from featureops.online.base import OnlineStore, StoreUnavailableError, VersionState
from featureops.online.config import open_online_store
from featureops.online.consistency import ConsistencyReport, check_consistency
from featureops.online.materialize import MaterializeResult, materialize
from featureops.online.push import push_records
from featureops.online.sdk import (
    FeatureValue,
    OnlineFeatureClient,
    OnlineFeatures,
    OnlineRequestError,
    get_online_features,
)
from featureops.online.similarity import SimilarEntity, find_similar

__all__ = [
    "ConsistencyReport",
    "FeatureValue",
    "MaterializeResult",
    "OnlineFeatureClient",
    "OnlineFeatures",
    "OnlineRequestError",
    "OnlineStore",
    "SimilarEntity",
    "StoreUnavailableError",
    "VersionState",
    "check_consistency",
    "find_similar",
    "get_online_features",
    "materialize",
    "open_online_store",
    "push_records",
]
