"""``contracts scaffold``: the contract YAML of a model that has none, from what was built.

Column names, order and types come from the warehouse of the selected dbt target (DuckDB
or Postgres, featureops.engines) or from ``catalog.json`` (``dbt docs generate``, any
engine). Types are written in spellings
DuckDB and Postgres both accept (``double precision``, ``text``) where one exists. A
column gets a ``not_null`` constraint when the warehouse table has rows and none of them is
null in it; ``catalog.json`` holds no null counts, so from it alone no constraint is added.
Descriptions already in the model's YAML are kept.

The result is the model's entry to merge into its properties file (it has
``config.contract.enforced: true`` and every column's ``data_type``/``constraints``);
existing data tests stay where they are.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from featureops.contracts.types import parse_type, portable_spelling
from featureops.engines import Engine
from featureops.exceptions import FeatureopsError
from featureops.manifest import Manifest, Node


class ScaffoldError(FeatureopsError):
    """The model cannot be scaffolded (already contracted, not built, unknown types)."""


@dataclass(frozen=True)
class ScaffoldedColumn:
    name: str
    data_type: str
    not_null: bool
    description: str = ""


@dataclass(frozen=True)
class Scaffold:
    model: Node
    columns: tuple[ScaffoldedColumn, ...]
    source: str
    rows: int | None = None

    def to_yaml(self) -> str:
        columns = []
        for column in self.columns:
            entry: dict[str, Any] = {"name": column.name}
            if column.description:
                entry["description"] = column.description
            entry["data_type"] = column.data_type
            if column.not_null:
                entry["constraints"] = [{"type": "not_null"}]
            columns.append(entry)
        model: dict[str, Any] = {"name": self.model.name}
        if self.model.description.strip():
            model["description"] = self.model.description.strip()
        model["config"] = {"contract": {"enforced": True}}
        model["columns"] = columns
        where = self.model.yaml_path or "the folder's _<folder>__models.yml"
        evidence = (f"{self.rows:,} rows" if self.rows is not None else "no null counts")
        header = (f"# Contract of {self.model.name}, scaffolded by `featureops contracts "
                  f"scaffold` from {self.source} ({evidence}).\n# Merge into {where}; keep "
                  "its data tests.\n")
        body = yaml.dump({"version": 2, "models": [model]}, Dumper=_IndentedDumper,
                         sort_keys=False, allow_unicode=True, width=80, indent=2)
        return header + body


class _IndentedDumper(yaml.SafeDumper):
    """Indents list items under their key, as the project's YAML style (and sqlfluff's
    yamllint-like habits) want."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> Any:
        return super().increase_indent(flow, False)


def scaffold_from_warehouse(manifest: Manifest, node: Node, engine: Engine) -> Scaffold:
    """Types and null counts from the table dbt built, in an open warehouse engine."""
    _refuse_contracted(node)
    schema, table = node.schema or "main", node.alias or node.name
    described = engine.columns(schema, table)
    if not described:
        raise ScaffoldError(f"model '{node.name}' has no relation {schema}.{table} in the "
                            f"{engine.describe()}; build it first (dbt run -s {node.name}) "
                            "or pass --catalog")
    rows, null_free = _null_free(engine, f"{engine.quote(schema)}.{engine.quote(table)}",
                                 [name for name, _ in described])
    columns = tuple(
        ScaffoldedColumn(name, portable_spelling(parse_type(data_type, engine.adapter_type)),
                         rows > 0 and name in null_free, _description(node, name))
        for name, data_type in described)
    return Scaffold(node, columns, f"the {engine.describe()}", rows)


def _null_free(engine: Engine, relation: str, names: list[str]) -> tuple[int, set[str]]:
    counts = ", ".join(f"count({engine.quote(name)})" for name in names)
    result = engine.to_arrow(f"select count(*), {counts} from {relation}")
    total, *non_null = (int(column[0].as_py()) for column in result.columns)
    return total, {name for name, count in zip(names, non_null, strict=True) if count == total}


def scaffold_from_catalog(manifest: Manifest, node: Node, catalog: Path) -> Scaffold:
    """Types from ``catalog.json`` (no null counts there, so no constraints)."""
    _refuse_contracted(node)
    try:
        data = json.loads(catalog.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ScaffoldError(f"{catalog} does not exist; run `dbt docs generate` first, or "
                            "pass --warehouse") from None
    except (OSError, json.JSONDecodeError) as error:
        raise ScaffoldError(f"cannot read {catalog}: {error}") from None
    entry = (data.get("nodes") or {}).get(node.unique_id)
    if not isinstance(entry, dict) or not entry.get("columns"):
        raise ScaffoldError(f"{catalog} has no columns for {node.unique_id}; build the model "
                            "and re-run `dbt docs generate`")
    described = sorted(entry["columns"].values(), key=lambda c: c.get("index", 0))
    adapter = manifest.adapter_type
    columns = tuple(
        ScaffoldedColumn(c["name"], portable_spelling(parse_type(c["type"], adapter)), False,
                         _description(node, c["name"]))
        for c in described)
    return Scaffold(node, columns, catalog.name)


def _refuse_contracted(node: Node) -> None:
    if node.contract_enforced:
        raise ScaffoldError(f"model '{node.name}' already has an enforced contract "
                            f"({node.yaml_path}); see `featureops contracts show {node.name}`")


def _description(node: Node, column: str) -> str:
    for name, documented in node.columns.items():
        if name.lower() == column.lower():
            return documented.description.strip()
    return ""
