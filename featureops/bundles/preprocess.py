"""Apply a bundle's preprocessing: one scalar function per feature, used for a served
vector as it is, and mapped over a DataFrame's column, so training and serving get the
same numbers by construction."""

from __future__ import annotations

import bisect
import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from featureops.bundles.errors import BundleError

if TYPE_CHECKING:
    import pandas as pd

    from featureops.bundles.bundle import Bundle


def transform_value(params: Mapping[str, Any], value: Any) -> Any:
    """One value through its column's fill and transform (None/NaN is missing)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        value = params["fill"]
    transform = params["transform"]
    if transform == "vocabulary":
        vocabulary = params["vocabulary"]
        key = None if value is None else _category(value)
        index = params.get("_index")
        if index is None:  # built once per bundle load
            index = {v: i for i, v in enumerate(vocabulary)}
        return index.get(key, len(vocabulary))
    if value is None or transform is None:
        return value
    number = float(value)
    if transform == "standardize":
        return (number - params["mean"]) / params["std"]
    if transform == "minmax":
        span = params["max"] - params["min"]
        return (number - params["min"]) / (span if span else 1.0)
    return bisect.bisect_right(params["boundaries"], number)


def _category(value: Any) -> str:
    """A value as the vocabulary stores it (DuckDB's text: booleans 'true'/'false')."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def apply(bundle: Bundle, data: pd.DataFrame | Mapping[str, Any]) -> Any:
    """The bundle's features, in its order, preprocessed: a DataFrame for a DataFrame
    (columns named as in the training set), a dict for a served vector (keyed by training
    column, ``view:feature`` or ``view__feature``). A missing feature is an error."""
    if isinstance(data, Mapping):
        return {feature.column: _transform(bundle, feature.column,
                                           _lookup(data, feature))
                for feature in bundle.features}
    import pandas as pd

    missing = [f.column for f in bundle.features if f.column not in data.columns]
    if missing:
        raise BundleError(f"bundle {bundle.id}: the DataFrame has no column '{missing[0]}'")
    out = {}
    for feature in bundle.features:
        values = data[feature.column].astype(object).where(data[feature.column].notna(), None)
        out[feature.column] = [_transform(bundle, feature.column, v) for v in values]
    return pd.DataFrame(out, index=data.index)


def _transform(bundle: Bundle, column: str, value: Any) -> Any:
    params = bundle.preprocessing.get(column)
    return value if params is None else transform_value(params, value)


def _lookup(vector: Mapping[str, Any], feature: Any) -> Any:
    # Never the bare feature name: two views can offer the same one.
    for key in (feature.column, feature.reference, feature.reference.replace(":", "__")):
        if key in vector:
            return vector[key]
    raise BundleError(f"the served vector has no feature '{feature.reference}' "
                      f"(column {feature.column})")
