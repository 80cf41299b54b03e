"""Small manifest.json dictionaries built in code, for unit tests of the catalog,
validation and CLI: each test states exactly the nodes it needs."""

from __future__ import annotations

import copy
from typing import Any

SCHEMA_V12 = "https://schemas.getdbt.com/dbt/manifest/v12.json"

VALID_VIEW_META: dict[str, Any] = {
    "kind": "feature_view",
    "entities": ["user_id"],
    "timestamp": "event_at",
    "ttl": "7d",
    "online": True,
    "owner": "risk-ml",
    "status": "active",
    "last_reviewed": "2026-11-01",
    "sla": {"freshness": "1h"},
}


def column(name: str, data_type: str | None = "bigint", description: str = "") -> dict:
    return {"name": name, "description": description or f"The {name}.", "data_type": data_type,
            "constraints": [], "meta": {}, "tags": []}


def model(name: str, *, meta: Any = None, columns: list[dict] | None = None,
          enforced: bool = True, package: str = "proj", group: str | None = None) -> dict:
    config_meta = {} if meta is None else {"featureops": copy.deepcopy(meta)}
    cols = columns if columns is not None else [
        column("user_id"), column("event_at", "timestamp"), column("spend_sum_7d", "double")]
    return {
        "unique_id": f"model.{package}.{name}",
        "name": name,
        "resource_type": "model",
        "package_name": package,
        "path": f"features/{name}.sql",
        "original_file_path": f"models/features/{name}.sql",
        "patch_path": f"{package}://models/features/_features__models.yml",
        "description": f"The {name} feature view.",
        "columns": {c["name"]: c for c in cols},
        "meta": {},
        "tags": [],
        "config": {"meta": config_meta, "materialized": "table", "enabled": True,
                   "contract": {"enforced": enforced}, "group": group},
        "contract": {"enforced": enforced},
        "depends_on": {"nodes": [], "macros": []},
        "relation_name": f'"db"."main"."{name}"',
        "fqn": [package, "features", name],
    }


def exposure(name: str, depends_on: list[str], *, features: list[str] | None = None,
             exposure_type: str = "ml", package: str = "proj", **extra_meta: Any) -> dict:
    block: dict[str, Any] = {}
    if features is not None:
        block = {"featureops": {"features": features, **extra_meta}}
    return {
        "unique_id": f"exposure.{package}.{name}",
        "name": name,
        "resource_type": "exposure",
        "package_name": package,
        "type": exposure_type,
        "owner": {"name": "risk-ml", "email": "risk-ml@example.com"},
        "maturity": "high",
        "description": f"The {name} model.",
        "depends_on": {"nodes": depends_on, "macros": []},
        "original_file_path": "models/exposures/_exposures.yml",
        "meta": {},
        "config": {"meta": block, "enabled": True},
    }


def manifest(*nodes: dict, exposures: tuple[dict, ...] = (), groups: tuple[dict, ...] = ()
             ) -> dict:
    return {
        "metadata": {"dbt_schema_version": SCHEMA_V12, "dbt_version": "1.11.0",
                     "project_name": "proj", "adapter_type": "duckdb"},
        "nodes": {node["unique_id"]: node for node in nodes},
        "sources": {},
        "exposures": {e["unique_id"]: e for e in exposures},
        "groups": {g["unique_id"]: g for g in groups},
        "metrics": {}, "semantic_models": {}, "saved_queries": {}, "unit_tests": {},
        "disabled": {},
    }
