"""Helpers shared by the stores' similarity search: which features can filter a search,
and how query vectors and filter values are checked."""

from __future__ import annotations

from typing import Any

import numpy as np

from featureops.exceptions import FeatureopsError
from featureops.online.layout import FieldSpec, RecordLayout

#: sqlite-vec allows 16 metadata columns; the same limit keeps both stores alike.
MAX_FILTER_FIELDS = 16
#: How a null string feature is indexed (an index column cannot hold NULL), so no filter
#: may ask for it: it would match the entities without a value.
NULL_STRING = "\x00"
FILTER_KINDS = ("int", "float", "bool", "string")


class SimilarityError(FeatureopsError):
    """A similarity request names a feature that is no vector, or a bad filter or vector."""


def vector_field(layout: RecordLayout, view: str, feature: str) -> FieldSpec:
    try:
        spec = layout.field(feature)
    except KeyError:
        raise SimilarityError(f"feature view '{view}' has no feature '{feature}'") from None
    if spec.kind != "vector":
        raise SimilarityError(f"feature '{view}:{feature}' is a {spec.kind}, not an embedding")
    return spec


def filter_fields(layout: RecordLayout) -> list[FieldSpec]:
    """Scalar features that similarity searches can filter on (first 16, layout order)."""
    return [f for f in layout.fields if f.kind in FILTER_KINDS][:MAX_FILTER_FIELDS]


def check_filters(layout: RecordLayout, view: str,
                  filters: dict[str, Any] | None) -> list[tuple[int, FieldSpec, Any]]:
    """(position among filter fields, field, value) for each equality filter."""
    usable = filter_fields(layout)
    checked = []
    for name, value in (filters or {}).items():
        matches = [(i, f) for i, f in enumerate(usable) if f.name == name]
        if not matches:
            raise SimilarityError(
                f"cannot filter '{view}' on '{name}': filters can use "
                f"{', '.join(f.name for f in usable) or 'no feature'}"
            )
        position, spec = matches[0]
        checked.append((position, spec, _coerce_filter(view, spec, value)))
    return checked


def _coerce_filter(view: str, spec: FieldSpec, value: Any) -> Any:
    expected = {"int": int, "float": (int, float), "bool": bool, "string": str}[spec.kind]
    if (isinstance(value, bool) and spec.kind != "bool" or not isinstance(value, expected)
            or spec.kind == "int" and not -(2**63) < value < 2**63
            or spec.kind == "float" and not np.isfinite(value)):
        raise SimilarityError(
            f"filter '{view}:{spec.name}' must be a {spec.kind}, got {value!r}"
        )
    if value == NULL_STRING and spec.kind == "string":
        raise SimilarityError(f"filter '{view}:{spec.name}' cannot be {NULL_STRING!r}: it "
                              "marks a missing value in the index")
    return value


def query_vector(spec: FieldSpec, view: str, vector: Any) -> np.ndarray:
    """The query as float32, checked against the feature's dimension."""
    try:
        with np.errstate(over="ignore"):  # a value beyond float32 becomes inf, refused below
            array = np.asarray(vector, dtype=np.float32)
    except (TypeError, ValueError):
        raise SimilarityError(f"the query vector for '{view}:{spec.name}' is not numeric") from None
    if array.ndim != 1 or (spec.dim and array.shape[0] != spec.dim):
        raise SimilarityError(
            f"the query vector for '{view}:{spec.name}' must have {spec.dim or 'the same'} "
            f"elements, got shape {array.shape}"
        )
    with np.errstate(over="ignore", under="ignore"):
        norm = np.linalg.norm(array) if np.isfinite(array).all() else np.inf
    if not 0 < norm < np.inf:  # its length must be a float32 too: distances divide by it
        raise SimilarityError(
            f"the query vector for '{view}:{spec.name}' must be finite, non-zero and of a "
            "length within float32 range")
    return array
