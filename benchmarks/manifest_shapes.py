"""Synthetic dbt manifests of configurable shape, for benchmarks (not for tests).

Independent of ``featureops.testing.manifests`` on purpose: a benchmark that only ever reads
what one generator writes can hide a slow path another shape would expose. Here each node
carries the fields dbt 1.11 writes (config, checksum, docs, compiled code...), and the shape
varies by columns per model, compiled code size and tests per model.

    .venv/bin/python benchmarks/manifest_shapes.py OUT.json [--models 10000]
                     [--columns 5] [--code-bytes 1500] [--tests-per-model 5] [--exposures 500]
"""

from __future__ import annotations

import argparse
import json
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PROJECT = "shapes"


@dataclass(frozen=True)
class Shape:
    name: str
    models: int = 10_000
    columns: int = 5
    code_bytes: int = 500
    tests_per_model: int = 5
    exposures: int = 500
    sources: int = 200


#: The shapes the benchmark runs, each 60-80 MB: the issue's (10,000 models with 5
#: columns and 5 tests each), wide models (40 columns, little SQL), and narrow models with
#: large compiled SQL and many tests.
SHAPES = (
    Shape("issue", code_bytes=200),
    Shape("wide", models=4_500, columns=40, code_bytes=300, tests_per_model=2),
    Shape("heavy_sql", models=5_000, columns=2, code_bytes=6_000, tests_per_model=8),
)


