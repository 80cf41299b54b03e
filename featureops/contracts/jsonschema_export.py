"""A model's contract as a JSON Schema (draft 2020-12) that producers outside featureops can
validate records with before sending them.

One object per record. Each column is a property with its description and a type from the
contract (integers carry their type's bounds, ``varchar(n)`` a ``maxLength``, fixed-size
arrays ``minItems``/``maxItems``, timestamps ``format: date-time``); nullable columns also
accept ``null``. ``required`` lists the entity keys, the timestamp and every not-null
column (constraint or error-severity ``not_null`` test). ``accepted_range`` tests become
``minimum``/``maximum`` (``exclusive*`` when ``inclusive: false``), ``accepted_values``
tests an ``enum``. Warn-severity tests are left out: they never reject a record. Unknown
properties are refused (``additionalProperties: false``), as the push path does in strict
mode.
"""

from __future__ import annotations

from typing import Any

from featureops.contracts.contract import contract_of
from featureops.contracts.rules import ERROR, ColumnRules, ModelRules, model_rules
from featureops.contracts.types import INT_BITS, SIGNED_INT_BITS, SqlType
from featureops.manifest import Manifest, Node

DRAFT = "https://json-schema.org/draft/2020-12/schema"
REAL_MAX = 3.4028234663852886e38
_STRING_FORMATS = {"timestamp": "date-time", "timestamptz": "date-time", "date": "date",
                   "time": "time", "timetz": "time", "uuid": "uuid"}


def integer_bounds(base: str) -> tuple[int, int]:
    bits = INT_BITS[base]
    if base in SIGNED_INT_BITS:
        return -(2 ** (bits - 1)), 2 ** (bits - 1) - 1
    return 0, 2 ** bits - 1


def json_schema(manifest: Manifest, node: Node) -> dict[str, Any]:
    """The JSON Schema of one model's records."""
    rules = model_rules(manifest, node)
    properties = {column.name: _property(column) for column in rules.columns}
    required = [c.name for c in rules.columns if _not_null(c)]
    version = "" if node.version is None else f".v{node.version}"
    schema: dict[str, Any] = {
        "$schema": DRAFT,
        "$id": f"urn:featureops:{manifest.project_name}:{node.name}{version}",
        "title": node.name + version,
        "description": node.description.strip(),
        "type": "object",
        "properties": properties,
        "required": required,
        "additionalProperties": False,
        "x-featureops": _annotations(manifest, node, rules),
    }
    return schema


def _annotations(manifest: Manifest, node: Node, rules: ModelRules) -> dict[str, Any]:
    contract = contract_of(node, manifest.adapter_type)
    data: dict[str, Any] = {"model": node.unique_id, "contract_checksum": contract.checksum,
                            "compatibility": contract.compatibility}
    if rules.spec is not None:
        data.update(entities=list(rules.spec.entities), timestamp=rules.spec.timestamp)
        if rules.spec.producer:
            data["producer"] = rules.spec.producer
    if rules.skipped:
        data["tests_not_expressible"] = list(rules.skipped)
    return data


def _not_null(column: ColumnRules) -> bool:
    return column.required or column.not_null_test == ERROR


def _property(column: ColumnRules) -> dict[str, Any]:
    schema: dict[str, Any] = {}
    if column.description:
        schema["description"] = column.description
    schema.update(type_schema(column.sql_type))
    for rule in column.ranges:
        if rule.severity != ERROR:
            continue
        if rule.minimum is not None:
            _tighten(schema, "minimum" if rule.inclusive else "exclusiveMinimum", rule.minimum,
                     max)
        if rule.maximum is not None:
            _tighten(schema, "maximum" if rule.inclusive else "exclusiveMaximum", rule.maximum,
                     min)
    enums = [set(r.values) for r in column.accepted if r.severity == ERROR]
    if enums:
        allowed = set.intersection(*enums)
        schema["enum"] = [v for v in column.accepted[0].values if v in allowed]
    if not _not_null(column):
        _allow_null(schema)
    return schema


def _tighten(schema: dict[str, Any], key: str, value: float, pick: Any) -> None:
    number: float | int = int(value) if float(value).is_integer() else value
    schema[key] = pick(schema[key], number) if key in schema else number


def _allow_null(schema: dict[str, Any]) -> None:
    if "type" in schema:
        schema["type"] = [schema["type"], "null"]
    if "enum" in schema:
        schema["enum"] = [*schema["enum"], None]


def type_schema(sql_type: SqlType | None) -> dict[str, Any]:
    """The JSON Schema of one value of a SQL type (``{}``: any value, type unknown)."""
    if sql_type is None:
        return {}
    if sql_type.array:
        items = type_schema(SqlType(sql_type.base, sql_type.params, sql_type.array[1:]))
        schema: dict[str, Any] = {"type": "array", "items": items}
        if sql_type.array[0] is not None:
            schema["minItems"] = schema["maxItems"] = sql_type.array[0]
        return schema
    base = sql_type.base
    if base in INT_BITS:
        low, high = integer_bounds(base)
        return {"type": "integer", "minimum": low, "maximum": high}
    if base == "real":
        return {"type": "number", "minimum": -REAL_MAX, "maximum": REAL_MAX}
    if base in ("double", "decimal"):
        return {"type": "number"}
    if base == "boolean":
        return {"type": "boolean"}
    if base in ("varchar", "char"):
        return {"type": "string", **({"maxLength": sql_type.params[0]} if sql_type.params else {})}
    if base in _STRING_FORMATS:
        return {"type": "string", "format": _STRING_FORMATS[base]}
    if base == "blob":
        return {"type": "string", "contentEncoding": "base64"}
    return {}
