"""`featureops datasets diff A B`: what differs between two dataset versions.

Each side is a registered version (its file found through the registry) or a training-set
file. From the recorded versions alone: which identity components differ, the schema,
the join spec, the macros, each view's definition (ttl, created timestamp, entities,
columns, and a unified diff of its stored compiled SQL) and contract version. With both
files at hand, the rows (featureops.datasets.rows_diff) and each feature's distribution.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from featureops.datasets.errors import DatasetError
from featureops.datasets.identity import DatasetVersion, read_file_version
from featureops.datasets.registry import DatasetRegistry

_VIEW_FIELDS = ("entities", "timestamp", "created_timestamp", "ttl", "columns", "sql")


@dataclass(frozen=True)
class Side:
    """One side of a comparison: a recorded version and its file, when there is one."""

    version: DatasetVersion
    path: Path | None
    label: str


def open_side(reference: str, registry: DatasetRegistry) -> Side:
    """A file path (anything naming an existing file or ending in .parquet) or a version."""
    path = Path(reference)
    if path.suffix.lower() == ".parquet" or path.is_file():
        return Side(read_file_version(path), path, str(path))
    entry = registry.load(reference)
    return Side(entry, registry.file_of(entry), entry.version)


def diff_sides(a: Side, b: Side, renderer: Any = None) -> dict[str, Any]:
    """The comparison as a JSON-ready dict with a fixed shape (docs/reproducibility.md)."""
    va, vb = a.version, b.version
    result: dict[str, Any] = {
        "a": {"version": va.version, "file": str(a.path) if a.path else None},
        "b": {"version": vb.version, "file": str(b.path) if b.path else None},
        "identical": va.version == vb.version,
        "components": {
            "content": va.content_hash != vb.content_hash,
            "spine": va.spine_hash != vb.spine_hash,
            "definition": va.definition_hash != vb.definition_hash,
            "contracts": va.contracts != vb.contracts,
        },
        "schema": schema_changes(va, vb),
        "definitions": definition_changes(va, vb),
        "contracts": [{"view": view, "a": va.contracts.get(view), "b": vb.contracts.get(view)}
                      for view in sorted({*va.contracts, *vb.contracts})
                      if va.contracts.get(view) != vb.contracts.get(view)],
        "rows": None,
        "distributions": None,
    }
    if a.path is not None and b.path is not None:
        import duckdb

        from featureops.datasets.rows_diff import compare_distributions, compare_rows

        with duckdb.connect(config={"autoinstall_known_extensions": False}) as conn:
            conn.execute("set time zone 'UTC'")
            keys = [k for k in va.key_columns if k in vb.key_columns]
            result["rows"] = compare_rows(conn, str(a.path), str(b.path), keys)
            if renderer is not None:
                features = [f for f in va.features if f in vb.features]
                result["distributions"] = compare_distributions(
                    conn, renderer, str(a.path), str(b.path), features)
        # The rows as they are, not as the footers claim: a file edited after it was
        # written differs from its original even though both footers name one version.
        rows = result["rows"]
        schema = result["schema"]
        edited = bool(rows["added"] or rows["removed"] or rows["changed"]
                      or any(schema.values()))
        result["components"]["content"] = result["components"]["content"] or edited
        result["identical"] = result["identical"] and not edited
    result["changes"] = summary_lines(result)
    return result


def schema_changes(va: DatasetVersion, vb: DatasetVersion) -> dict[str, Any]:
    types_a = {c["name"]: c["type"] for c in va.columns}
    types_b = {c["name"]: c["type"] for c in vb.columns}
    return {
        "added": [{"name": n, "type": t} for n, t in types_b.items() if n not in types_a],
        "removed": [{"name": n, "type": t} for n, t in types_a.items() if n not in types_b],
        "type_changed": [{"name": n, "a": types_a[n], "b": t} for n, t in types_b.items()
                         if n in types_a and types_a[n] != t],
    }


def definition_changes(va: DatasetVersion, vb: DatasetVersion) -> dict[str, Any]:
    da, db = va.definition, vb.definition
    spec_a, spec_b = da.get("spec", {}), db.get("spec", {})
    views_a = {v["view"]: v for v in da.get("views", [])}
    views_b = {v["view"]: v for v in db.get("views", [])}
    changed = []
    for name in [n for n in views_a if n in views_b]:
        fields = [{"field": f, "a": views_a[name].get(f), "b": views_b[name].get(f)}
                  for f in _VIEW_FIELDS if views_a[name].get(f) != views_b[name].get(f)]
        sql_diff = None
        if views_a[name]["sql_hash"] != views_b[name]["sql_hash"]:
            sql_diff = "".join(difflib.unified_diff(
                va.sql.get(name, "").splitlines(keepends=True),
                vb.sql.get(name, "").splitlines(keepends=True),
                fromfile=f"{va.version}/{name}.sql", tofile=f"{vb.version}/{name}.sql"))
        if fields or sql_diff is not None:
            changed.append({"view": name, "fields": fields, "sql_diff": sql_diff})
    return {
        "spec": [{"key": k, "a": spec_a.get(k), "b": spec_b.get(k)}
                 for k in sorted({*spec_a, *spec_b}) if spec_a.get(k) != spec_b.get(k)],
        "macros": None if da.get("macros") == db.get("macros") else
        {"a": da.get("macros"), "b": db.get("macros")},
        "views_added": [n for n in views_b if n not in views_a],
        "views_removed": [n for n in views_a if n not in views_b],
        "views_changed": changed,
    }


def summary_lines(result: dict[str, Any]) -> list[str]:
    """One line per change, naming the column, view or rows it is about."""
    lines = []
    schema = result["schema"]
    lines += [f"column added: {c['name']} ({c['type']})" for c in schema["added"]]
    lines += [f"column removed: {c['name']} ({c['type']})" for c in schema["removed"]]
    lines += [f"column type changed: {c['name']} {c['a']} -> {c['b']}"
              for c in schema["type_changed"]]
    definitions = result["definitions"]
    lines += [f"join option changed: {c['key']} {c['a']!r} -> {c['b']!r}"
              for c in definitions["spec"]]
    if definitions["macros"]:
        lines.append("featureops macros changed")
    lines += [f"view added: {n}" for n in definitions["views_added"]]
    lines += [f"view removed: {n}" for n in definitions["views_removed"]]
    for view in definitions["views_changed"]:
        lines += [f"view {view['view']}: {f['field']} {f['a']!r} -> {f['b']!r}"
                  for f in view["fields"]]
        if view["sql_diff"] is not None:
            lines.append(f"view {view['view']}: SQL changed")
    lines += [f"contract of {c['view']}: v{c['a']} -> v{c['b']}" for c in result["contracts"]]
    rows = result["rows"]
    if rows is not None:
        for kind in ("added", "removed"):
            if rows[kind]:
                lines.append(f"rows {kind}: {rows[kind]} (e.g. {_key(rows['samples'][kind][0])})")
        if rows["changed"]:
            columns = ", ".join(f"{c} ({n})" for c, n in rows["changed_columns"].items())
            lines.append(f"rows changed: {rows['changed']} in {columns}")
    elif result["components"]["content"]:
        lines.append("rows differ (content hash); a file is missing, so not compared")
    return lines


def _key(key: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in key.items())


def require_file(side: Side) -> Path:
    if side.path is None:
        raise DatasetError(f"version {side.version.version}: none of its files exists "
                           f"({', '.join(side.version.files) or 'none recorded'})")
    return side.path
