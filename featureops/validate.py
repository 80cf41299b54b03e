"""`featureops validate`: every meta.featureops block checked against its schema and against
the model it sits on, with every problem reported (not just the first).

A problem names the YAML file, the model or exposure, and the field at fault, so it can be
fixed without opening the manifest.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass
from typing import Literal

from pydantic import ValidationError

from featureops.catalog import (
    FeatureCatalog,
    UnknownFeatureError,
    describe_validation_error,
    featureops_meta,
    is_feature_view_node,
    is_training_set_node,
    view_name,
)
from featureops.manifest import Exposure, Manifest, Node
from featureops.offline.validation import training_set_problems, window_problems
from featureops.request_time.rules import chained_problems, request_time_problems
from featureops.spec import FeatureServiceSpec, FeatureViewSpec

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Problem:
    severity: Severity
    path: str
    resource: str
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.severity}: {self.path}: {self.resource}: {self.field}: {self.message}"

    def to_dict(self) -> dict[str, str]:
        return asdict(self)


@dataclass(frozen=True)
class ValidationReport:
    problems: tuple[Problem, ...]
    feature_views: int
    feature_services: int
    training_sets: int = 0

    @property
    def errors(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.severity == "error")

    @property
    def ok(self) -> bool:
        return not self.errors


def validate_manifest(manifest: Manifest) -> ValidationReport:
    """Check every feature view and feature service of the manifest."""
    problems: list[Problem] = []
    view_count = 0
    training_sets = [node for node in manifest.models.values() if is_training_set_node(node)]
    for node in manifest.models.values():
        block = featureops_meta(node.meta)
        if block is None or node in training_sets:
            continue
        view_count += 1
        problems.extend(_check_view(node, block, manifest))
    services = [e for e in manifest.exposures.values() if featureops_meta(e.meta) is not None]
    catalog = None
    if not any(p.severity == "error" for p in problems):
        catalog = FeatureCatalog.from_manifest(_without_training_sets(manifest, training_sets))
        for exposure in services:
            problems.extend(_check_service(exposure, catalog))
        for view in catalog.views.values():
            path = view.model.yaml_path or view.model.original_file_path
            problems.extend(Problem("error", path, f"model '{view.model.name}'", field, message)
                            for field, message in chained_problems(view, catalog))
    for node in training_sets:
        problems.extend(
            Problem(severity, node.yaml_path or node.original_file_path, f"model '{node.name}'",
                    field, message)  # type: ignore[arg-type]
            for severity, field, message in training_set_problems(node, manifest, catalog)
        )
    problems.extend(_check_duplicate_names(manifest))
    return ValidationReport(tuple(problems), view_count, len(services), len(training_sets))


def _without_training_sets(manifest: Manifest, training_sets: list[Node]) -> Manifest:
    """The catalog refuses an invalid training-set block; validate reports it instead."""
    if not training_sets:
        return manifest
    from dataclasses import replace

    models = {uid: node for uid, node in manifest.models.items() if node not in training_sets}
    return replace(manifest, models=models)


def _check_view(node: Node, block: object, manifest: Manifest) -> Iterator[Problem]:
    path = node.yaml_path or node.original_file_path
    resource = f"model '{node.name}'"

    def problem(field: str, message: str, severity: Severity = "error") -> Problem:
        return Problem(severity, path, resource, field, message)

    if not isinstance(block, Mapping):
        yield problem("meta.featureops", f"must be a mapping, got {type(block).__name__}")
        return
    if not is_feature_view_node(node):
        yield problem(
            "meta.featureops.kind",
            f"must be 'feature_view' (got {block.get('kind')!r}); only models can be feature views"
            if node.resource_type == "model"
            else "only models can be feature views",
        )
    try:
        spec = FeatureViewSpec.model_validate(block)
    except ValidationError as error:
        for field, message in describe_validation_error(error):
            if field != "meta.featureops.kind":
                yield problem(field, message)
        return
    for field, message in _contract_problems(node, spec):
        yield problem(field, message)
    for severity, field, message in window_problems(node, spec, manifest):
        yield problem(field, message, severity)  # type: ignore[arg-type]
    for severity, field, message in request_time_problems(node, spec, manifest):
        yield problem(field, message, severity)  # type: ignore[arg-type]


def _contract_problems(node: Node, spec: FeatureViewSpec) -> Iterator[tuple[str, str]]:
    """The contract a feature view needs: enforced, typed, holding its key columns."""
    if not node.contract_enforced:
        yield (
            "config.contract.enforced",
            "a feature view needs an enforced contract: add `contract: {enforced: true}` "
            "under config and a data_type for every column",
        )
    for field, column in _key_columns(spec):
        if column not in node.columns:
            yield (
                f"meta.featureops.{field}",
                f"column '{column}' is not declared in the model's columns (the contract)",
            )
        elif not node.columns[column].data_type:
            yield f"columns.{column}.data_type", "entity and timestamp columns need a data_type"
    untyped = [name for name, column in node.columns.items() if not column.data_type]
    if node.contract_enforced and untyped:
        yield "columns", f"columns without data_type: {', '.join(untyped)}"
    if node.columns and set(node.columns) <= set(spec.key_columns):
        yield "columns", "no feature columns: every column is a key or timestamp"


def _key_columns(spec: FeatureViewSpec) -> Iterator[tuple[str, str]]:
    for index, entity in enumerate(spec.entities):
        yield f"entities.{index}", entity
    yield "timestamp", spec.timestamp
    if spec.created_timestamp:
        yield "created_timestamp", spec.created_timestamp


def _check_service(exposure: Exposure, catalog: FeatureCatalog) -> Iterator[Problem]:
    path = exposure.original_file_path
    resource = f"exposure '{exposure.name}'"
    if exposure.type != "ml":
        yield Problem("error", path, resource, "type",
                      f"meta.featureops is only read on exposures of type ml (got {exposure.type})")
        return
    try:
        spec = FeatureServiceSpec.model_validate(featureops_meta(exposure.meta))
    except ValidationError as error:
        for field, message in describe_validation_error(error):
            yield Problem("error", path, resource, field, message)
        return
    for index, reference in enumerate(spec.features):
        try:
            resolved = catalog.resolve([reference])
        except UnknownFeatureError as error:
            yield Problem("error", path, resource, f"meta.featureops.features.{index}", str(error))
            continue
        for name in resolved:
            view = catalog.views[name]
            if view.model.unique_id not in exposure.depends_on:
                yield Problem(
                    "warning", path, resource, f"meta.featureops.features.{index}",
                    f"reads '{name}' but does not list ref('{view.model.name}') in depends_on, "
                    "so lineage and impact analysis miss it",
                )


def _check_duplicate_names(manifest: Manifest) -> Iterator[Problem]:
    seen: dict[str, Node] = {}
    for node in manifest.models.values():
        if not is_feature_view_node(node):
            continue
        name = view_name(node)
        if name in seen:
            yield Problem(
                "error", node.yaml_path or node.original_file_path, f"model '{node.name}'",
                "name", f"feature view name '{name}' is also used by {seen[name].unique_id}",
            )
        seen[name] = node
