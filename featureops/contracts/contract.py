"""The contract of one dbt model (one version of it), as featureops records and compares it.

A contracted model is any enabled model of the root project with ``contract: {enforced:
true}``, feature view or not. Its contract is what its consumers may rely on: the columns
in order, each with its declared ``data_type``, nullability (a ``not_null`` or
``primary_key`` constraint), its other constraints and a default where one is declared
(column ``meta.featureops.default``), the model-level constraints, the materialization
(constraints are only enforced on tables and incrementals), and the compatibility mode
that governs its next change (``meta.featureops.compatibility``, default ``backward``).

Descriptions and tests are not part of the contract: changing them never makes a new
version. The checksum covers exactly what :meth:`Contract.content` returns.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from featureops.exceptions import FeatureopsError
from featureops.manifest import Column, Manifest, Node
from featureops.spec import COMPATIBILITY_MODES

DEFAULT_MODE = "backward"
#: Materializations on which dbt enforces constraints.
CONSTRAINT_MATERIALIZATIONS = ("table", "incremental")
_NOT_NULL_TYPES = ("not_null", "primary_key")
# Constraint fields dbt writes with neutral values; only non-neutral ones are kept.
_CONSTRAINT_KEYS = ("type", "name", "expression", "columns", "to", "to_columns")


class InvalidContractError(FeatureopsError):
    """A model's contract or compatibility setting cannot be read."""


@dataclass(frozen=True)
class ColumnContract:
    """One column of a contract."""

    name: str
    data_type: str | None
    nullable: bool = True
    constraints: tuple[tuple[tuple[str, Any], ...], ...] = ()
    has_default: bool = False
    default: Any = None

    @property
    def constraint_dicts(self) -> list[dict[str, Any]]:
        return [dict(c) for c in self.constraints]

    def content(self) -> dict[str, Any]:
        data: dict[str, Any] = {"name": self.name, "data_type": self.data_type,
                                "nullable": self.nullable,
                                "constraints": self.constraint_dicts}
        if self.has_default:
            data["default"] = self.default
        return data

    @classmethod
    def from_content(cls, data: Mapping[str, Any]) -> ColumnContract:
        return cls(name=data["name"], data_type=data.get("data_type"),
                   nullable=bool(data.get("nullable", True)),
                   constraints=tuple(_freeze(c) for c in data.get("constraints", ())),
                   has_default="default" in data, default=data.get("default"))


@dataclass(frozen=True)
class Contract:
    """The contract of one model version."""

    model: str
    model_version: str | None
    compatibility: str
    materialized: str | None
    columns: tuple[ColumnContract, ...]
    constraints: tuple[tuple[tuple[str, Any], ...], ...] = ()
    adapter: str | None = None
    dbt_checksum: str | None = None

    @property
    def key(self) -> tuple[str, str | None]:
        return (self.model, self.model_version)

    @property
    def label(self) -> str:
        """``model`` or ``model.v2``, as reports name it."""
        return self.model if self.model_version is None else f"{self.model}.v{self.model_version}"

    @property
    def column_map(self) -> dict[str, ColumnContract]:
        return {column.name: column for column in self.columns}

    @property
    def constraint_dicts(self) -> list[dict[str, Any]]:
        return [dict(c) for c in self.constraints]

    @property
    def enforces_constraints(self) -> bool:
        return self.materialized in CONSTRAINT_MATERIALIZATIONS

    def content(self) -> dict[str, Any]:
        """Everything the checksum covers, in a fixed key order."""
        return {
            "compatibility": self.compatibility,
            "materialized": self.materialized,
            "columns": [column.content() for column in self.columns],
            "constraints": self.constraint_dicts,
        }

    @property
    def checksum(self) -> str:
        canonical = json.dumps(self.content(), sort_keys=True, separators=(",", ":"),
                               default=str)
        return "sha256:" + hashlib.sha256(canonical.encode()).hexdigest()

    @classmethod
    def from_content(cls, model: str, model_version: str | None, data: Mapping[str, Any],
                     adapter: str | None = None, dbt_checksum: str | None = None) -> Contract:
        return cls(model=model, model_version=model_version,
                   compatibility=data.get("compatibility", DEFAULT_MODE),
                   materialized=data.get("materialized"),
                   columns=tuple(ColumnContract.from_content(c) for c in data["columns"]),
                   constraints=tuple(_freeze(c) for c in data.get("constraints", ())),
                   adapter=adapter, dbt_checksum=dbt_checksum)


