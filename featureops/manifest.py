"""A typed, read-only view of dbt's ``manifest.json`` (schema v8 to v12, dbt 1.4 to 1.11).

``load_manifest(path)`` does the I/O and turns every way a file can be broken into a one-line
:class:`~featureops.exceptions.FeatureopsError`; ``Manifest.from_dict`` does the parsing.
Each resource becomes a small frozen dataclass built by ``from_node()``; the raw JSON node is
kept in ``_raw`` so callers can reach fields this module does not model yet.

Differences between schema versions are absorbed here, not by callers:

* dbt >= 1.10 writes ``meta``/``tags`` under ``config:`` as well as (or instead of) at the top
  level: both are merged, ``config`` wins (see :func:`_merged_meta`).
* v8 (dbt 1.4) has no ``metadata.project_name`` (only ``project_id`` = md5(name)), no
  ``attached_node`` on tests and no ``contract``/``access``/``group``/``version`` on models.
* dbt Cloud "versionless" builds write a non-semver ``dbt_version`` (``2024.9.238``); it is
  kept as an opaque string.

Nothing here imports dbt, and nothing runs at import time.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import os
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from featureops.exceptions import (
    AmbiguousModelError,
    ManifestNotFoundError,
    ManifestParseError,
    ManifestReadError,
    ManifestShapeError,
    ModelNotFoundError,
    UnsupportedManifestVersionError,
)

__all__ = [
    "SUPPORTED_SCHEMA_VERSIONS",
    "Column",
    "DataTest",
    "Exposure",
    "GraphResource",
    "Group",
    "LazyColumns",
    "Manifest",
    "Metric",
    "Model",
    "Node",
    "Resource",
    "SavedQuery",
    "SemanticModel",
    "Source",
    "UnitTest",
    "load_manifest",
]

#: Manifest schema versions this module reads: v8 (dbt 1.4) to v12 (dbt 1.8 to 1.11).
SUPPORTED_SCHEMA_VERSIONS: tuple[int, ...] = (8, 9, 10, 11, 12)

_REGENERATE = "regenerate it with `dbt parse` (or any dbt build/compile/docs command)"
_SCHEMA_URL = re.compile(r"/(?P<kind>[a-z][a-z_-]*)/v(?P<num>\d+)(?:\.json)?\s*$")
# `model` kwarg of a generic test: "{{ get_where_subquery(ref('x', version='2')) }}"
_TESTED_RELATION = re.compile(r"\b(?P<fn>ref|source)\s*\((?P<args>[^()]*)\)")
_CALL_ARG = re.compile(
    r"""(?:(?P<kw>\w+)\s*=\s*)?(?:'(?P<sq>[^']*)'|"(?P<dq>[^"]*)"|(?P<bare>[\w.]+))"""
)


# --- reading fields with errors that name the JSON path -----------------------------------


