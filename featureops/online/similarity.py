"""``find_similar(view, vector, k, filter)``: the k entities whose embedding is nearest to a
query vector (cosine distance), optionally among those whose scalar features equal given
values. SQLite answers from sqlite-vec indexes; Redis from a cached matrix (exact search)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from featureops.exceptions import FeatureopsError
from featureops.online.encoding import decode_key
from featureops.online.sdk import OnlineFeatureClient, OnlineRequestError, key_kind, not_online
from featureops.online.vectors import SimilarityError, query_vector, vector_field

MAX_K = 1000


@dataclass(frozen=True)
class SimilarEntity:
    entity: dict[str, Any]
    distance: float


def find_similar(client: OnlineFeatureClient, view: str, vector: Sequence[float] | None = None,
                 k: int = 10, filter: Mapping[str, Any] | None = None,  # noqa: A002 - API name
                 feature: str | None = None, entity: Mapping[str, Any] | None = None,
                 max_k: int = MAX_K, fresh: bool = True) -> list[SimilarEntity]:
    """Nearest entities of ``view`` to ``vector``, or to the embedding of ``entity``.
    ``fresh=False`` lets a store answer from its previous index while a newer one loads
    (OnlineStore.find_similar)."""
    try:
        feature_view = client.catalog.view(view)
    except FeatureopsError as error:
        raise OnlineRequestError(str(error)) from None
    if not feature_view.spec.online:
        raise not_online(view)
    if not isinstance(k, int) or isinstance(k, bool) or not 1 <= k <= max_k:
        raise OnlineRequestError(f"k must be an integer from 1 to {max_k}, got {k!r}")
    state = client.store.live_state(view)
    if state is None:
        return []
    try:
        feature = feature or _only_vector(state.layout, view)
        spec = vector_field(state.layout, view, feature)
        if (vector is None) == (entity is None):
            raise SimilarityError("give either vector (a list of numbers) or entity (the key "
                                  "of an entity whose embedding is the query)")
        if entity is not None:
            vector = _embedding_of(client, view, feature, entity)
        query = query_vector(spec, view, vector)
        pairs = client.store.find_similar(view, feature, query, k, dict(filter or {}), fresh)
    except (SimilarityError, NotImplementedError) as error:
        raise OnlineRequestError(str(error)) from None
    kinds = [key_kind(feature_view, key) for key in feature_view.entities]
    return [SimilarEntity(dict(zip(feature_view.entities, decode_key(key, kinds), strict=True)),
                          distance) for key, distance in pairs]


def _only_vector(layout: Any, view: str) -> str:
    vectors = [f.name for f in layout.fields if f.kind == "vector"]
    if len(vectors) != 1:
        raise SimilarityError(
            f"feature view '{view}' has {len(vectors)} embedding features "
            f"({', '.join(vectors) or 'none'}); name one with feature=")
    return vectors[0]


def _embedding_of(client: OnlineFeatureClient, view: str, feature: str,
                  entity: Mapping[str, Any]) -> Any:
    found = client.get_online_features(
        features=[f"{view}:{feature}"], entities={k: [v] for k, v in entity.items()})
    value = found.values[0][0]
    if value.value is None:
        raise SimilarityError(f"entity {dict(entity)} has no {view}:{feature} ({value.status})")
    return value.value
