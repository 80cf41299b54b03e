"""Online features through a bundle: its features, in its order, optionally preprocessed;
the same reordering for the server (featureops.serving.bundled) and the SDK."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from featureops.bundles.bundle import Bundle, read_bundle
from featureops.bundles.preprocess import transform_value
from featureops.online.sdk import OnlineColumns, OnlineRequestError

if TYPE_CHECKING:
    from featureops.online.sdk import OnlineFeatureClient, OnlineFeatures


def references(bundle: Bundle) -> list[str]:
    return [feature.reference for feature in bundle.features]


#: (bundle id, the answer's references) -> where each bundle feature is in the answer,
#: and (position, parameters) of each preprocessed one: worked out once per bundle
_LAYOUTS: dict[tuple[str, tuple[str, ...]], tuple[list[int], list[tuple[int, Any]]]] = {}
_MAX_LAYOUTS = 256


def _layout(answer: OnlineColumns, bundle: Bundle) -> tuple[list[int], list[tuple[int, Any]]]:
    key = (bundle.id, tuple(answer.feature_refs))
    found = _LAYOUTS.get(key)
    if found is None:
        position = {ref: index for index, ref in enumerate(answer.feature_refs)}
        for feature in bundle.features:
            if feature.reference not in position:  # a request-time view without its fields
                raise OnlineRequestError(
                    f"bundle {bundle.id}: feature {feature.reference} was not served"
                    + (f" (not online: {', '.join(answer.offline_views)})"
                       if answer.offline_views else ""))
        found = ([position[feature.reference] for feature in bundle.features],
                 [(index, bundle.preprocessing[feature.column])
                  for index, feature in enumerate(bundle.features)
                  if feature.column in bundle.preprocessing])
        if len(_LAYOUTS) >= _MAX_LAYOUTS:
            _LAYOUTS.clear()
        _LAYOUTS[key] = found
    return found


def in_bundle_order(answer: OnlineColumns, bundle: Bundle, preprocess: bool) -> OnlineColumns:
    """The answer's columns in the bundle's order, named by its references, with the
    bundle's exposure as the service; with ``preprocess``, each value through the bundle's
    transform of its feature (featureops.bundles.preprocess)."""
    layout, preprocessed = _layout(answer, bundle)
    columns = [answer.columns[index] for index in layout]
    if preprocess:
        for position, params in preprocessed:
            column = columns[position]
            columns[position] = column._replace(
                values=[transform_value(params, v) for v in column.values])
    return OnlineColumns(references(bundle), answer.entity_names, answer.entity_rows,
                         columns, [answer.feature_views[index] for index in layout],
                         bundle.exposure, answer.offline_views)


def get_bundle_features(client: OnlineFeatureClient, bundle: Bundle | str | Path,
                        entities: Mapping[str, Sequence[Any]],
                        as_of: datetime | None = None,
                        preprocess: bool = False) -> OnlineFeatures:
    """What ``POST /features`` with ``"bundle"`` answers, in process: the bundle (or its
    folder) checked against the client's manifest (BundleDefinitionsChangedError naming
    the features whose definitions changed), then its features looked up, in its order.
    The check runs on every call: a loop over many requests belongs to the server, which
    checks each bundle once."""
    from featureops.bundles.check import definition_changes

    if not isinstance(bundle, Bundle):
        bundle = read_bundle(bundle)
    verdict = definition_changes(bundle, client.project.manifest)
    if verdict:
        raise verdict.error(bundle.id)
    raw = client.get_online_features(references(bundle), None, entities, as_of).to_columns()
    return in_bundle_order(raw, bundle, preprocess).to_features()
