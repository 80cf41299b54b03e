"""What a training set was computed from, besides its rows: the definition of every feature
view it reads, the contract version of each, the featureops macros that joined them, and
the dbt invocation that built the warehouse (docs/reproducibility.md, "Definition hash").

A view's definition is its compiled SQL with every relation it reads written back as
``ref('name')`` / ``source('source', 'table')``: the same definition built into another
database, schema or DuckDB file hashes the same, while any edit of its SQL (or of a macro
it calls, which changes the compiled text) does not. Its ttl, created-timestamp column,
timestamp, entities and the columns read from it are part of it too.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from featureops.manifest import Manifest, Node, Source
from featureops.offline.macros import MACRO_FOLDERS, MacroSource
from featureops.package import cli_version, installed_version, package_macros


def canonical_json(data: Any) -> str:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def sha256_of(text: str) -> str:
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def normalized_sql(manifest: Manifest, node: Node) -> tuple[str, str]:
    """The view's compiled SQL with its inputs' relation names replaced by ref()/source(),
    and "compiled"; from a manifest of `dbt parse` (no compiled SQL), its raw SQL and
    "raw" (an edit of a macro it calls is then not seen)."""
    if node.compiled_code is None:
        return node.raw_code.strip() + "\n", "raw"
    sql = node.compiled_code
    replacements = []
    for parent_id in node.depends_on:
        parent = manifest.get(parent_id)
        relation = getattr(parent, "relation_name", None)
        if not relation:
            continue
        if isinstance(parent, Source):
            token = f"source('{parent.source_name}', '{parent.name}')"
        else:
            token = f"ref('{parent.name}')"
        replacements.append((relation, token))
    # Longest first: one relation name can be a prefix of another.
    for relation, token in sorted(replacements, key=lambda item: -len(item[0])):
        sql = sql.replace(relation, token)
    return sql.strip() + "\n", "compiled"


def view_definitions(manifest: Manifest, views: Sequence[Mapping[str, Any]]
                     ) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """(definition per view, normalized SQL per view) for resolve_feature_views' output."""
    definitions, sql = [], {}
    for view in views:
        node = manifest.find_model(view["unique_id"])
        text, kind = normalized_sql(manifest, node)
        sql[view["name"]] = text
        definitions.append({
            "view": view["name"],
            "sql": kind,
            "sql_hash": sha256_of(text),
            "entities": list(view["entities"]),
            "timestamp": view["timestamp"],
            "created_timestamp": _defined(view.get("created_timestamp")),
            "ttl": _defined(view.get("ttl")),
            "columns": [feature["column"] for feature in view["features"]],
        })
    return definitions, sql


def _defined(value: Any) -> Any:
    """A value from rendered jinja: an undefined attribute (a spec without it) is None."""
    import jinja2

    return None if isinstance(value, jinja2.Undefined) else value


def macro_version(manifest: Manifest) -> dict[str, Any]:
    """The featureops package version and a hash of the join's macros: as built, or the
    shipped package's when the manifest has none (featureops.offline.macros does the same)."""
    wanted = tuple(f"macros/{folder}/" for folder in MACRO_FOLDERS)
    texts = sorted((macro.unique_id, macro.sql) for macro in package_macros(manifest)
                   if macro.path.startswith(wanted))
    if texts:
        return {"package_version": installed_version(manifest),
                "sql_hash": sha256_of(canonical_json(texts))}
    shipped = MacroSource.shipped()
    texts = sorted((Path(origin).relative_to(shipped.origin).as_posix(), text)
                   for origin, text in shipped.texts)
    return {"package_version": cli_version(), "sql_hash": sha256_of(canonical_json(texts))}


def contract_versions(manifest: Manifest, views: Sequence[Mapping[str, Any]],
                      contracts_dir: Path) -> dict[str, int | None]:
    """Per view, the registered contract version its current contract is (None: the
    contract is not enforced, or this contract was never registered)."""
    from featureops.contracts.contract import contract_of
    from featureops.contracts.registry import Registry

    registry = Registry(contracts_dir)
    out: dict[str, int | None] = {}
    for view in views:
        node = manifest.find_model(view["unique_id"])
        found = None
        if node.contract_enforced:
            checksum = contract_of(node, manifest.adapter_type).checksum
            model_version = None if node.version is None else str(node.version)
            for entry in registry.load(node.name).versions:
                if (entry.contract is not None and entry.model_version == model_version
                        and entry.contract.checksum == checksum):
                    found = entry.version
        out[view["name"]] = found
    return out


def dbt_invocation(manifest: Manifest) -> dict[str, Any]:
    """The dbt invocation behind the manifest and, when beside it, run_results.json."""
    out: dict[str, Any] = {"invocation_id": manifest.invocation_id,
                           "generated_at": manifest.generated_at,
                           "dbt_version": manifest.dbt_version,
                           "adapter": manifest.adapter_type,
                           "run_invocation_id": None, "run_generated_at": None}
    results = Path(manifest.path).with_name("run_results.json")
    try:
        metadata = json.loads(results.read_text(encoding="utf-8")).get("metadata") or {}
    except (OSError, ValueError, AttributeError):
        return out
    out["run_invocation_id"] = metadata.get("invocation_id")
    out["run_generated_at"] = metadata.get("generated_at")
    return out