def _sql(rng: random.Random, parents: list[str], size: int) -> str:
    cols = ", ".join(f"c{i}" for i in range(8))
    body = f"select {cols} from {parents[0] if parents else 'raw'}"
    filler = " ".join(f"and c{rng.randrange(8)} > {rng.randrange(1000)}" for _ in range(size // 20))
    return f"with base as ({body}) select * from base where 1 = 1 {filler}"[:size]


def _node(uid: str, name: str, kind: str, schema: str) -> dict[str, Any]:
    return {
        "database": "warehouse", "schema": schema, "name": name, "resource_type": kind,
        "package_name": PROJECT, "path": f"{schema}/{name}.sql",
        "original_file_path": f"models/{schema}/{name}.sql", "unique_id": uid,
        "fqn": [PROJECT, schema, name], "alias": name,
        "checksum": {"name": "sha256", "checksum": f"{abs(hash(uid)):064x}"[:64]},
        "tags": [], "meta": {}, "group": None, "docs": {"show": True, "node_color": None},
        "build_path": None, "unrendered_config": {}, "created_at": 1_700_000_000.0,
        "config_call_dict": {}, "relation_name": f'"warehouse"."{schema}"."{name}"',
    }


def _column(name: str, i: int) -> dict[str, Any]:
    return {"name": name, "description": f"Column {name}: documented value number {i}.",
            "meta": {}, "data_type": "varchar" if i % 2 else "bigint", "constraints": [],
            "quote": None, "config": {"meta": {}, "tags": []}, "tags": [], "granularity": None,
            "doc_blocks": []}


def generate(shape: Shape, seed: int = 7) -> dict[str, Any]:
    rng = random.Random(seed)
    nodes: dict[str, Any] = {}
    sources: dict[str, Any] = {}
    exposures: dict[str, Any] = {}
    source_ids = [f"source.{PROJECT}.raw.table_{i}" for i in range(shape.sources)]
    for uid in source_ids:
        name = uid.rsplit(".", 1)[1]
        sources[uid] = {
            **_node(uid, name, "source", "raw"), "source_name": "raw", "identifier": name,
            "loaded_at_field": "loaded_at", "columns": {}, "description": "",
            "freshness": {"warn_after": {"count": None, "period": None}},
            "config": {"enabled": True}, "source_meta": {}, "loader": "",
        }
    model_ids: list[str] = []
    for i in range(shape.models):
        name = f"m_{i:05d}"
        uid = f"model.{PROJECT}.{name}"
        if i < shape.sources or not model_ids:
            parents = [source_ids[i % len(source_ids)]]
        else:
            parents = rng.sample(model_ids[max(0, len(model_ids) - 2_000):], k=rng.randint(1, 3))
        columns = {f"col_{c}": _column(f"col_{c}", c) for c in range(shape.columns)}
        meta: dict[str, Any] = {"owner": f"team_{i % 17}"}
        if i % 50 == 0:  # some feature views, so the audit has its own work to do
            meta["featureops"] = {"entities": ["col_0"], "timestamp": "col_1",
                                  "owner": f"team_{i % 17}", "status": "active"}
        nodes[uid] = {
            **_node(uid, name, "model", f"layer_{i % 4}"),
            "description": f"Model {name} built from {len(parents)} parents.",
            "columns": columns, "meta": meta, "patch_path": f"{PROJECT}://models/_{name}.yml",
            "config": {"enabled": True, "materialized": "table", "tags": [], "meta": meta,
                       "contract": {"enforced": False, "alias_types": True},
                       "access": "protected", "on_schema_change": "ignore", "grants": {},
                       "packages": [], "persist_docs": {}, "post-hook": [], "pre-hook": []},
            "depends_on": {"macros": [], "nodes": parents},
            "raw_code": "select * from {{ ref('x') }}", "language": "sql",
            "compiled_code": _sql(rng, parents, shape.code_bytes), "compiled": True,
            "refs": [{"name": p.rsplit(".", 1)[1], "package": None, "version": None}
                     for p in parents],
            "sources": [], "metrics": [], "contract": {"enforced": False, "checksum": None},
            "access": "protected", "constraints": [], "version": None, "latest_version": None,
        }
        model_ids.append(uid)
        for t in range(shape.tests_per_model):
            column = f"col_{t % shape.columns}"
            test_name = ("not_null", "unique", "accepted_values", "relationships")[t % 4]
            tname = f"{test_name}_{name}_{column}_{t}"
            tid = f"test.{PROJECT}.{tname}"
            tested = f"{{{{ get_where_subquery(ref('{name}')) }}}}"
            nodes[tid] = {
                "name": tname, "resource_type": "test", "package_name": PROJECT,
                "unique_id": tid, "schema": "dbt_test__audit", "tags": [], "meta": {},
                "original_file_path": f"models/_{name}.yml",
                "attached_node": uid, "column_name": column, "file_key_name": f"models.{name}",
                "test_metadata": {"name": test_name, "namespace": None,
                                  "kwargs": {"column_name": column, "model": tested}},
                "config": {"enabled": True, "severity": "ERROR"},
                "depends_on": {"macros": [f"macro.dbt.test_{test_name}"], "nodes": [uid]},
                "raw_code": f"{{{{ test_{test_name}(**_dbt_generic_test_kwargs) }}}}",
                "language": "sql",
            }
    marts = model_ids[-max(1, shape.models // 5):]
    for e in range(shape.exposures):
        uid = f"exposure.{PROJECT}.exp_{e}"
        exposures[uid] = {
            "name": f"exp_{e}", "resource_type": "exposure", "package_name": PROJECT,
            "unique_id": uid, "fqn": [PROJECT, f"exp_{e}"], "type": "ml" if e % 3 else "dashboard",
            "owner": {"name": f"owner {e % 23}", "email": f"o{e % 23}@example.com"},
            "description": "", "label": None, "maturity": "high", "meta": {}, "tags": [],
            "config": {"enabled": True}, "url": None, "original_file_path": "models/exp.yml",
            "depends_on": {"macros": [], "nodes": rng.sample(marts, k=min(3, len(marts)))},
            "refs": [], "sources": [], "metrics": [], "created_at": 1_700_000_000.0,
        }
    return {
        "metadata": {"dbt_schema_version": "https://schemas.getdbt.com/dbt/manifest/v12.json",
                     "dbt_version": "1.11.0", "generated_at": "2026-01-01T00:00:00Z",
                     "invocation_id": "shapes", "project_name": PROJECT,
                     "adapter_type": "duckdb", "env": {}},
        "nodes": nodes, "sources": sources, "macros": {}, "docs": {}, "exposures": exposures,
        "metrics": {}, "groups": {}, "selectors": {}, "disabled": {}, "parent_map": {},
        "child_map": {}, "group_map": {}, "saved_queries": {}, "semantic_models": {},
        "unit_tests": {},
    }


def write(shape: Shape, path: Path) -> int:
    """Write the manifest of ``shape`` to ``path`` (with dbt's parent/child maps); its size."""
    data = generate(shape)
    parents: dict[str, list[str]] = {}
    children: dict[str, list[str]] = {}
    for group in ("nodes", "sources", "exposures"):
        for uid, node in data[group].items():
            parents[uid] = list(node.get("depends_on", {}).get("nodes", []))
            children.setdefault(uid, [])
            for parent in parents[uid]:
                children.setdefault(parent, []).append(uid)
    data["parent_map"], data["child_map"] = parents, children
    text = json.dumps(data)
    path.write_text(text, encoding="utf-8")
    return len(text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path)
    defaults = Shape("custom")
    for option in ("models", "columns", "code_bytes", "tests_per_model", "exposures"):
        parser.add_argument(f"--{option.replace('_', '-')}", type=int,
                            default=getattr(defaults, option))
    args = parser.parse_args()
    shape = Shape("custom", models=args.models, columns=args.columns,
                  code_bytes=args.code_bytes, tests_per_model=args.tests_per_model,
                  exposures=args.exposures)
    size = write(shape, args.out)
    print(f"wrote {args.out} ({size / 1e6:.1f} MB)")


if __name__ == "__main__":
    main()
