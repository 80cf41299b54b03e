"""Build dbt ``manifest.json`` dicts without dbt: by hand for tests, or at scale for benchmarks.

:class:`ManifestBuilder` writes the v12 shape dbt 1.10+ writes (``meta``/``tags`` under
``config`` and at the top level, ``attached_node`` on tests, ``parent_map``/``child_map``),
trimmed to the keys featureops reads. Parents are given by unique_id or by the bare name of a
node added earlier, so tests read like the YAML they stand for.

:func:`synthetic_manifest` makes a large, realistic project (layered DAG of staging,
intermediate and mart models; tests on every model; exposures on the marts; a share of the
marts declared as feature views) for the lineage and audit benchmarks.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterable, Mapping, Sequence
from functools import cache
from typing import Any

from featureops.package import PACKAGE_NAME, package_dir

SCHEMA_URL = "https://schemas.getdbt.com/dbt/manifest/v{version}.json"
_PREFIXES = ("model.", "seed.", "snapshot.", "source.", "test.", "exposure.", "metric.",
             "semantic_model.", "analysis.", "saved_query.", "unit_test.")


class ManifestBuilder:
    """Accumulates resources and returns the manifest dict from :meth:`build`."""

    def __init__(self, project: str = "shop", *, adapter: str = "duckdb",
                 database: str = "dev", schema: str = "main", schema_version: int = 12,
                 generated_at: str = "2026-11-01T00:00:00.000000Z",
                 featureops_package: bool = True) -> None:
        self.project = project
        #: Whether the project installs the featureops dbt package (its macros are then in
        #: the manifest, as dbt writes them; the shipped package stands in for it).
        self.featureops_package = featureops_package
        self.adapter = adapter
        self.database = database
        self.schema = schema
        self.schema_version = schema_version
        self.generated_at = generated_at
        self.nodes: dict[str, dict[str, Any]] = {}
        self.sources: dict[str, dict[str, Any]] = {}
        self.exposures: dict[str, dict[str, Any]] = {}
        self.metrics: dict[str, dict[str, Any]] = {}
        self.semantic_models: dict[str, dict[str, Any]] = {}
        self.groups: dict[str, dict[str, Any]] = {}
        self.disabled: dict[str, list[dict[str, Any]]] = {}
        self._by_name: dict[str, str] = {}

    # -- resolving parents ------------------------------------------------------------------

    def uid(self, ref: str) -> str:
        """A unique_id as is, or the unique_id of the node added under this bare name."""
        if ref.startswith(_PREFIXES):
            return ref
        try:
            return self._by_name[ref]
        except KeyError:
            raise KeyError(f"no node named {ref!r} was added to the builder yet") from None

    def _uids(self, refs: Iterable[str]) -> list[str]:
        return [self.uid(ref) for ref in refs]

    def _relation(self, name: str, schema: str | None = None) -> str:
        return f'"{self.database}"."{schema or self.schema}"."{name}"'

    # -- resources --------------------------------------------------------------------------

    def source(self, source_name: str, name: str, *, columns: Mapping[str, Any] | None = None,
               description: str = "", freshness: bool = False, meta: Mapping[str, Any] |
               None = None, tags: Sequence[str] = (), loaded_at_field: str | None = None,
               package: str | None = None) -> str:
        package = package or self.project
        uid = f"source.{package}.{source_name}.{name}"
        rules = {"count": 12, "period": "hour"} if freshness else None
        self.sources[uid] = {
            "unique_id": uid, "name": name, "source_name": source_name,
            "resource_type": "source", "package_name": package,
            "original_file_path": f"models/staging/{source_name}/_{source_name}__sources.yml",
            "description": description, "columns": _columns(columns),
            "meta": dict(meta or {}), "tags": list(tags),
            "config": {"enabled": True, "meta": dict(meta or {}), "tags": list(tags)},
            "loaded_at_field": loaded_at_field or ("loaded_at" if freshness else None),
            "freshness": {"warn_after": rules or {"count": None, "period": None},
                          "error_after": {"count": None, "period": None}, "filter": None},
            "relation_name": self._relation(name, f"raw_{source_name}"),
            "database": self.database, "schema": f"raw_{source_name}", "identifier": name,
        }
        self._by_name[f"{source_name}.{name}"] = uid
        return uid

    def model(self, name: str, *, depends_on: Iterable[str] = (), description: str = "",
              columns: Mapping[str, Any] | None = None, meta: Mapping[str, Any] | None = None,
              tags: Sequence[str] = (), materialized: str = "view", contract: bool = False,
              access: str = "protected", group: str | None = None, sql: str | None = None,
              raw_code: str | None = None, language: str = "sql", package: str | None = None,
              resource_type: str = "model", path: str | None = None,
              patch_path: str | None = None, version: int | None = None,
              latest_version: int | None = None) -> str:
        """Add a model (or, with ``resource_type``, a seed, snapshot or analysis)."""
        package = package or self.project
        uid = f"{resource_type}.{package}.{name}" + (f".v{version}" if version else "")
        folder = {"seed": "seeds", "snapshot": "snapshots", "analysis": "analyses"}.get(
            resource_type, "models")
        original = path or f"{folder}/{name}.{'csv' if resource_type == 'seed' else 'sql'}"
        config = {
            "enabled": True, "materialized": "seed" if resource_type == "seed" else materialized,
            "meta": dict(meta or {}), "tags": list(tags), "access": access, "group": group,
            "contract": {"enforced": contract, "alias_types": True},
        }
        node = {
            "unique_id": uid, "name": name, "resource_type": resource_type,
            "package_name": package, "path": original.partition("/")[2],
            "original_file_path": original,
            "patch_path": f"{package}://{patch_path}" if patch_path else None,
            "description": description, "columns": _columns(columns),
            "meta": dict(meta or {}), "tags": list(tags), "fqn": [package, name],
            "config": config, "contract": config["contract"], "access": access, "group": group,
            "version": version, "latest_version": latest_version,
            "depends_on": {"nodes": self._uids(depends_on), "macros": []},
            "relation_name": self._relation(name), "database": self.database,
            "schema": self.schema, "alias": name, "raw_code": raw_code or sql or "",
            "compiled_code": sql, "language": language,
        }
        self.nodes[uid] = node
        if version is None or version == latest_version:
            self._by_name[name] = uid
        return uid

    def seed(self, name: str, **kwargs: Any) -> str:
        return self.model(name, resource_type="seed", **kwargs)

    def snapshot(self, name: str, **kwargs: Any) -> str:
        return self.model(name, resource_type="snapshot", materialized="snapshot", **kwargs)

    def test(self, test_name: str, on: str, *, column: str | None = None,
             kwargs: Mapping[str, Any] | None = None, also_depends_on: Iterable[str] = (),
             severity: str = "ERROR", name: str | None = None,
             namespace: str | None = None) -> str:
        """A generic test ``test_name`` on node ``on`` (``singular`` for a singular test)."""
        target = self.uid(on)
        target_name = target.split(".")[-1]
        name = name or "_".join(p for p in (test_name, target_name, column) if p)
        uid = f"test.{self.project}.{name}"
        parents = [target, *self._uids(also_depends_on)]
        args: dict[str, Any] = {"model": f"{{{{ get_where_subquery(ref('{target_name}')) }}}}"}
        if column:
            args["column_name"] = column
        args.update(kwargs or {})
        self.nodes[uid] = {
            "unique_id": uid, "name": name, "resource_type": "test",
            "package_name": self.project, "original_file_path": "models/_models.yml",
            "test_metadata": None if test_name == "singular" else {
                "name": test_name, "kwargs": args, "namespace": namespace},
            "attached_node": target, "column_name": column,
            "depends_on": {"nodes": parents, "macros": []},
            "config": {"enabled": True, "severity": severity, "tags": [], "meta": {}},
            "tags": [],
        }
        return uid

    def exposure(self, name: str, *, depends_on: Iterable[str], type: str = "ml",
                 owner: str | None = "ml-team", email: str | None = None,
                 maturity: str | None = "high", description: str = "",
                 meta: Mapping[str, Any] | None = None, tags: Sequence[str] = ()) -> str:
        uid = f"exposure.{self.project}.{name}"
        self.exposures[uid] = {
            "unique_id": uid, "name": name, "resource_type": "exposure",
            "package_name": self.project, "type": type,
            "owner": {"name": owner, "email": email or (f"{owner}@example.com" if owner
                                                        else None)},
            "maturity": maturity, "description": description, "url": None,
            "depends_on": {"nodes": self._uids(depends_on), "macros": []},
            "meta": dict(meta or {}), "tags": list(tags),
            "config": {"enabled": True, "meta": dict(meta or {}), "tags": list(tags)},
            "label": None, "original_file_path": "models/exposures/_exposures.yml",
        }
        self._by_name[name] = uid
        return uid

    def semantic_model(self, name: str, *, model: str) -> str:
        uid = f"semantic_model.{self.project}.{name}"
        self.semantic_models[uid] = {
            "unique_id": uid, "name": name, "resource_type": "semantic_model",
            "package_name": self.project, "description": "",
            "depends_on": {"nodes": [self.uid(model)], "macros": []},
        }
        self._by_name[name] = uid
        return uid

    def metric(self, name: str, *, depends_on: Iterable[str]) -> str:
        uid = f"metric.{self.project}.{name}"
        self.metrics[uid] = {
            "unique_id": uid, "name": name, "resource_type": "metric",
            "package_name": self.project, "description": "",
            "depends_on": {"nodes": self._uids(depends_on), "macros": []},
        }
        self._by_name[name] = uid
        return uid

    def group(self, name: str, *, owner: str, email: str | None = None) -> str:
        uid = f"group.{self.project}.{name}"
        self.groups[uid] = {"unique_id": uid, "name": name, "resource_type": "group",
                            "package_name": self.project,
                            "owner": {"name": owner, "email": email}}
        return uid

    def feature_view(self, name: str, *, entities: Sequence[str] = ("user_id",),
                     timestamp: str = "event_at", features: Mapping[str, str] | None = None,
                     block: Mapping[str, Any] | None = None, tests: bool = True,
                     **model_kwargs: Any) -> str:
        """A model declared as a feature view, with a valid block unless ``block`` overrides
        keys (a value of ``None`` in ``block`` removes the key)."""
        fv: dict[str, Any] = {
            "kind": "feature_view", "entities": list(entities), "timestamp": timestamp,
            "ttl": "30d", "online": True, "owner": "risk-ml", "status": "active",
            "last_reviewed": "2026-10-01",
        }
        for key, value in (block or {}).items():
            if value is None:
                fv.pop(key, None)
            else:
                fv[key] = value
        columns: dict[str, Any] = {
            key: {"data_type": "bigint", "description": "Entity key.",
                  "constraints": [{"type": "not_null"}]} for key in entities
        }
        columns[timestamp] = {"data_type": "timestamp", "description": "As-of time.",
                              "constraints": [{"type": "not_null"}]}
        for feature, data_type in (features or {"amount_sum_7d": "double"}).items():
            columns[feature] = {"data_type": data_type, "description": f"The {feature}."}
        model_kwargs.setdefault("description", f"Feature view {name}: " + "x" * 60)
        model_kwargs.setdefault("contract", True)
        model_kwargs.setdefault("materialized", "table")
        model_kwargs.setdefault("access", "public")
        meta = dict(model_kwargs.pop("meta", None) or {})
        meta["featureops"] = fv
        uid = self.model(name, columns=model_kwargs.pop("columns", columns), meta=meta,
                         **model_kwargs)
        if tests:
            self.test("unique_combination_of_columns", name, namespace="featureops",
                      kwargs={"combination_of_columns": [*entities, timestamp]})
        return uid

    # -- output -----------------------------------------------------------------------------

    def build(self) -> dict[str, Any]:
        """The manifest dict, with parent and child maps like dbt writes them."""
        parent_map: dict[str, list[str]] = {}
        for group in (self.nodes, self.sources, self.exposures, self.metrics,
                      self.semantic_models):
            for uid, node in group.items():
                parent_map[uid] = list((node.get("depends_on") or {}).get("nodes", []))
        child_map: dict[str, list[str]] = {uid: [] for uid in parent_map}
        for uid, parents in parent_map.items():
            for parent in parents:
                child_map.setdefault(parent, []).append(uid)
        consistent = child_map.keys() == parent_map.keys()
        return {
            "metadata": {
                "dbt_schema_version": SCHEMA_URL.format(version=self.schema_version),
                "dbt_version": "1.11.0", "generated_at": self.generated_at,
                "invocation_id": "00000000-0000-4000-8000-000000000000",
                "project_name": self.project, "adapter_type": self.adapter,
            },
            "nodes": self.nodes, "sources": self.sources, "exposures": self.exposures,
            "metrics": self.metrics, "semantic_models": self.semantic_models,
            "groups": self.groups, "disabled": self.disabled,
            "macros": dict(shipped_package_macros()) if self.featureops_package else {},
            "docs": {},
            "saved_queries": {}, "unit_tests": {},
            "parent_map": parent_map if consistent else None,
            "child_map": child_map if consistent else None,
        }


_MACRO_BLOCK = re.compile(
    r"{%-?\s*(macro|test)\s+(\w+)\s*\(.*?{%-?\s*end(?:macro|test)\s*-?%}", re.S)


@cache
def shipped_package_macros() -> tuple[tuple[str, dict[str, Any]], ...]:
    """The shipped featureops dbt package's macros as manifest.json holds them: one entry
    per macro (``{% test x %}`` blocks as ``test_x``) with its path and SQL."""
    root = package_dir()
    entries = []
    for path in sorted((root / "macros").rglob("*.sql")):
        relative = path.relative_to(root).as_posix()
        for block in _MACRO_BLOCK.finditer(path.read_text(encoding="utf-8")):
            name = ("test_" if block.group(1) == "test" else "") + block.group(2)
            uid = f"macro.{PACKAGE_NAME}.{name}"
            entries.append((uid, {"name": name, "resource_type": "macro",
                                  "package_name": PACKAGE_NAME, "path": relative,
                                  "original_file_path": relative, "unique_id": uid,
                                  "macro_sql": block.group(0)}))
    return tuple(entries)


def _columns(columns: Mapping[str, Any] | None) -> dict[str, Any]:
    """``{"a": "bigint"}`` or ``{"a": {"data_type": ..., ...}}`` -> dbt's column objects."""
    out = {}
    for name, spec in (columns or {}).items():
        spec = {"data_type": spec} if spec is None or isinstance(spec, str) else dict(spec)
        out[name] = {"name": name, "description": spec.pop("description", ""),
                     "data_type": spec.pop("data_type", None),
                     "constraints": spec.pop("constraints", []),
                     "meta": spec.pop("meta", {}), "tags": spec.pop("tags", []), **spec}
    return out