def is_contracted(node: Node, project_name: str) -> bool:
    return (node.resource_type == "model" and node.enabled and node.contract_enforced
            and (not project_name or node.package_name == project_name))


def contracts_from_manifest(manifest: Manifest) -> dict[tuple[str, str | None], Contract]:
    """Every contracted model version of the root project, keyed by (name, version)."""
    out = {}
    for node in manifest.models.values():
        if is_contracted(node, manifest.project_name):
            contract = contract_of(node, manifest.adapter_type)
            out[contract.key] = contract
    return dict(sorted(out.items(), key=lambda item: (item[0][0], version_sort_key(item[0][1]))))


def contract_of(node: Node, adapter: str | None = None) -> Contract:
    """The contract of one model node (enforced or not: scaffold and export use it too)."""
    model_constraints = tuple(_freeze(_clean_constraint(c)) for c in node.constraints)
    not_null_from_model = {
        column
        for constraint in node.constraints if constraint.get("type") == "primary_key"
        for column in constraint.get("columns") or ()
    }
    columns = tuple(_column_contract(node, column, not_null_from_model)
                    for column in node.columns.values())
    raw_contract = node._raw.get("contract")
    checksum = raw_contract.get("checksum") if isinstance(raw_contract, dict) else None
    return Contract(
        model=node.name,
        model_version=None if node.version is None else str(node.version),
        compatibility=compatibility_mode(node),
        materialized=node.materialized,
        columns=columns,
        constraints=model_constraints,
        adapter=adapter,
        dbt_checksum=checksum,
    )


def compatibility_mode(node: Node) -> str:
    """``meta.featureops.compatibility`` of any model (feature view or not), validated."""
    block = node.meta.get("featureops")
    mode = block.get("compatibility", DEFAULT_MODE) if isinstance(block, Mapping) else None
    mode = DEFAULT_MODE if mode is None else mode
    if mode not in COMPATIBILITY_MODES:
        raise InvalidContractError(
            f"{node.yaml_path or node.original_file_path}: model '{node.name}': "
            f"meta.featureops.compatibility: {mode!r} is not a mode; use one of "
            f"{', '.join(COMPATIBILITY_MODES)}"
        )
    return mode


def _column_contract(node: Node, column: Column, not_null_from_model: set[str]) -> ColumnContract:
    constraints = tuple(_freeze(_clean_constraint(c)) for c in column.constraints)
    nullable = column.name not in not_null_from_model and not any(
        c.get("type") in _NOT_NULL_TYPES for c in column.constraints
    )
    block = column.meta.get("featureops")
    if block is not None and not isinstance(block, Mapping):
        raise InvalidContractError(
            f"{node.yaml_path or node.original_file_path}: model '{node.name}': column "
            f"'{column.name}': meta.featureops must be a mapping (for example "
            f"{{default: 0}})"
        )
    has_default = isinstance(block, Mapping) and "default" in block
    return ColumnContract(
        name=column.name,
        data_type=column.data_type,
        nullable=nullable,
        constraints=constraints,
        has_default=has_default,
        default=block.get("default") if has_default else None,
    )


def _clean_constraint(constraint: Mapping[str, Any]) -> dict[str, Any]:
    """A constraint without dbt's neutral fields (nulls, empty lists, warn_* flags)."""
    return {key: constraint[key] for key in _CONSTRAINT_KEYS
            if constraint.get(key) not in (None, [], "")}


def _freeze(constraint: Mapping[str, Any]) -> tuple[tuple[str, Any], ...]:
    """A hashable constraint, keys sorted; lists become tuples."""
    return tuple(sorted((key, tuple(value) if isinstance(value, list) else value)
                        for key, value in constraint.items()))


def constraint_identity(constraint: tuple[tuple[str, Any], ...]) -> tuple[tuple[str, Any], ...]:
    """A constraint without its name: renaming a constraint changes no guarantee."""
    return tuple(item for item in constraint if item[0] != "name")


def describe_constraint(constraint: tuple[tuple[str, Any], ...]) -> str:
    data = dict(constraint)
    text = str(data.get("type", "?"))
    if data.get("columns"):
        text += "(" + ", ".join(data["columns"]) + ")"
    if data.get("expression"):
        text += f" {data['expression']}"
    if data.get("to"):
        text += f" -> {data['to']}"
    return text


def version_sort_key(version: str | None) -> tuple[int, float, str]:
    """Order dbt model versions: unversioned first, then numerically, then by text."""
    if version is None:
        return (0, 0.0, "")
    try:
        return (1, float(version), "")
    except ValueError:
        return (2, 0.0, version)
