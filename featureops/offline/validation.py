"""`featureops validate` for the offline side: training-set blocks and the window
declarations of feature columns. Problems are (severity, field, message) triples that
featureops.validate turns into its Problem records (it names the file and model)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from pydantic import ValidationError

from featureops.catalog import (
    FeatureCatalog,
    UnknownFeatureError,
    describe_validation_error,
    featureops_meta,
)
from featureops.manifest import Manifest, Node
from featureops.spec import FeatureViewSpec, FeatureWindowSpec, TrainingSetSpec

Finding = tuple[str, str, str]  # severity, field, message


def training_set_problems(node: Node, manifest: Manifest,
                          catalog: FeatureCatalog | None) -> Iterator[Finding]:
    """Schema, exposure, feature references, labels and lineage of a training set.
    ``catalog`` is None when feature views are invalid (references cannot be checked)."""
    try:
        spec = TrainingSetSpec.model_validate(featureops_meta(node.meta))
    except ValidationError as error:
        for field, message in describe_validation_error(error):
            yield "error", field, message
        return
    exposure = next((e for e in manifest.exposures.values() if e.name == spec.exposure), None)
    if exposure is None or exposure.type != "ml":
        yield ("error", "meta.featureops.exposure",
               f"no ml exposure named '{spec.exposure}' (the model this set trains)")
    elif node.unique_id not in exposure.depends_on:
        yield ("warning", "meta.featureops.exposure",
               f"exposure '{spec.exposure}' does not list ref('{node.name}') in depends_on, so "
               "lineage does not show what it was trained on")
    for index, source in enumerate(spec.label_sources):
        if not any(model.name == source for model in manifest.models.values()):
            yield ("error", f"meta.featureops.label_sources.{index}",
                   f"no model named '{source}'")
    for field, column in _declared_columns(spec):
        if node.columns and column not in node.columns:
            yield ("warning", field,
                   f"column '{column}' is not among the model's documented columns")
    if catalog is not None:
        yield from _reference_problems(spec, catalog)


def _reference_problems(spec: TrainingSetSpec, catalog: FeatureCatalog) -> Iterator[Finding]:
    if spec.features is None:
        if spec.exposure in catalog.services and not catalog.services[spec.exposure].spec.features:
            yield ("error", "meta.featureops.exposure",
                   f"exposure '{spec.exposure}' lists no meta.featureops.features; list them "
                   "there or in this block's features")
        return
    for index, reference in enumerate(spec.features):
        try:
            catalog.resolve([reference])
        except UnknownFeatureError as error:
            yield "error", f"meta.featureops.features.{index}", str(error)


def _declared_columns(spec: TrainingSetSpec) -> Iterator[tuple[str, str]]:
    yield "meta.featureops.timestamp", spec.timestamp
    for index, label in enumerate(spec.labels):
        yield f"meta.featureops.labels.{index}", label


def window_problems(node: Node, spec: FeatureViewSpec,
                    manifest: Manifest) -> Iterator[Finding]:
    """Window declarations (column meta.featureops with a window) of a feature view."""
    models = {model.name: model for model in manifest.models.values()}
    for name, column in node.columns.items():
        block = featureops_meta(column.meta)
        if not (isinstance(block, Mapping) and "window" in block):
            continue
        try:
            window = FeatureWindowSpec.model_validate(block)
        except ValidationError as error:
            for field, message in describe_validation_error(error):
                yield "error", f"columns.{name}.{field}", message
            continue
        yield from _window_source_problems(name, window, spec, node, models)


def _window_source_problems(name: str, window: FeatureWindowSpec, spec: FeatureViewSpec,
                            view: Node, models: dict[str, Node]) -> Iterator[Finding]:
    field = f"columns.{name}.meta.featureops"
    source = models.get(window.source)
    if source is None:
        yield "error", f"{field}.source", f"no model named '{window.source}'"
        return
    if not source.columns:
        return  # undocumented source: the leakage check reports missing columns
    # An entity key missing from the view itself is reported once, on the view's block.
    wanted: dict[str, Any] = {entity: "entity key" for entity in spec.entities
                              if entity in view.columns}
    wanted[window.source_timestamp or spec.timestamp] = "source_timestamp"
    for column, role in ((window.source_column, "source_column"),
                         (window.available_at, "available_at")):
        if column:
            wanted[column] = role
    for column, role in wanted.items():
        if column not in source.columns:
            yield ("error", f"{field}.source",
                   f"source model '{window.source}' documents no column '{column}' ({role})")