# --- large synthetic projects ------------------------------------------------------------------

_OWNERS = ("risk-ml", "growth-ml", "merchant-intelligence", "payments-analytics", "ads-ml")


def synthetic_manifest(*, models: int = 10_000, tests: int = 50_000, exposures: int = 500,
                       sources: int = 200, layers: int = 12, feature_view_share: float = 0.1,
                       seed: int = 0) -> dict[str, Any]:
    """A manifest of a large project, deterministic for a given ``seed``.

    Models are spread over ``layers`` (staging reads sources; each later model reads 1-4
    models of the layers just before it, so lineage is deep and fans out like a real
    project). Tests are spread round-robin over the models (unique, not_null,
    accepted_values, relationships). Exposures read 2-8 models of the last layers; half are
    ``ml``. ``feature_view_share`` of the last-layer models are feature views; one in five
    has no owner and another one in five an invalid status, for the audit to find.
    """
    rng = random.Random(seed)
    b = ManifestBuilder("bigco", adapter="postgres", database="analytics", schema="prod")
    src_ids = [b.source(f"raw_{i % 20}", f"table_{i}", columns={"id": "bigint"},
                        description=f"Raw table {i}.", freshness=i % 3 != 0)
               for i in range(sources)]
    per_layer = max(1, models // layers)
    built: list[list[str]] = []
    count = views = 0
    for layer in range(layers):
        size = per_layer if layer < layers - 1 else models - count
        ids: list[str] = []
        for _ in range(size):
            if layer == 0:
                parents = [src_ids[count % len(src_ids)]]
            else:
                window = [uid for level in built[max(0, layer - 2):] for uid in level]
                parents = rng.sample(window, k=min(len(window), rng.randint(1, 4)))
            name = f"m{layer:02d}_{count:06d}"
            columns = {"id": {"data_type": "bigint", "description": "Primary key."},
                       **{f"col_{c}": {"data_type": "double", "description": f"Measure {c}."}
                          for c in range(4)}}
            is_view = layer == layers - 1 and rng.random() < feature_view_share
            if is_view:  # every fifth view lacks an owner, and another has a bad status
                views += 1
                block = {1: {"owner": None}, 3: {"status": "retired"}}.get(views % 5, {})
                ids.append(b.feature_view(name, entities=("id",), depends_on=parents,
                                          block=block, tests=False,
                                          features={"col_0": "double", "col_1": "double"}))
            else:
                ids.append(b.model(name, depends_on=parents, columns=columns,
                                   description=f"Model {name}." if count % 7 else "",
                                   materialized="table" if layer > 2 else "view",
                                   access="public" if layer == layers - 1 else "protected",
                                   sql=f"select * from {b._relation(parents[0].split('.')[-1])}"))
            count += 1
        built.append(ids)
    all_models = [uid for level in built for uid in level]
    kinds = ("unique", "not_null", "accepted_values", "relationships", "not_null")
    for i in range(tests):
        target = all_models[i % len(all_models)]
        kind = kinds[(i // len(all_models)) % len(kinds)]
        other = [all_models[(i * 7919) % len(all_models)]] if kind == "relationships" else []
        b.test(kind, target, column="id", also_depends_on=other, name=f"{kind}_{i:06d}")
    marts = [uid for level in built[-2:] for uid in level]
    for i in range(exposures):
        reads = rng.sample(marts, k=min(len(marts), rng.randint(2, 8)))
        b.exposure(f"exposure_{i:04d}", depends_on=reads, type="ml" if i % 2 else "dashboard",
                   owner=_OWNERS[i % len(_OWNERS)], maturity=("high", "medium", "low")[i % 3],
                   description=f"Consumer {i}.",
                   meta={"featureops": {"stage": "production"}} if i % 2 else None)
    return b.build()


def enlarged_manifest(data: dict[str, Any], copies: int) -> dict[str, Any]:
    """``data`` (a real manifest dict, changed in place) with ``copies - 1`` renamed copies
    of each node added (``<unique_id>_<i>``, ``<name>_<i>``; their parents stay the
    originals) and without parent/child maps, so a reader rebuilds them from depends_on:
    a large manifest of real shape, for the manifest reader's tests and benchmark."""
    nodes = data["nodes"]
    originals = list(nodes.items())
    for i in range(1, copies):
        for uid, node in originals:
            clone = dict(node, unique_id=f"{uid}_{i}", name=f"{node['name']}_{i}")
            nodes[clone["unique_id"]] = clone
    data.pop("parent_map", None)
    data.pop("child_map", None)
    return data
