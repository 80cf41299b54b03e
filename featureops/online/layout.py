"""The physical layout of a feature view in the online store: its entity key columns and
its features, each with a storage kind.

Kinds are derived from the Arrow types the warehouse returns (the authoritative physical
types), so values come back with the type they were built with. The layout is stored with
every version, so a reader decodes a version with the layout it was written with, even
after the dbt contract has changed.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Literal

import pyarrow as pa

from featureops.exceptions import FeatureopsError

Kind = Literal["int", "float", "bool", "timestamp", "date", "string", "vector", "json"]
VectorDtype = Literal["float32", "float16"]

#: Kinds stored in the fixed-width part of a record (8 bytes, bool 1 byte).
FIXED_KINDS = ("int", "float", "bool", "timestamp", "date")
KEY_KINDS = ("int", "string")


class UnsupportedTypeError(FeatureopsError):
    """A warehouse column has a type the online store cannot hold."""


@dataclass(frozen=True)
class FieldSpec:
    """One feature column: its name, storage kind and, for vectors, element type."""

    name: str
    kind: Kind
    vector_dtype: VectorDtype | None = None
    dim: int | None = None  # fixed length of a vector (None: variable length)

    @property
    def is_fixed(self) -> bool:
        return self.kind in FIXED_KINDS

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"name": self.name, "kind": self.kind}
        if self.vector_dtype:
            data["vector_dtype"] = self.vector_dtype
        if self.dim:
            data["dim"] = self.dim
        return data


@dataclass(frozen=True)
class RecordLayout:
    """Entity keys (name, kind) and features of one view version."""

    keys: tuple[tuple[str, Kind], ...]
    fields: tuple[FieldSpec, ...]

    @property
    def key_names(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.keys)

    @property
    def feature_names(self) -> tuple[str, ...]:
        return tuple(spec.name for spec in self.fields)

    def field(self, name: str) -> FieldSpec:
        for spec in self.fields:
            if spec.name == name:
                return spec
        raise KeyError(name)

    def to_json(self) -> dict[str, Any]:
        return {"keys": [list(key) for key in self.keys],
                "fields": [spec.to_json() for spec in self.fields]}

    @cached_property
    def fingerprint(self) -> str:
        """A short stable id of the layout: records are only ever merged into a version
        whose layout has the same fingerprint (they are decoded with it)."""
        text = json.dumps(self.to_json(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RecordLayout:
        return cls(keys=tuple((name, kind) for name, kind in data["keys"]),
                   fields=tuple(FieldSpec(**spec) for spec in data["fields"]))


def kind_of(arrow_type: pa.DataType) -> Kind:
    """The storage kind of an Arrow type; decimals become floats, nested types JSON."""
    if pa.types.is_boolean(arrow_type):
        return "bool"
    if pa.types.is_integer(arrow_type):
        return "int"
    if pa.types.is_floating(arrow_type) or pa.types.is_decimal(arrow_type):
        return "float"
    if pa.types.is_timestamp(arrow_type):
        return "timestamp"
    if pa.types.is_date(arrow_type):
        return "date"
    if pa.types.is_string(arrow_type) or pa.types.is_large_string(arrow_type):
        return "string"
    if _is_list(arrow_type) and (pa.types.is_floating(arrow_type.value_type)
                                 or pa.types.is_integer(arrow_type.value_type)):
        return "vector"
    if _is_list(arrow_type) or pa.types.is_struct(arrow_type) or pa.types.is_map(arrow_type):
        return "json"
    raise UnsupportedTypeError(f"Arrow type {arrow_type} has no online representation")


def _is_list(arrow_type: pa.DataType) -> bool:
    return (pa.types.is_list(arrow_type) or pa.types.is_large_list(arrow_type)
            or pa.types.is_fixed_size_list(arrow_type))


def layout_from_schema(schema: pa.Schema, keys: tuple[str, ...], features: tuple[str, ...],
                       *, vector_dtype: VectorDtype = "float32",
                       where: str = "") -> RecordLayout:
    """Build the layout of a view from the Arrow schema of its warehouse relation."""
    key_specs = []
    for name in keys:
        kind = _column_kind(schema, name, where)
        if kind not in KEY_KINDS:
            raise UnsupportedTypeError(
                f"{where}entity key '{name}' has type {schema.field(name).type}; online "
                "entity keys must be integers or strings"
            )
        key_specs.append((name, kind))
    fields = []
    for name in features:
        kind = _column_kind(schema, name, where)
        arrow_type = schema.field(name).type
        dim = arrow_type.list_size if pa.types.is_fixed_size_list(arrow_type) else None
        fields.append(FieldSpec(name, kind, vector_dtype if kind == "vector" else None,
                                dim if kind == "vector" else None))
    return RecordLayout(tuple(key_specs), tuple(fields))


def _column_kind(schema: pa.Schema, name: str, where: str) -> Kind:
    index = schema.get_field_index(name)
    if index < 0:
        raise UnsupportedTypeError(
            f"{where}column '{name}' is declared in the contract but missing from the "
            "warehouse relation; rebuild it with `dbt build`"
        )
    try:
        return kind_of(schema.field(index).type)
    except UnsupportedTypeError as error:
        raise UnsupportedTypeError(f"{where}column '{name}': {error}") from None
