"""The feature catalog: feature views, their features and their consumers, derived from a
dbt manifest.

A model is a feature view when ``config.meta.featureops.kind`` is ``feature_view``:
selection is by meta, never by name prefix. Every column that is not an entity key or a
timestamp is a feature. ``ml`` exposures are the consumers; those with a
``meta.featureops.features`` list are feature services.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from pydantic import ValidationError

from featureops.exceptions import FeatureopsError
from featureops.manifest import Column, Exposure, Manifest, Node
from featureops.spec import FeatureServiceSpec, FeatureViewSpec, TrainingSetSpec

META_KEY = "featureops"
SpecT = TypeVar("SpecT", FeatureViewSpec, TrainingSetSpec)


class InvalidFeatureMetaError(FeatureopsError):
    """A meta.featureops block does not match its schema."""


class UnknownFeatureError(FeatureopsError):
    """A feature reference names a view, feature or service that does not exist."""


def featureops_meta(meta: Mapping[str, Any]) -> Any:
    """The raw ``featureops`` entry of a node's merged meta (None when absent)."""
    return meta.get(META_KEY)


def is_feature_view_node(node: Node) -> bool:
    block = featureops_meta(node.meta)
    return node.resource_type == "model" and isinstance(block, Mapping) and (
        block.get("kind") == "feature_view"
    )


def is_training_set_node(node: Node) -> bool:
    block = featureops_meta(node.meta)
    return node.resource_type == "model" and isinstance(block, Mapping) and (
        block.get("kind") == "training_set"
    )


def view_name(node: Node) -> str:
    """The catalog name of a model: its name, or ``name_v<N>`` for a non-latest version
    (dbt's own default alias for versioned models)."""
    if node.is_versioned and not node.is_latest_version:
        return f"{node.name}_v{node.version}"
    return node.name


def describe_validation_error(error: ValidationError) -> list[tuple[str, str]]:
    """(field path, message) pairs from a pydantic error, in meta.featureops terms."""
    problems = []
    for item in error.errors():
        location = ".".join(str(part) for part in item["loc"])
        message = item["msg"]
        if item["type"] == "extra_forbidden":
            message = "unknown key (check the spelling; see docs/metadata.md)"
        elif message.startswith("Value error, "):
            message = message.removeprefix("Value error, ")
        problems.append((f"meta.featureops.{location}" if location else "meta.featureops", message))
    return problems


@dataclass(frozen=True)
class Feature:
    """One feature column of a feature view."""

    view: str
    column: Column

    @property
    def name(self) -> str:
        return self.column.name

    @property
    def ref(self) -> str:
        return f"{self.view}:{self.name}"

    @property
    def data_type(self) -> str | None:
        return self.column.data_type

    @property
    def description(self) -> str:
        return self.column.description


@dataclass(frozen=True)
class FeatureView:
    """A dbt model declared as a feature view, with its parsed meta.featureops spec."""

    model: Node
    spec: FeatureViewSpec
    group_owner: str | None = None
    consumers: tuple[Exposure, ...] = field(default=())

    @property
    def name(self) -> str:
        return view_name(self.model)

    @property
    def owner(self) -> str | None:
        return self.spec.owner or self.group_owner

    @property
    def entities(self) -> tuple[str, ...]:
        return tuple(self.spec.entities)

    @property
    def timestamp(self) -> str:
        return self.spec.timestamp

    @property
    def features(self) -> tuple[Feature, ...]:
        keys = set(self.spec.key_columns)
        return tuple(
            Feature(self.name, column)
            for name, column in self.model.columns.items()
            if name not in keys
        )

    def feature(self, name: str) -> Feature:
        for candidate in self.features:
            if candidate.name == name:
                return candidate
        raise UnknownFeatureError(
            f"feature view '{self.name}' has no feature '{name}'"
            f"{_suggestion(name, (f.name for f in self.features))}; "
            f"run `featureops describe {self.name}` to list its features"
        )


@dataclass(frozen=True)
class FeatureService:
    """An ``ml`` exposure that lists the features it reads."""

    exposure: Exposure
    spec: FeatureServiceSpec

    @property
    def name(self) -> str:
        return self.exposure.name


@dataclass(frozen=True)
class TrainingSet:
    """A training-set model (``kind: training_set``): what an ml exposure was trained on."""

    model: Node
    spec: TrainingSetSpec

    @property
    def name(self) -> str:
        return self.model.name

    @property
    def exposure(self) -> str:
        return self.spec.exposure


