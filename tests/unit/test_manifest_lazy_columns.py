"""Columns are parsed when first read (#12 item 6): the same Column objects as parsing every
column up front, on every vendored real manifest, and the same errors for bad columns."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from featureops.exceptions import ManifestShapeError
from featureops.manifest import Column, LazyColumns, Manifest, load_manifest
from tests.conftest import REPO_ROOT, SHARED_MANIFESTS

REAL = sorted(SHARED_MANIFESTS.glob("*/manifest.json"))
MINIMAL = REPO_ROOT / "tests" / "resources" / "manifests" / "minimal_v12.json"


def _eager(raw: dict[str, Any], source: str, path: str) -> dict[str, Column]:
    """The oracle: every column built with Column.from_node, as before the laziness."""
    return {key: Column.from_node({"name": key, **col}, source=source, path=f"{path}.{key}")
            for key, col in (raw.get("columns") or {}).items()}


@pytest.mark.parametrize("path", REAL, ids=lambda p: p.parent.name)
def test_lazy_columns_equal_eager_parsing_on_real_manifests(path: Path) -> None:
    assert REAL, "no vendored manifests found"
    data = json.loads(path.read_bytes())
    manifest = Manifest.from_dict(data, source=str(path))
    resources = [*manifest.nodes.values(), *manifest.sources.values()]
    checked = 0
    for resource in resources:
        columns = getattr(resource, "columns", None)
        if columns is None:
            continue
        container = "sources" if resource.unique_id.startswith("source.") else "nodes"
        raw = data[container][resource.unique_id]
        expected = _eager(raw, str(path), f"{container}.{resource.unique_id}.columns")
        assert list(columns) == list(expected)
        assert len(columns) == len(expected)
        assert dict(columns) == expected
        for key, column in expected.items():
            got = columns[key]
            assert (got.name, got.description, got.data_type, got.constraints, got.meta,
                    got.tags) == (column.name, column.description, column.data_type,
                                  column.constraints, column.meta, column.tags)
            assert columns[key] is got  # parsed once
        checked += len(expected)
    assert checked > 0


def test_names_do_not_parse_columns_and_each_is_parsed_once() -> None:
    manifest = load_manifest(MINIMAL)
    model = next(m for m in manifest.models.values() if m.columns)
    columns = model.columns
    assert isinstance(columns, LazyColumns)
    names = list(columns)
    assert names and len(columns) == len(names) and names[0] in columns
    assert columns._parsed == {}
    first = columns[names[0]]
    assert list(columns._parsed) == [names[0]] and columns[names[0]] is first
    assert columns.get("no_such_column") is None and "no_such_column" not in columns
    with pytest.raises(KeyError):
        columns["no_such_column"]


def _with_bad_column(tmp_path: Path, value: Any) -> tuple[Path, str]:
    data = json.loads(MINIMAL.read_bytes())
    uid, node = next((k, v) for k, v in data["nodes"].items() if v.get("columns"))
    key = next(iter(node["columns"]))
    node["columns"][key] = value
    path = tmp_path / "manifest.json"
    path.write_text(json.dumps(data))
    return path, f"nodes.{uid}.columns.{key}"


def test_a_column_that_is_not_an_object_fails_at_load(tmp_path: Path) -> None:
    path, where = _with_bad_column(tmp_path, ["not", "an", "object"])
    with pytest.raises(ManifestShapeError, match=f"`{where}` must be an object, got an array"):
        load_manifest(path)


def test_a_bad_field_fails_with_its_path_when_the_column_is_read(tmp_path: Path) -> None:
    path, where = _with_bad_column(tmp_path, {"name": "x", "description": 42})
    manifest = load_manifest(path)
    uid = where.split(".columns.")[0].removeprefix("nodes.")
    key = where.rpartition(".")[2]
    with pytest.raises(ManifestShapeError, match=f"`{where}.description` must be a string"):
        manifest.nodes[uid].columns[key]
