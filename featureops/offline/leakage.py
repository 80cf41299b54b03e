"""`featureops leakage`: the leakage checks of the training sets and feature views in the
warehouse, reported per model and column.

The checks are the dbt generic tests of macros/training/ (no_future_feature_values,
windows_exclude_event, labels_known_before_prediction, label_correlation), rendered here
for the same warehouse: one definition, two front doors, like the point-in-time join.
Here labels_known_before_prediction is also given the column lineage of each feature
(featureops.offline.label_reads), so it judges the columns a feature reads.

A training-set Parquet file that `featureops training-set` wrote is checked too: its
metadata (featureops.offline.training_file) says which view and column each feature came
from, so its values are checked against the warehouse like a training-set model's, plus
feature_values_within_ttl (no value older than its view's ttl at the prediction time) and
labels_not_features (no label column recorded as a feature).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import Any, Literal

import pyarrow as pa

from featureops.catalog import FeatureCatalog, TrainingSet, UnknownFeatureError
from featureops.exceptions import FeatureopsError
from featureops.offline.errors import TrainingSetError
from featureops.offline.graph import graph_from_manifest
from featureops.offline.label_reads import label_reads, project_resolver
from featureops.offline.macros import MacroRenderer, MacroSource
from featureops.offline.retrieval import relation_of
from featureops.offline.spine import looks_like_file
from featureops.offline.training_file import TrainingFile, TrainingFileError, read_training_file
from featureops.offline.warehouse import Warehouse, open_warehouse
from featureops.project import Project

Severity = Literal["error", "warning"]
DEFAULT_MAX_CORRELATION = 0.95


@dataclass(frozen=True)
class LeakageFinding:
    check: str
    severity: Severity
    model: str
    column: str
    problem: str
    failing_rows: int
    example: str | None = None

    def __str__(self) -> str:
        rows = f" ({self.failing_rows} row(s); e.g. {self.example})" if self.example else ""
        return f"{self.severity}: {self.check}: {self.model}.{self.column}: {self.problem}{rows}"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class LeakageReport:
    findings: tuple[LeakageFinding, ...]
    training_sets: tuple[str, ...]
    feature_views: tuple[str, ...]

    @property
    def errors(self) -> tuple[LeakageFinding, ...]:
        return tuple(f for f in self.findings if f.severity == "error")

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass(frozen=True)
class _Check:
    name: str
    severity: Severity
    subject: str  # the model checked, for progress and errors
    sql: str


def check_leakage(project: Project | None = None, *,
                  project_dir: str | os.PathLike[str] | None = None,
                  manifest: str | os.PathLike[str] | None = None,
                  warehouse: str | os.PathLike[str] | Warehouse | None = None,
                  training_sets: Sequence[str] | None = None,
                  max_correlation: float = DEFAULT_MAX_CORRELATION,
                  macros: MacroSource | None = None,
                  on_check: Callable[[str], None] | None = None) -> LeakageReport:
    """Run every leakage check on the chosen training sets (models, or Parquet files that
    `featureops training-set` wrote; default: every training-set model) and on every
    feature view that declares windows. ``on_check`` is called before each query."""
    if not 0 < max_correlation <= 1:
        raise TrainingSetError(f"max_correlation must be in (0, 1], got {max_correlation}")
    project = project or Project.locate(project_dir, manifest)
    catalog = FeatureCatalog.from_manifest(project.manifest)
    files = [read_training_file(name) for name in training_sets or () if looks_like_file(name)]
    models = [name for name in training_sets or () if not looks_like_file(name)]
    chosen = _chosen_training_sets(catalog, models) if models or not files else []
    engine, owns = open_warehouse(project, warehouse, _database(catalog))
    try:
        graph = graph_from_manifest(project.manifest)
        renderer = MacroRenderer(
            engine.adapter_type, source=macros or MacroSource.from_manifest(project.manifest),
            graph=graph,
            ref=lambda name, version=None: relation_of(project.manifest, name, version))
        checks = [*_training_set_checks(renderer, project, chosen, max_correlation),
                  *_training_file_checks(renderer, engine, project, files, max_correlation),
                  *_window_checks(renderer, graph, catalog)]
        findings = [finding for file in files for finding in _label_findings(file)]
        for check in checks:
            if on_check:
                on_check(f"{check.name} on {check.subject}")
            findings.extend(_run(engine, check))
    finally:
        if owns:
            engine.close()
    views = sorted({view for check in checks if check.name == "windows_exclude_event"
                    for view in [check.subject]})
    return LeakageReport(tuple(findings), (*(t.name for t in chosen), *(f.name for f in files)),
                         tuple(views))


def _chosen_training_sets(catalog: FeatureCatalog,
                          names: Sequence[str] | None) -> list[TrainingSet]:
    if not names:
        return list(catalog.training_sets.values())
    unknown = [name for name in names if name not in catalog.training_sets]
    if unknown:
        known = ", ".join(catalog.training_sets) or "none"
        raise UnknownFeatureError(f"no training set named {', '.join(map(repr, unknown))} "
                                  f"(models with meta.featureops kind: training_set: {known})")
    return [catalog.training_sets[name] for name in names]


def _training_set_checks(renderer: MacroRenderer, project: Project,
                         chosen: Iterable[TrainingSet],
                         max_correlation: float) -> Iterable[_Check]:
    resolver = None
    for training_set in chosen:
        spec = training_set.spec.model_dump()
        relation = relation_of(project.manifest, training_set.name)
        columns = {name: {"data_type": column.data_type}
                   for name, column in training_set.model.columns.items()}
        views = renderer.render("_training_set_views", spec)
        yield _Check("no_future_feature_values", "error", training_set.name, renderer.render(
            "future_feature_values_sql", relation, spec, training_set.name))
        # Column lineage says which features read label columns (the dbt test cannot).
        resolver = resolver or project_resolver(project.manifest, project.project_dir)
        reads = label_reads(resolver, training_set, views)
        yield _Check("labels_known_before_prediction", "error", training_set.name,
                     renderer.render("label_availability_sql", views, spec["label_sources"],
                                     reads))
        yield _Check("label_correlation", "warning", training_set.name, renderer.render(
            "label_correlation_sql", relation, spec, max_correlation, training_set.name,
            columns))


def _training_file_checks(renderer: MacroRenderer, engine: Warehouse, project: Project,
                          files: Sequence[TrainingFile],
                          max_correlation: float) -> Iterable[_Check]:
    """The value checks of each file, run on its rows uploaded into the session."""
    for index, file in enumerate(files):
        _check_written_for(renderer, project, file)
        name = f"__fo_training_file_{index}"
        engine.register(name, file.table)
        relation, spec = engine.quote(name), file.spec
        yield _Check("no_future_feature_values", "error", file.name, renderer.render(
            "future_feature_values_sql", relation, spec, file.name))
        yield _Check("feature_values_within_ttl", "error", file.name, renderer.render(
            "stale_feature_values_sql", relation, spec, file.name))
        numeric = {label: {"data_type": "boolean" if pa.types.is_boolean(kind) else "double"}
                   for label in file.labels if label in file.spine_columns
                   for kind in [file.table.schema.field(label).type]
                   if pa.types.is_boolean(kind) or pa.types.is_integer(kind)
                   or pa.types.is_floating(kind) or pa.types.is_decimal(kind)}
        if numeric:
            yield _Check("label_correlation", "warning", file.name, renderer.render(
                "label_correlation_sql", relation, {**spec, "labels": list(numeric)},
                max_correlation, file.name, numeric))


def _check_written_for(renderer: MacroRenderer, project: Project, file: TrainingFile) -> None:
    """The file's features must resolve in this project as they did when it was written."""
    if file.project != project.manifest.project_name:
        raise TrainingFileError(f"{file.name}: written for project '{file.project}', not "
                                f"'{project.manifest.project_name}'")
    try:
        views = renderer.render("_training_set_views", file.spec)
    except FeatureopsError as error:
        raise TrainingFileError(f"{file.name}: its features do not resolve in this project: "
                                f"{error}") from None
    resolved = {feature["alias"]: f"{view['name']}:{feature['column']}"
                for view in views for feature in view["features"]}
    if resolved != file.features:
        changed = sorted(set(resolved.items()) ^ set(file.features.items()))
        raise TrainingFileError(f"{file.name}: its features resolve differently in this "
                                f"project now (e.g. {changed[0][0]}); rebuild the file")


