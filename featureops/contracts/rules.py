"""What a model's contract and tests say about each column's values: type, nullability,
ranges and accepted values. One reading, used by the JSON Schema export and by write-time
validation of pushed records, so both enforce the same thing.

Read from the manifest:

* the contract: ``data_type`` and ``not_null`` / ``primary_key`` constraints;
* the feature view spec: entity keys and the timestamp are always required;
* data tests on the column: ``not_null``, ``accepted_values`` (``values``) and
  ``accepted_range`` (``min_value``, ``max_value``, ``inclusive``; featureops' own or
  dbt_utils'). A test with a ``where`` config holds only on a subset of rows, which a
  single record cannot be matched against, so it is skipped (and listed in ``skipped``).
  A test with ``severity: warn`` gives a warning, never a rejection.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from featureops.catalog import is_feature_view_node, parse_view_spec
from featureops.contracts.types import SqlType, parse_type
from featureops.manifest import DataTest, Manifest, Node, Source
from featureops.spec import FeatureViewSpec

ERROR, WARN = "error", "warn"


@dataclass(frozen=True)
class RangeRule:
    minimum: float | None
    maximum: float | None
    inclusive: bool
    severity: str
    test: str

    def describe(self) -> str:
        low = "[" if self.inclusive else "("
        high = "]" if self.inclusive else ")"
        lo = "-inf" if self.minimum is None else f"{self.minimum:g}"
        hi = "inf" if self.maximum is None else f"{self.maximum:g}"
        return f"{low}{lo}, {hi}{high}"


@dataclass(frozen=True)
class ValuesRule:
    values: tuple[Any, ...]
    severity: str
    test: str


@dataclass(frozen=True)
class ColumnRules:
    """Everything known about one column's values."""

    name: str
    data_type: str | None
    sql_type: SqlType | None
    description: str = ""
    #: A key or timestamp of a feature view, or a not_null/primary_key constraint.
    required: bool = False
    #: Severity of a ``not_null`` data test on a column the contract leaves nullable.
    not_null_test: str | None = None
    ranges: tuple[RangeRule, ...] = ()
    accepted: tuple[ValuesRule, ...] = ()


@dataclass(frozen=True)
class ModelRules:
    """The rules of every column of one model (or source table), in contract order."""

    model: Node | Source
    columns: tuple[ColumnRules, ...]
    spec: FeatureViewSpec | None = None
    skipped: tuple[str, ...] = field(default=())
    #: Key columns when there is no feature view spec (a stream source's event id...).
    keys: tuple[str, ...] = ()

    @property
    def key_columns(self) -> tuple[str, ...]:
        return self.spec.key_columns if self.spec else self.keys


def model_rules(manifest: Manifest, node: Node) -> ModelRules:
    """Collect the rules of ``node`` from its contract, spec and data tests."""
    spec = _spec(node)
    return _rules(manifest, node, spec, spec.key_columns if spec else (), node.constraints)


def source_rules(manifest: Manifest, table: Source, keys: tuple[str, ...]) -> ModelRules:
    """The rules of a source table's columns (their ``data_type`` and data tests), with
    ``keys`` required: what a stream source's events are validated against."""
    return _rules(manifest, table, None, keys, ())


def _rules(manifest: Manifest, node: Node | Source, spec: FeatureViewSpec | None,
           key_columns: tuple[str, ...], constraints: tuple[dict[str, Any], ...]
           ) -> ModelRules:
    keys = set(key_columns)
    tests: dict[str, list[DataTest]] = {}
    skipped: list[str] = []
    for test in manifest.tests_for(node.unique_id):
        if not test.enabled or test.column_name is None:
            continue
        config = test._raw.get("config") if isinstance(test._raw.get("config"), dict) else {}
        if config.get("where"):
            skipped.append(f"{test.name}: has a where filter")
            continue
        tests.setdefault(test.column_name, []).append(test)
    columns = []
    for column in node.columns.values():
        not_null = any(c.get("type") in ("not_null", "primary_key") for c in column.constraints)
        not_null = not_null or any(
            column.name in (c.get("columns") or ()) for c in constraints
            if c.get("type") == "primary_key")
        ranges, accepted, not_null_test = _test_rules(tests.get(column.name, ()), skipped)
        columns.append(ColumnRules(
            name=column.name,
            data_type=column.data_type,
            sql_type=parse_type(column.data_type, manifest.adapter_type)
            if column.data_type else None,
            description=column.description.strip(),
            required=not_null or column.name in keys,
            not_null_test=not_null_test,
            ranges=tuple(ranges),
            accepted=tuple(accepted),
        ))
    return ModelRules(node, tuple(columns), spec, tuple(skipped),
                      () if spec else tuple(key_columns))


def _spec(node: Node) -> FeatureViewSpec | None:
    # parse_view_spec turns an invalid block into a one-line error naming the YAML file.
    return parse_view_spec(node) if is_feature_view_node(node) else None


def _test_rules(tests: Any, skipped: list[str]
                ) -> tuple[list[RangeRule], list[ValuesRule], str | None]:
    ranges: list[RangeRule] = []
    accepted: list[ValuesRule] = []
    not_null: str | None = None
    for test in tests:
        severity = WARN if test.severity == "WARN" else ERROR
        if test.test_name == "not_null":
            not_null = ERROR if ERROR in (severity, not_null) else WARN
        elif test.test_name == "accepted_values":
            values = test.kwargs.get("values")
            if isinstance(values, list):
                accepted.append(ValuesRule(tuple(values), severity, test.name))
        elif test.test_name == "accepted_range":
            rule = _range_rule(test.kwargs, severity, test.name)
            if rule is None:
                skipped.append(f"{test.name}: bounds are not numbers")
            else:
                ranges.append(rule)
    return ranges, accepted, not_null


def _range_rule(kwargs: Mapping[str, Any], severity: str, name: str) -> RangeRule | None:
    bounds = []
    for key in ("min_value", "max_value"):
        value = kwargs.get(key)
        if value is None:
            bounds.append(None)
            continue
        try:
            number = float(value)
        except (TypeError, ValueError):
            return None
        if not math.isfinite(number):
            return None
        bounds.append(number)
    inclusive = kwargs.get("inclusive", True)
    inclusive = inclusive if isinstance(inclusive, bool) else str(inclusive).lower() != "false"
    return RangeRule(bounds[0], bounds[1], inclusive, severity, name)