class FeatureCatalog:
    """Feature views, services and training sets of one manifest, by name."""

    def __init__(self, manifest: Manifest, views: Iterable[FeatureView],
                 services: Iterable[FeatureService],
                 training_sets: Iterable[TrainingSet] = ()) -> None:
        self.manifest = manifest
        self.views: dict[str, FeatureView] = {view.name: view for view in views}
        self.services: dict[str, FeatureService] = {s.name: s for s in services}
        self.training_sets: dict[str, TrainingSet] = {t.name: t for t in training_sets}

    @classmethod
    def from_manifest(cls, manifest: Manifest) -> FeatureCatalog:
        """Build the catalog; raise InvalidFeatureMetaError (one line, naming the model and
        its YAML file) on the first invalid block. `featureops validate` lists them all."""
        ml_exposures = [e for e in manifest.exposures.values() if e.type == "ml"]
        views = []
        for node in manifest.models.values():
            if not is_feature_view_node(node):
                continue
            spec = parse_view_spec(node)
            consumers = tuple(e for e in ml_exposures if node.unique_id in e.depends_on)
            views.append(FeatureView(node, spec, _group_owner(manifest, node), consumers))
        services = []
        for exposure in ml_exposures:
            block = featureops_meta(exposure.meta)
            if block is None:
                continue
            try:
                services.append(FeatureService(exposure, FeatureServiceSpec.model_validate(block)))
            except ValidationError as error:
                field_path, message = describe_validation_error(error)[0]
                raise InvalidFeatureMetaError(
                    f"{exposure.original_file_path}: exposure '{exposure.name}': {field_path}: "
                    f"{message}; run `featureops validate` to list every problem"
                ) from None
        training_sets = [TrainingSet(node, parse_training_set_spec(node))
                         for node in manifest.models.values() if is_training_set_node(node)]
        return cls(manifest, views, services, training_sets)

    def view(self, name: str) -> FeatureView:
        try:
            return self.views[name]
        except KeyError:
            raise UnknownFeatureError(
                f"no feature view named '{name}'{_suggestion(name, self.views)}; "
                "run `featureops list` to see the catalog"
            ) from None

    def service(self, name: str) -> FeatureService:
        try:
            return self.services[name]
        except KeyError:
            raise UnknownFeatureError(
                f"no ml exposure with meta.featureops.features named '{name}'"
                f"{_suggestion(name, self.services)}"
            ) from None

    def resolve(self, references: Iterable[str]) -> dict[str, list[Feature]]:
        """Resolve ``view:feature`` and whole-``view`` references into features grouped by
        view, in first-mention order, without duplicates."""
        resolved: dict[str, list[Feature]] = {}
        for reference in references:
            view_part, _, feature_part = reference.partition(":")
            view = self.view(view_part.strip())
            chosen = [view.feature(feature_part.strip())] if feature_part else view.features
            bucket = resolved.setdefault(view.name, [])
            bucket.extend(f for f in chosen if f not in bucket)
        return resolved

    def resolve_service(self, name: str) -> dict[str, list[Feature]]:
        return self.resolve(self.service(name).spec.features)

    def training_sets_for(self, exposure: str) -> list[TrainingSet]:
        """The training sets whose meta names this ml exposure."""
        return [t for t in self.training_sets.values() if t.exposure == exposure]


def parse_view_spec(node: Node) -> FeatureViewSpec:
    return _parse_model_spec(node, FeatureViewSpec)


def parse_training_set_spec(node: Node) -> TrainingSetSpec:
    return _parse_model_spec(node, TrainingSetSpec)


def _parse_model_spec(node: Node, spec_class: type[SpecT]) -> SpecT:
    try:
        return spec_class.model_validate(featureops_meta(node.meta))
    except ValidationError as error:
        field_path, message = describe_validation_error(error)[0]
        raise InvalidFeatureMetaError(
            f"{node.yaml_path or node.original_file_path}: model '{node.name}': {field_path}: "
            f"{message}; run `featureops validate` to list every problem"
        ) from None


def _group_owner(manifest: Manifest, node: Node) -> str | None:
    if not node.group:
        return None
    for group in manifest.groups.values():
        if group.name == node.group:
            return group.owner_name or group.owner_email
    return None


def _suggestion(name: str, candidates: Iterable[str]) -> str:
    close = difflib.get_close_matches(name, list(candidates), n=1)
    return f" (did you mean '{close[0]}'?)" if close else ""