class _Fields:
    """Typed accessors over one JSON object that report bad values by file and JSON path.

    Missing keys and JSON ``null`` both yield the default (optional keys vary between dbt
    versions); a value of the wrong type is a :class:`ManifestShapeError`.
    """

    __slots__ = ("obj", "source", "path")

    def __init__(self, obj: Mapping[str, Any], source: str, path: str) -> None:
        self.obj = obj
        self.source = source
        self.path = path

    def _at(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key

    def _bad(self, key: str, expected: str, value: Any) -> ManifestShapeError:
        return ManifestShapeError(
            f"{self.source}: `{self._at(key)}` must be {expected}, got "
            f"{_json_type(value)}; the manifest is corrupted or hand-edited, {_REGENERATE}"
        )

    def required_str(self, key: str) -> str:
        value = self.obj.get(key)
        if value is None:
            raise ManifestShapeError(
                f"{self.source}: required key `{self._at(key)}` is missing; the manifest is "
                f"incomplete or hand-edited, {_REGENERATE}"
            )
        if not isinstance(value, str):
            raise self._bad(key, "a string", value)
        return value

    def string(self, key: str, default: str = "") -> str:
        value = self.obj.get(key)
        if value is None:
            return default
        if not isinstance(value, str):
            raise self._bad(key, "a string", value)
        return value

    def opt_string(self, key: str) -> str | None:
        value = self.obj.get(key)
        if value is None or isinstance(value, str):
            return value
        raise self._bad(key, "a string or null", value)

    def boolean(self, key: str, default: bool) -> bool:
        value = self.obj.get(key)
        if value is None:
            return default
        if not isinstance(value, bool):
            raise self._bad(key, "true or false", value)
        return value

    def version(self, key: str) -> str | int | float | None:
        value = self.obj.get(key)
        if value is None or (isinstance(value, (str, int, float)) and not isinstance(value, bool)):
            return value
        raise self._bad(key, "a string, a number or null", value)

    def mapping(self, key: str) -> dict[str, Any]:
        value = self.obj.get(key)
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise self._bad(key, "an object", value)
        return value

    def opt_mapping(self, key: str) -> dict[str, Any] | None:
        value = self.obj.get(key)
        if value is None or isinstance(value, dict):
            return value
        raise self._bad(key, "an object or null", value)

    def sub(self, key: str) -> _Fields:
        """Accessors for a nested object (``config``, ``depends_on``...), missing -> empty."""
        return _Fields(self.mapping(key), self.source, self._at(key))

    def strings(self, key: str) -> tuple[str, ...]:
        value = self.obj.get(key)
        if value is None:
            return ()
        if isinstance(value, str):  # `tags: nightly` is legal YAML shorthand in dbt
            return (value,)
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self._bad(key, "a list of strings", value)
        return tuple(value)

    def mappings(self, key: str) -> tuple[dict[str, Any], ...]:
        value = self.obj.get(key)
        if value is None:
            return ()
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            raise self._bad(key, "a list of objects", value)
        return tuple(value)


def _json_type(value: Any) -> str:
    """Name a Python value by its JSON type, for error messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def _fields(node: Mapping[str, Any], source: str, path: str | None, default_root: str) -> _Fields:
    if path is None:
        path = f"{default_root}.{node.get('unique_id', '?')}"
    return _Fields(node, source, path)


def _merged_meta(f: _Fields) -> dict[str, Any]:
    """Top-level ``meta`` updated by ``config.meta`` (a new dict, shallow merge).

    dbt >= 1.10 moved ``meta`` under ``config:``; older manifests carry both (usually equal).
    ``config`` wins on conflicting keys, like dbt's own config precedence. The merge is
    shallow on purpose: a nested block such as ``featureops:`` is taken whole from one side.
    """
    merged = dict(f.mapping("meta"))
    merged.update(f.sub("config").mapping("meta"))
    return merged


def _merged_tags(f: _Fields) -> tuple[str, ...]:
    """Union of top-level ``tags`` and ``config.tags``, first occurrence order, no duplicates."""
    return tuple(dict.fromkeys(f.strings("tags") + f.sub("config").strings("tags")))


def _strip_package_prefix(patch_path: str | None) -> str | None:
    """``pkg://models\\x\\_x.yml`` -> ``models/x/_x.yml`` (manifests written on Windows use \\)."""
    if not patch_path:
        return None
    _, sep, rest = patch_path.partition("://")
    return (rest if sep else patch_path).replace("\\", "/")


# --- resource types ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Column:
    """One documented column of a model, seed, snapshot or source."""

    name: str
    description: str = ""
    data_type: str | None = None
    constraints: tuple[dict[str, Any], ...] = ()
    meta: dict[str, Any] = field(default_factory=dict)
    tags: tuple[str, ...] = ()
    _raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def __hash__(self) -> int:  # dict fields make the generated hash fail
        return hash((self.name, self.data_type))

    @classmethod
    def from_node(
        cls, node: Mapping[str, Any], *, source: str = "<dict>", path: str = "column"
    ) -> Column:
        f = _Fields(node, source, path)
        return cls(
            name=f.required_str("name"),
            description=f.string("description"),
            data_type=f.opt_string("data_type"),
            constraints=f.mappings("constraints"),
            meta=_merged_meta(f),
            tags=_merged_tags(f),
            _raw=node,
        )


class LazyColumns(Mapping[str, Column]):
    """A resource's columns in manifest order, each parsed into a :class:`Column` when first read.

    Names (iteration, ``len``, ``in``) touch no column. Lineage, impact and most audit rules
    only need the names, and a wide project has hundreds of thousands of documented columns:
    building them all was most of the load time. A column missing ``name`` takes its key (dbt
    always sets it). Every column must be an object (checked at load); a bad field inside one
    raises the same one-line :class:`ManifestShapeError` when that column is first read.
    """

    __slots__ = ("_raw", "_parsed", "_source", "_path")

    def __init__(self, raw: Mapping[str, Any], source: str, path: str) -> None:
        self._raw = raw
        self._parsed: dict[str, Column] = {}
        self._source = source
        self._path = path

    def __getitem__(self, key: str) -> Column:
        column = self._parsed.get(key)
        if column is None:
            raw = self._raw[key]
            if "name" not in raw:
                raw = {**raw, "name": key}
            column = Column.from_node(raw, source=self._source, path=f"{self._path}.{key}")
            self._parsed[key] = column
        return column

    def __iter__(self) -> Iterator[str]:
        return iter(self._raw)

    def __len__(self) -> int:
        return len(self._raw)

    def __contains__(self, key: object) -> bool:
        return key in self._raw

    def __repr__(self) -> str:
        return repr(dict(self))


def _columns(f: _Fields) -> LazyColumns:
    cols = f.sub("columns")
    for key, col in cols.obj.items():
        if not isinstance(col, dict):
            raise cols._bad(key, "an object", col)
    return LazyColumns(cols.obj, f.source, cols.path)


@dataclass(frozen=True, slots=True)
class Node:
    """A model, seed, snapshot, analysis or operation from the manifest's ``nodes`` map.

    One class for all of them (``resource_type`` tells which); ``Model`` is an alias. Fields
    that only exist in newer schemas (``access``, ``group``, ``version``, ``contract``) take
    neutral defaults on older manifests.
    """

    unique_id: str
    name: str
    resource_type: str
    package_name: str = ""
    path: str = ""
    original_file_path: str = ""
    patch_path: str | None = None
    description: str = ""
    columns: Mapping[str, Column] = field(default_factory=dict)
    meta: dict[str, Any] = field(default_factory=dict)
    tags: tuple[str, ...] = ()
    fqn: tuple[str, ...] = ()
    materialized: str | None = None
    contract_enforced: bool = False
    access: str | None = None
    group: str | None = None
    version: str | int | float | None = None
    latest_version: str | int | float | None = None
    depends_on: tuple[str, ...] = ()
    relation_name: str | None = None
    database: str | None = None
    schema: str | None = None
    alias: str | None = None
    compiled_code: str | None = None
    raw_code: str = ""
    language: str = "sql"
    constraints: tuple[dict[str, Any], ...] = ()
    enabled: bool = True
    _raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def __hash__(self) -> int:  # dict fields make the generated hash fail; ids are unique
        return hash(self.unique_id)

    @classmethod
    def from_node(
        cls, node: Mapping[str, Any], *, source: str = "<dict>", path: str | None = None
    ) -> Node:
        f = _fields(node, source, path, "nodes")
        config = f.sub("config")
        # v10+ copy contract/access/group to the top level; config is the fallback.
        contract = f.mapping("contract") or config.mapping("contract")
        return cls(
            unique_id=f.required_str("unique_id"),
            name=f.required_str("name"),
            resource_type=f.required_str("resource_type"),
            package_name=f.string("package_name"),
            path=f.string("path"),
            original_file_path=f.string("original_file_path"),
            patch_path=f.opt_string("patch_path"),
            description=f.string("description"),
            columns=_columns(f),
            meta=_merged_meta(f),
            tags=_merged_tags(f),
            fqn=f.strings("fqn"),
            materialized=config.opt_string("materialized"),
            contract_enforced=_Fields(contract, source, f"{f.path}.contract").boolean(
                "enforced", False
            ),
            access=f.opt_string("access") or config.opt_string("access"),
            group=f.opt_string("group") or config.opt_string("group"),
            version=f.version("version"),
            latest_version=f.version("latest_version"),
            depends_on=f.sub("depends_on").strings("nodes"),
            relation_name=f.opt_string("relation_name"),
            database=f.opt_string("database"),
            schema=f.opt_string("schema"),
            alias=f.opt_string("alias"),
            compiled_code=f.opt_string("compiled_code"),
            raw_code=f.string("raw_code") or f.string("raw_sql"),  # raw_sql: pre-1.3 name
            language=f.string("language", "sql"),
            constraints=f.mappings("constraints"),
            enabled=config.boolean("enabled", True),
            _raw=node,
        )

    @property
    def yaml_path(self) -> str | None:
        """Project-relative YAML file: ``patch_path`` minus ``pkg://``, with ``/`` separators."""
        return _strip_package_prefix(self.patch_path)

    @property
    def config(self) -> dict[str, Any]:
        """The node's raw ``config`` block (unique_key, incremental_strategy, ...)."""
        value = self._raw.get("config")
        return value if isinstance(value, dict) else {}

    @property
    def depends_on_macros(self) -> tuple[str, ...]:
        """Unique ids of the macros the node calls (``depends_on.macros``), as dbt wrote
        them; empty on a manifest without them."""
        depends = self._raw.get("depends_on")
        macros = depends.get("macros") if isinstance(depends, dict) else None
        return tuple(m for m in macros if isinstance(m, str)) if isinstance(macros, list) \
            else ()

    @property
    def is_versioned(self) -> bool:
        return self.version is not None

    @property
    def is_latest_version(self) -> bool:
        """True for unversioned models and for the version ``ref()`` resolves to by default."""
        if self.version is None or self.latest_version is None:
            return True
        return str(self.version) == str(self.latest_version)


Model = Node


@dataclass(frozen=True, slots=True)
class DataTest:
    """A data test (generic or singular) from the ``nodes`` map.

    ``attached_node`` is the node the test checks. dbt writes it only for generic tests on
    refs since 1.5 (v9), and leaves it null for tests on sources and for singular tests. We
    fill the gaps where unambiguous: from the ``model`` kwarg (``ref(...)``/``source(...)``)
    matched against ``depends_on.nodes``, else from a single dependency. The value dbt wrote
    is still in ``_raw``.
    """

    unique_id: str
    name: str
    test_name: str
    kwargs: dict[str, Any] = field(default_factory=dict)
    namespace: str | None = None
    attached_node: str | None = None
    column_name: str | None = None
    depends_on: tuple[str, ...] = ()
    severity: str = "ERROR"
    package_name: str = ""
    original_file_path: str = ""
    enabled: bool = True
    tags: tuple[str, ...] = ()
    _raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def __hash__(self) -> int:
        return hash(self.unique_id)

    @classmethod
    def from_node(
        cls, node: Mapping[str, Any], *, source: str = "<dict>", path: str | None = None
    ) -> DataTest:
        f = _fields(node, source, path, "nodes")
        unique_id = f.required_str("unique_id")
        f.required_str("resource_type")
        meta = f.sub("test_metadata")
        kwargs = meta.mapping("kwargs")
        depends_on = f.sub("depends_on").strings("nodes")
        config = f.sub("config")
        column_name = f.opt_string("column_name")
        if column_name is None and isinstance(kwargs.get("column_name"), str):
            column_name = kwargs["column_name"]
        return cls(
            unique_id=unique_id,
            name=f.required_str("name"),
            test_name=meta.string("name") or "singular",
            kwargs=kwargs,
            namespace=meta.opt_string("namespace"),
            attached_node=f.opt_string("attached_node") or _derive_attached(kwargs, depends_on),
            column_name=column_name,
            depends_on=depends_on,
            severity=config.string("severity", "ERROR").upper(),
            package_name=f.string("package_name"),
            original_file_path=f.string("original_file_path"),
            enabled=config.boolean("enabled", True),
            tags=_merged_tags(f),
            _raw=node,
        )

    @property
    def resource_type(self) -> str:
        """Always ``"test"``; lets callers treat every entry of ``Manifest.nodes`` alike."""
        return "test"

    @property
    def is_singular(self) -> bool:
        return self.test_name == "singular"


def _derive_attached(kwargs: Mapping[str, Any], depends_on: tuple[str, ...]) -> str | None:
    """Best guess at the tested node when the manifest does not say; None if ambiguous."""
    depends_on = tuple(dict.fromkeys(depends_on))  # v8 lists a self-relationship's parent twice
    target = kwargs.get("model")
    if isinstance(target, str):
        call = _TESTED_RELATION.search(target)
        if call:
            positional: list[str] = []
            keywords: dict[str, str] = {}
            for arg in _CALL_ARG.finditer(call["args"]):
                value = arg["sq"] if arg["sq"] is not None else arg["dq"] or arg["bare"] or ""
                if arg["kw"]:
                    keywords[arg["kw"]] = value
                else:
                    positional.append(value)
            hits = [d for d in depends_on if _uid_matches(d, call["fn"], positional, keywords)]
            if len(hits) == 1:
                return hits[0]
    return depends_on[0] if len(depends_on) == 1 else None


def _uid_matches(uid: str, fn: str, positional: list[str], keywords: dict[str, str]) -> bool:
    """Does ``uid`` name what ``ref(...)``/``source(...)`` points at? (ids are dot-separated)"""
    parts = uid.split(".")
    if fn == "source":
        return (
            len(positional) == 2
            and len(parts) >= 4
            and parts[0] == "source"
            and parts[2] == positional[0]
            and ".".join(parts[3:]) == positional[1]
        )
    if not positional or len(positional) > 2 or len(parts) < 3:
        return False
    package = positional[0] if len(positional) == 2 else None
    if parts[2] != positional[-1] or (package is not None and parts[1] != package):
        return False
    version = keywords.get("version", keywords.get("v"))
    return version is None or ".".join(parts[3:]) == f"v{version}"


@dataclass(frozen=True, slots=True)
class Source:
    """One source table (``sources:`` in YAML)."""

    unique_id: str
    name: str
    source_name: str
    package_name: str = ""
    description: str = ""
    columns: Mapping[str, Column] = field(default_factory=dict)
    meta: dict[str, Any] = field(default_factory=dict)
    tags: tuple[str, ...] = ()
    loaded_at_field: str | None = None
    freshness: dict[str, Any] | None = None
    relation_name: str | None = None
    database: str | None = None
    schema: str | None = None
    identifier: str | None = None
    original_file_path: str = ""
    _raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def __hash__(self) -> int:
        return hash(self.unique_id)

    @classmethod
    def from_node(
        cls, node: Mapping[str, Any], *, source: str = "<dict>", path: str | None = None
    ) -> Source:
        f = _fields(node, source, path, "sources")
        config = f.sub("config")
        return cls(
            unique_id=f.required_str("unique_id"),
            name=f.required_str("name"),
            source_name=f.required_str("source_name"),
            package_name=f.string("package_name"),
            description=f.string("description"),
            columns=_columns(f),
            meta=_merged_meta(f),
            tags=_merged_tags(f),
            # dbt 1.10 also mirrors these two under config:
            loaded_at_field=f.opt_string("loaded_at_field") or config.opt_string("loaded_at_field"),
            freshness=f.opt_mapping("freshness") or config.opt_mapping("freshness"),
            relation_name=f.opt_string("relation_name"),
            database=f.opt_string("database"),
            schema=f.opt_string("schema"),
            identifier=f.opt_string("identifier"),
            original_file_path=f.string("original_file_path"),
            _raw=node,
        )

    @property
    def depends_on(self) -> tuple[str, ...]:
        """Always empty: sources are the roots of the graph (kept for a uniform interface)."""
        return ()

    @property
    def has_freshness(self) -> bool:
        """True when a ``warn_after`` or ``error_after`` count is set (dbt writes empty rules)."""
        rules = self.freshness or {}
        return any(
            isinstance(rules.get(k), dict) and rules[k].get("count") is not None
            for k in ("warn_after", "error_after")
        )


@dataclass(frozen=True, slots=True)
class Exposure:
    """A downstream consumer declared in YAML (dashboard, notebook, ``ml`` model, ...)."""

    unique_id: str
    name: str
    package_name: str = ""
    type: str | None = None
    owner_name: str | None = None
    owner_email: str | None = None
    maturity: str | None = None
    description: str = ""
    url: str | None = None
    depends_on: tuple[str, ...] = ()
    meta: dict[str, Any] = field(default_factory=dict)
    tags: tuple[str, ...] = ()
    label: str | None = None
    original_file_path: str = ""
    _raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def __hash__(self) -> int:
        return hash(self.unique_id)

    @classmethod
    def from_node(
        cls, node: Mapping[str, Any], *, source: str = "<dict>", path: str | None = None
    ) -> Exposure:
        f = _fields(node, source, path, "exposures")
        owner = f.sub("owner")
        return cls(
            unique_id=f.required_str("unique_id"),
            name=f.required_str("name"),
            package_name=f.string("package_name"),
            type=f.opt_string("type"),
            owner_name=owner.opt_string("name"),
            owner_email=owner.opt_string("email"),
            maturity=f.opt_string("maturity"),
            description=f.string("description"),
            url=f.opt_string("url"),
            depends_on=f.sub("depends_on").strings("nodes"),
            meta=_merged_meta(f),
            tags=_merged_tags(f),
            label=f.opt_string("label"),
            original_file_path=f.string("original_file_path"),
            _raw=node,
        )


@dataclass(frozen=True, slots=True)
class GraphResource:
    """Common light shape of semantic models, metrics, saved queries and unit tests."""

    unique_id: str
    name: str
    resource_type: str
    package_name: str = ""
    depends_on: tuple[str, ...] = ()
    description: str = ""
    _raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def __hash__(self) -> int:
        return hash(self.unique_id)

    @classmethod
    def from_node(
        cls: type[_G], node: Mapping[str, Any], *, source: str = "<dict>", path: str | None = None
    ) -> _G:
        f = _fields(node, source, path, "nodes")
        return cls(
            unique_id=f.required_str("unique_id"),
            name=f.required_str("name"),
            resource_type=f.string("resource_type", _RESOURCE_TYPE.get(cls.__name__, "")),
            package_name=f.string("package_name"),
            depends_on=f.sub("depends_on").strings("nodes"),
            description=f.string("description"),
            _raw=node,
        )


_G = TypeVar("_G", bound=GraphResource)


@dataclass(frozen=True, slots=True)
class SemanticModel(GraphResource):
    """A MetricFlow semantic model (v10+)."""


@dataclass(frozen=True, slots=True)
class Metric(GraphResource):
    """A metric (MetricFlow shape since v10, the legacy shape before)."""


@dataclass(frozen=True, slots=True)
class SavedQuery(GraphResource):
    """A MetricFlow saved query (v11+)."""


@dataclass(frozen=True, slots=True)
class UnitTest(GraphResource):
    """A dbt unit test (v12); ``depends_on`` holds the model under test."""


_RESOURCE_TYPE = {
    "SemanticModel": "semantic_model",
    "Metric": "metric",
    "SavedQuery": "saved_query",
    "UnitTest": "unit_test",
}


@dataclass(frozen=True, slots=True)
class Group:
    """A dbt group (v10+): who owns the models that set ``group:``."""

    unique_id: str
    name: str
    package_name: str = ""
    owner_name: str | None = None
    owner_email: str | None = None
    _raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_node(
        cls, node: Mapping[str, Any], *, source: str = "<dict>", path: str | None = None
    ) -> Group:
        f = _fields(node, source, path, "groups")
        owner = f.sub("owner")
        return cls(
            unique_id=f.required_str("unique_id"),
            name=f.required_str("name"),
            package_name=f.string("package_name"),
            owner_name=owner.opt_string("name"),
            owner_email=owner.opt_string("email"),
            _raw=node,
        )


# --- the manifest --------------------------------------------------------------------------

#: Anything ``Manifest.get`` can return.
Resource = Node | DataTest | Source | Exposure | GraphResource | Group


@dataclass(frozen=True, eq=False)
class Manifest:
    """Typed, read-only view of one manifest. Build with :func:`load_manifest` or ``from_dict``.

    Every resource of the manifest is kept, whatever its package (models installed from
    packages included); filter on ``package_name == project_name`` for the project's own.
    The dicts are keyed by unique_id, in manifest order; treat them as read-only.
    """

    path: str
    schema_version: int
    dbt_version: str
    project_name: str
    adapter_type: str | None
    generated_at: str | None
    invocation_id: str | None
    nodes: dict[str, Node | DataTest] = field(repr=False)
    models: dict[str, Node] = field(repr=False)
    seeds: dict[str, Node] = field(repr=False)
    snapshots: dict[str, Node] = field(repr=False)
    analyses: dict[str, Node] = field(repr=False)
    tests: dict[str, DataTest] = field(repr=False)
    sources: dict[str, Source] = field(repr=False)
    exposures: dict[str, Exposure] = field(repr=False)
    metrics: dict[str, Metric] = field(repr=False)
    semantic_models: dict[str, SemanticModel] = field(repr=False)
    saved_queries: dict[str, SavedQuery] = field(repr=False)
    unit_tests: dict[str, UnitTest] = field(repr=False)
    groups: dict[str, Group] = field(repr=False)
    parent_map: dict[str, tuple[str, ...]] = field(repr=False)
    child_map: dict[str, tuple[str, ...]] = field(repr=False)
    #: unique_ids of the ``disabled`` map (not returned as live nodes), and how many
    #: disabled definitions they hold (one id can have several, e.g. per-target configs).
    disabled_ids: tuple[str, ...] = field(repr=False)
    disabled_count: int
    _index: _Indexes = field(repr=False)
    _raw: dict[str, Any] = field(repr=False)

    # -- construction --

    @classmethod
    def from_dict(cls, data: Any, source: str = "<dict>") -> Manifest:
        """Parse an already-decoded manifest; ``source`` names it in error messages."""
        if not isinstance(data, dict):
            raise ManifestParseError(
                f"{source}: the top-level JSON value is {_json_type(data)}, but a dbt "
                f"manifest.json is an object with `metadata` and `nodes`; check that the path "
                f"points at target/manifest.json (not run_results.json or catalog.json)"
            )
        top = _Fields(data, source, "")
        if not isinstance(data.get("metadata"), dict):
            raise _missing_top_key(source, "metadata", data.get("metadata"))
        meta = _Fields(data["metadata"], source, "metadata")
        schema_version = _schema_version(meta, source)
        if not isinstance(data.get("nodes"), dict):
            raise _missing_top_key(source, "nodes", data.get("nodes"))

        b = _Builder(source)
        for key, raw in data["nodes"].items():
            b.add_node(key, raw)
        b.add_all("sources", top.mapping("sources"), Source, b.sources)
        b.add_all("exposures", top.mapping("exposures"), Exposure, b.exposures)
        b.add_all("metrics", top.mapping("metrics"), Metric, b.metrics)
        b.add_all("semantic_models", top.mapping("semantic_models"), SemanticModel, b.semantic)
        b.add_all("saved_queries", top.mapping("saved_queries"), SavedQuery, b.saved_queries)
        b.add_all("unit_tests", top.mapping("unit_tests"), UnitTest, b.unit_tests)
        b.add_all("groups", top.mapping("groups"), Group, b.groups)

        disabled = top.mapping("disabled")
        # dbt's parent/child maps cover every resource with depends_on, i.e. all but groups.
        in_graph = {k: v for k, v in b.everything.items() if not isinstance(v, Group)}
        parent_map, child_map, from_manifest = _graph_maps(data, in_graph)
        return cls(
            path=source,
            schema_version=schema_version,
            dbt_version=meta.string("dbt_version", "unknown"),
            project_name=_project_name(data, meta, b),
            adapter_type=meta.opt_string("adapter_type"),
            generated_at=meta.opt_string("generated_at"),
            invocation_id=meta.opt_string("invocation_id"),
            nodes=b.nodes,
            models=b.models,
            seeds=b.seeds,
            snapshots=b.snapshots,
            analyses=b.analyses,
            tests=b.tests,
            sources=b.sources,
            exposures=b.exposures,
            metrics=b.metrics,
            semantic_models=b.semantic,
            saved_queries=b.saved_queries,
            unit_tests=b.unit_tests,
            groups=b.groups,
            parent_map=parent_map,
            child_map=child_map,
            disabled_ids=tuple(disabled),
            disabled_count=sum(len(v) if isinstance(v, list) else 1 for v in disabled.values()),
            _index=_Indexes.build(b, from_manifest),
            _raw=data,
        )

    # -- queries --

    def get(self, unique_id: str) -> Resource | None:
        """Any live resource by unique_id (node, source, exposure, metric, group...), or None."""
        return self._index.everything.get(unique_id)

    def find_model(self, name_or_unique_id: str, version: str | int | None = None) -> Node:
        """Resolve a model like ``ref()`` does.

        Accepts a unique_id (``model.pkg.name[.vN]``), ``package.name`` or a bare name. A bare
        name found in several packages resolves to the root project's model, and is an
        :class:`AmbiguousModelError` otherwise. Without ``version``, a versioned model
        resolves to its ``latest_version``.
        """
        key = name_or_unique_id
        if key in self.models:
            model = self.models[key]
            if version is None or str(model.version) == str(version):
                return model
            raise ModelNotFoundError(
                f"{self.path}: model `{key}` is version {model.version}, not {version}; pass "
                f"the bare model name with version={version}, or the unique_id of that version"
            )
        package, _, name = key.rpartition(".") if key.count(".") == 1 else ("", "", key)
        candidates = [
            m
            for m in self._index.models_by_name.get(name, ())
            if not package or m.package_name == package
        ]
        if not candidates:
            raise self._not_found(key)
        packages = list(dict.fromkeys(m.package_name for m in candidates))
        if len(packages) > 1:
            if self.project_name not in packages:
                ids = ", ".join(m.unique_id for m in candidates)
                raise AmbiguousModelError(
                    f"{self.path}: model name `{name}` is defined in packages "
                    f"{', '.join(packages)} ({ids}) and none of them is the root project "
                    f"`{self.project_name}`; pass the unique_id or `package.{name}` instead"
                )
            candidates = [m for m in candidates if m.package_name == self.project_name]
        return _pick_version(candidates, version, self.path)

    def tests_for(self, unique_id: str) -> list[DataTest]:
        """Data tests attached to a node or source (see :attr:`DataTest.attached_node`)."""
        return list(self._index.tests_by_node.get(unique_id, ()))

    def exposures_consuming(self, unique_id: str) -> list[Exposure]:
        """Exposures that depend *directly* on ``unique_id`` (lineage.py does transitive)."""
        return list(self._index.exposures_by_node.get(unique_id, ()))

    def _not_found(self, key: str) -> ModelNotFoundError:
        name = key.rpartition(".")[2] if key.count(".") == 1 else key
        disabled = [d for d in self.disabled_ids if d.split(".")[0:3:2] == ["model", name]]
        if disabled:
            return ModelNotFoundError(
                f"{self.path}: model `{key}` is disabled ({disabled[0]} has enabled: false); "
                f"enable it in its config, or pick another model"
            )
        close = difflib.get_close_matches(name, list(self._index.models_by_name), n=3)
        hint = f"did you mean {', '.join(close)}? " if close else ""
        return ModelNotFoundError(
            f"{self.path}: no model named `{key}`; {hint}if you added it recently, run "
            f"`dbt parse` to refresh the manifest"
        )

    def __repr__(self) -> str:
        return (
            f"Manifest(path={self.path!r}, schema=v{self.schema_version}, "
            f"dbt_version={self.dbt_version!r}, project_name={self.project_name!r}, "
            f"models={len(self.models)}, tests={len(self.tests)}, sources={len(self.sources)})"
        )


def _pick_version(candidates: list[Node], version: str | int | None, source: str) -> Node:
    """Among one package's models of one name, pick the requested or the latest version."""
    if version is not None:
        for model in candidates:
            if model.version is not None and str(model.version) == str(version):
                return model
        have = ", ".join(str(m.version) for m in candidates if m.version is not None) or "none"
        raise ModelNotFoundError(
            f"{source}: model `{candidates[0].name}` has no version {version} (versions: "
            f"{have}); use one of those versions or omit version"
        )
    if len(candidates) == 1:
        return candidates[0]
    for model in candidates:
        if model.is_latest_version:
            return model
    return max(candidates, key=lambda m: _version_key(m.version))


def _version_key(version: str | int | float | None) -> tuple[int, float, str]:
    try:
        return (1, float(version), "")  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return (0, 0.0, str(version))


class _Builder:
    """Accumulates typed objects and the name index in one pass over the raw maps."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.nodes: dict[str, Node | DataTest] = {}
        self.models: dict[str, Node] = {}
        self.seeds: dict[str, Node] = {}
        self.snapshots: dict[str, Node] = {}
        self.analyses: dict[str, Node] = {}
        self.tests: dict[str, DataTest] = {}
        self.sources: dict[str, Source] = {}
        self.exposures: dict[str, Exposure] = {}
        self.metrics: dict[str, Metric] = {}
        self.semantic: dict[str, SemanticModel] = {}
        self.saved_queries: dict[str, SavedQuery] = {}
        self.unit_tests: dict[str, UnitTest] = {}
        self.groups: dict[str, Group] = {}
        self.everything: dict[str, Any] = {}
        self._by_type = {
            "model": self.models,
            "seed": self.seeds,
            "snapshot": self.snapshots,
            "analysis": self.analyses,
        }

    def _check(self, container: str, key: str, raw: Any) -> str:
        path = f"{container}.{key}"
        if not isinstance(raw, dict):
            raise ManifestShapeError(
                f"{self.source}: `{path}` must be an object, got {_json_type(raw)}; the "
                f"manifest is corrupted or hand-edited, {_REGENERATE}"
            )
        uid = raw.get("unique_id")
        if uid is not None and uid != key:
            raise ManifestShapeError(
                f"{self.source}: `{path}.unique_id` is {uid!r} but its key is {key!r}; the "
                f"manifest is corrupted or hand-edited, {_REGENERATE}"
            )
        return path

    def add_node(self, key: str, raw: Any) -> None:
        path = self._check("nodes", key, raw)
        if raw.get("resource_type") == "test":
            test = DataTest.from_node(raw, source=self.source, path=path)
            self.nodes[key] = self.tests[key] = test
        else:
            node = Node.from_node(raw, source=self.source, path=path)
            self.nodes[key] = node
            bucket = self._by_type.get(node.resource_type)
            if bucket is not None:
                bucket[key] = node
        self.everything[key] = self.nodes[key]

    def add_all(
        self, container: str, raws: dict[str, Any], cls: type, into: dict[str, Any]
    ) -> None:
        for key, raw in raws.items():
            path = self._check(container, key, raw)
            into[key] = self.everything[key] = cls.from_node(raw, source=self.source, path=path)


@dataclass(frozen=True)
class _Indexes:
    """Lookups built once per manifest so queries are dict hits, not scans."""

    everything: dict[str, Any]
    models_by_name: dict[str, list[Node]]
    tests_by_node: dict[str, list[DataTest]]
    exposures_by_node: dict[str, list[Exposure]]
    maps_from_manifest: bool

    @classmethod
    def build(cls, b: _Builder, maps_from_manifest: bool) -> _Indexes:
        models_by_name: dict[str, list[Node]] = {}
        for model in b.models.values():
            models_by_name.setdefault(model.name, []).append(model)
        tests_by_node: dict[str, list[DataTest]] = {}
        for test in b.tests.values():
            if test.attached_node:
                tests_by_node.setdefault(test.attached_node, []).append(test)
        exposures_by_node: dict[str, list[Exposure]] = {}
        for exposure in b.exposures.values():
            for parent in dict.fromkeys(exposure.depends_on):
                exposures_by_node.setdefault(parent, []).append(exposure)
        return cls(
            b.everything, models_by_name, tests_by_node, exposures_by_node, maps_from_manifest
        )


def _missing_top_key(source: str, key: str, value: Any) -> ManifestShapeError:
    found = "is missing" if value is None else f"must be an object, got {_json_type(value)}"
    return ManifestShapeError(
        f"{source}: top-level key `{key}` {found}, so this is not a complete dbt manifest; "
        f"check the path points at target/manifest.json, or {_REGENERATE}"
    )


def _schema_version(meta: _Fields, source: str) -> int:
    """The N of ``.../manifest/vN.json``; anything else is UnsupportedManifestVersionError."""
    url = meta.string("dbt_schema_version")
    supported = f"v{SUPPORTED_SCHEMA_VERSIONS[0]}-v{SUPPORTED_SCHEMA_VERSIONS[-1]}"
    if not url:
        raise UnsupportedManifestVersionError(
            f"{source}: `metadata.dbt_schema_version` is missing, so the manifest schema "
            f"version cannot be checked (supported: {supported}, dbt 1.4-1.11); {_REGENERATE}"
        )
    match = _SCHEMA_URL.search(url)
    if match is None or match["kind"] != "manifest":
        kind = f"a dbt `{match['kind']}` artifact" if match else "not a dbt manifest"
        raise UnsupportedManifestVersionError(
            f"{source}: `metadata.dbt_schema_version` is {url!r}, which is {kind}; point "
            f"featureops at target/manifest.json (supported schemas: manifest {supported})"
        )
    version = int(match["num"])
    if version < SUPPORTED_SCHEMA_VERSIONS[0]:
        advice = "regenerate it with dbt 1.4 or newer (`dbt parse`)"
    elif version > SUPPORTED_SCHEMA_VERSIONS[-1]:
        advice = "upgrade featureops, or regenerate it with dbt 1.11 or older"
    else:
        return version
    raise UnsupportedManifestVersionError(
        f"{source}: manifest schema v{version} ({url}) is not supported (supported: "
        f"{supported}, dbt 1.4-1.11); {advice}"
    )


def _project_name(data: dict[str, Any], meta: _Fields, b: _Builder) -> str:
    """``metadata.project_name`` (v10+); for older manifests, recover it.

    v8/v9 only store ``project_id`` = md5(project name), so we hash every package name seen
    in the manifest (macros included: a root project may own nothing but macros) and take the
    match. If there is no id, or nothing matches, we fall back to the most common package
    among models and seeds, ties going to the first seen; ``""`` for a manifest with none.
    """
    name = meta.string("project_name")
    if name:
        return name
    packages: dict[str, None] = {}
    macros = data.get("macros")
    macros = macros if isinstance(macros, dict) else {}
    for group in (b.nodes, b.sources, b.exposures, b.metrics, macros):
        for uid in group:
            parts = uid.split(".", 2)
            if len(parts) > 1:
                packages[parts[1]] = None
    project_id = meta.opt_string("project_id")
    if project_id:
        for package in packages:
            if hashlib.md5(package.encode(), usedforsecurity=False).hexdigest() == project_id:
                return package
    nodes = (*b.models.values(), *b.seeds.values())
    votes = Counter(
        n.package_name or n.unique_id.partition(".")[2].partition(".")[0] for n in nodes
    )
    return votes.most_common(1)[0][0] if votes else ""


def _graph_maps(
    data: dict[str, Any], live: dict[str, Any]
) -> tuple[dict[str, tuple[str, ...]], dict[str, tuple[str, ...]], bool]:
    """``parent_map``/``child_map``: the manifest's own when consistent, else from depends_on.

    Consistent means both are objects keyed by exactly the live unique_ids, with lists of
    strings as values (dbt builds them from ``depends_on.nodes``; a hand-edited or partial
    manifest may not). The fallback is one pass over every resource's ``depends_on``.
    """
    pm, cm = data.get("parent_map"), data.get("child_map")
    if (
        isinstance(pm, dict)
        and isinstance(cm, dict)
        and pm.keys() == live.keys()
        and cm.keys() == live.keys()
        and _all_str_lists(pm.values())
        and _all_str_lists(cm.values())
    ):
        return {k: tuple(v) for k, v in pm.items()}, {k: tuple(v) for k, v in cm.items()}, True
    parents: dict[str, tuple[str, ...]] = {}
    children: dict[str, list[str]] = {uid: [] for uid in live}
    for uid, obj in live.items():
        deps = tuple(dict.fromkeys(getattr(obj, "depends_on", ())))
        parents[uid] = deps
        for parent in deps:
            children.setdefault(parent, []).append(uid)
    return parents, {k: tuple(v) for k, v in children.items()}, False


def _all_str_lists(values: Iterable[Any]) -> bool:
    return all(isinstance(v, list) and all(isinstance(x, str) for x in v) for v in values)


# --- I/O -----------------------------------------------------------------------------------


def load_manifest(path: str | os.PathLike[str]) -> Manifest:
    """Read and parse a ``manifest.json``; every failure is a one-line FeatureopsError."""
    source = os.fspath(path)
    if os.path.isdir(source):
        inside = [
            os.path.join(source, *p)
            for p in (("manifest.json",), ("target", "manifest.json"))
            if os.path.isfile(os.path.join(source, *p))
        ]
        hint = f"did you mean {inside[0]}?" if inside else "pass the manifest.json file itself"
        raise ManifestNotFoundError(f"manifest path {source} is a directory, not a file; {hint}")
    try:
        with open(source, "rb") as fh:  # bytes: json detects the encoding, one read
            data = json.load(fh)
    except FileNotFoundError:
        raise ManifestNotFoundError(
            f"manifest not found: {source} does not exist; run `dbt parse` in the dbt project "
            f"to create target/manifest.json, or pass the right path with --manifest"
        ) from None
    except OSError as exc:
        raise ManifestReadError(
            f"cannot read manifest {source}: {exc.strerror or exc}; check the file's "
            f"permissions, or {_REGENERATE}"
        ) from None
    except UnicodeDecodeError as exc:
        raw = exc.object if isinstance(exc.object, bytes) else b""
        line = raw.count(b"\n", 0, exc.start) + 1
        column = exc.start - raw.rfind(b"\n", 0, exc.start)
        raise ManifestParseError(
            f"manifest {source} is not valid UTF-8 at line {line}, column {column} (byte "
            f"{exc.start}); the file is corrupted, {_REGENERATE}"
        ) from None
    except json.JSONDecodeError as exc:
        raise _json_error(source, exc) from None
    except RecursionError:
        raise ManifestParseError(
            f"manifest {source} is nested too deeply to be a dbt manifest; {_REGENERATE}"
        ) from None
    return Manifest.from_dict(data, source=source)


def _json_error(source: str, exc: json.JSONDecodeError) -> ManifestParseError:
    if not exc.doc.strip():
        return ManifestParseError(
            f"manifest {source} is empty; the dbt command that wrote it was probably "
            f"interrupted, {_REGENERATE}"
        )
    # A JSON object that fails at EOF was cut short; so was one with an unterminated string
    # (a string can only run to EOF). Worth saying: it is the usual interrupted-write case.
    doc = exc.doc.rstrip()  # keep leading whitespace: exc.pos counts it
    truncated = doc.lstrip().startswith("{") and (
        exc.pos >= len(doc) or exc.msg.startswith("Unterminated string")
    )
    why = "ends early (truncated?)" if truncated else "is not valid JSON"
    return ManifestParseError(
        f"manifest {source} {why} at line {exc.lineno}, column {exc.colno} ({exc.msg}); "
        f"{_REGENERATE}"
    )