def _label_findings(file: TrainingFile) -> list[LeakageFinding]:
    """A label recorded as a feature, or one that is no spine column, is a leak."""
    findings = []
    for label in file.labels:
        problem = (f"label column is also a feature (from {file.features[label]})"
                   if label in file.features else "label column is not a spine column"
                   if label not in file.spine_columns else None)
        if problem:
            findings.append(LeakageFinding("labels_not_features", "error", file.name, label,
                                           problem, file.table.num_rows))
    return findings


def _window_checks(renderer: MacroRenderer, graph: dict[str, Any],
                   catalog: FeatureCatalog) -> Iterable[_Check]:
    for view in catalog.views.values():
        node = graph["nodes"][view.model.unique_id]
        if any("window" in (column["meta"].get("featureops") or {})
               for column in node["columns"].values()):
            yield _Check("windows_exclude_event", "error", view.name,
                         renderer.render("window_leakage_sql", node))


def _run(engine: Warehouse, check: _Check) -> list[LeakageFinding]:
    summary = engine.to_arrow(
        "select model_name, column_name, problem, count(*) as failing_rows, "
        f"min(example) as example from ({check.sql}) as leakage "
        "group by model_name, column_name, problem order by model_name, column_name, problem"
    )
    return [LeakageFinding(check.name, check.severity, row["model_name"], row["column_name"],
                           row["problem"], int(row["failing_rows"]), row["example"])
            for row in summary.to_pylist()]


def _database(catalog: FeatureCatalog) -> str | None:
    for model in [*(t.model for t in catalog.training_sets.values()),
                  *(v.model for v in catalog.views.values())]:
        if model.database:
            return model.database
    return None
