"""Point-in-time-correct training sets from Python: ``get_historical_features``.

The SQL is not written here: the spine is registered in the warehouse and the same dbt
macros that training-set models use (macros/training/) are rendered for it, so a training
set built by `dbt build` and one built here are the same query (ADR 0010); on DuckDB,
several views are joined one per statement, each the same macro (featureops.offline.staged).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import pyarrow as pa

from featureops.catalog import FeatureCatalog
from featureops.contracts.registry import DEFAULT_REGISTRY_DIR as CONTRACTS_DIR
from featureops.datasets.identity import DatasetVersion
from featureops.datasets.registry import DatasetRegistry, registry_dir
from featureops.datasets.writer import VersionContext
from featureops.engines.duckdb_engine import DuckDBEngine
from featureops.manifest import Manifest
from featureops.offline.errors import TrainingSetError
from featureops.offline.graph import graph_from_manifest
from featureops.offline.macros import MacroRenderer, MacroSource
from featureops.offline.spine import (
    ROW_COLUMN,
    Spine,
    looks_like_file,
    read_spine_file,
    spine_from_arrow,
    to_arrow,
)
from featureops.offline.staged import staged_join
from featureops.offline.training_file import file_metadata
from featureops.offline.warehouse import Warehouse, open_warehouse
from featureops.project import Project

if TYPE_CHECKING:
    import pandas as pd

SPINE_RELATION = "__fo_spine_input"
DEFAULT_TIMESTAMP_COLUMN = "event_timestamp"


@dataclass(frozen=True)
class JoinOptions:
    """How features are matched to spine rows (docs/training-sets.md)."""

    timestamp_column: str = DEFAULT_TIMESTAMP_COLUMN
    full_feature_names: bool = False
    exclusive: bool = False
    exclude_created_after: bool = False


@dataclass
class TrainingSetJob:
    """A training-set query planned on a warehouse; nothing runs until a ``to_*`` call."""

    warehouse: Warehouse
    sql: str
    spine: Spine
    views: list[dict[str, Any]]
    #: What the set was built from, stored in its Parquet file (featureops.offline.
    #: training_file), so `featureops leakage` can check the file later.
    metadata: dict[str, str] = field(default_factory=dict)
    #: Temporary tables ``sql`` reads, (name, query), made before it runs (on DuckDB the
    #: join runs one view at a time: featureops.offline.staged).
    steps: tuple[tuple[str, str], ...] = ()
    #: What the version written with the file is computed from (featureops.datasets).
    version_context: VersionContext | None = None
    #: Where to_parquet records the version (None: not recorded).
    registry: DatasetRegistry | None = None
    #: The version of the last file to_parquet wrote, and whether it was new to the
    #: registry (False: the same content was registered before).
    version: DatasetVersion | None = None
    version_is_new: bool = False
    _owns_warehouse: bool = field(default=True, repr=False)
    _prepared: bool = field(default=False, repr=False)

    @property
    def feature_columns(self) -> list[str]:
        return [feature["alias"] for view in self.views for feature in view["features"]]

    @property
    def columns(self) -> list[str]:
        return [*self.spine.columns, *self.feature_columns]

    def to_arrow(self) -> pa.Table:
        """The training set; spine columns keep their input types (a time-zone-aware spine
        comes back in its own zone, not the warehouse session's UTC)."""
        self._prepare()
        return _restore_types(self.warehouse.to_arrow(self.sql), self.spine.table.schema)

    def to_pandas(self) -> pd.DataFrame:
        return self.to_arrow().to_pandas()

    def to_parquet(self, path: str | os.PathLike[str]) -> Path:
        """Write the training set as Parquet, atomically (never a half-written file),
        streamed from the warehouse (the engine's own types, UTC timestamps), with its
        featureops metadata and its dataset version (``self.version`` after the call),
        recorded in the project's dataset registry (docs/reproducibility.md)."""
        from featureops.datasets.writer import write_versioned

        out = Path(path)
        self._prepare()
        if self.version_context is None:
            self.warehouse.to_parquet(self.sql, out, self.metadata)
            return out
        self.version = write_versioned(
            lambda first: self.warehouse.to_parquet(self.sql, first, self.metadata), out,
            self.version_context, self.metadata)
        if self.registry is not None:
            self.version, self.version_is_new = self.registry.record(self.version, out)
        return out

    def _prepare(self) -> None:
        if self.steps and not self._prepared:
            assert isinstance(self.warehouse, DuckDBEngine)  # steps are planned for it only
            for name, query in self.steps:
                self.warehouse.materialize(name, query)
            self._prepared = True

    def close(self) -> None:
        if self._owns_warehouse:
            self.warehouse.close()
        elif self._prepared and isinstance(self.warehouse, DuckDBEngine):
            for name, _ in self.steps:
                self.warehouse.drop_temporary(name)

    def __enter__(self) -> TrainingSetJob:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def get_historical_features(spine: Any, features: Sequence[str] | None = None, *,
                            exposure: str | None = None, output: Literal["pandas", "arrow"]
                            = "pandas", **kwargs: Any) -> pd.DataFrame | pa.Table:
    """Every spine row with, from each requested view, the feature values as of the spine's
    timestamp (point in time, within the view's ttl), in the spine's order.

    ``spine``: a pandas DataFrame, a pyarrow Table, a Parquet/CSV path or a model name.
    ``features``: ``view:feature`` or ``view`` references; ``exposure``: an ml exposure
    whose features to use (both may be given). Other keywords: see :func:`plan_training_set`.
    Returns a pandas DataFrame, or a pyarrow Table with ``output="arrow"``.
    """
    if output not in ("pandas", "arrow"):
        raise TrainingSetError(f"output must be 'pandas' or 'arrow', not {output!r}")
    with plan_training_set(spine, features, exposure=exposure, **kwargs) as job:
        table = job.to_arrow()
    return table if output == "arrow" else table.to_pandas()


def plan_training_set(spine: Any, features: Sequence[str] | None = None, *,
                      exposure: str | None = None, timestamp_column: str =
                      DEFAULT_TIMESTAMP_COLUMN, full_feature_names: bool = False,
                      exclusive: bool = False, exclude_created_after: bool = False,
                      labels: Sequence[str] = (),
                      project: Project | None = None,
                      project_dir: str | os.PathLike[str] | None = None,
                      manifest: str | os.PathLike[str] | None = None,
                      warehouse: str | os.PathLike[str] | Warehouse | None = None,
                      memory_limit: str | None = None,
                      macros: MacroSource | None = None,
                      dataset_registry: str | os.PathLike[str] | None = None,
                      ) -> TrainingSetJob:
    """Plan a training set: resolve the references, load and check the spine, render the
    point-in-time join for the warehouse's engine. ``warehouse`` is a DuckDB file dbt
    built, an open :class:`~featureops.engines.Engine`, or None: the warehouse of the
    project's selected dbt target (DuckDB or Postgres; see featureops.profiles);
    ``memory_limit`` (e.g. ``"4GB"``): DuckDB's memory budget, past which it spills to
    disk (default: a quarter of RAM, at most 2 GB; featureops.offline.warehouse);
    ``labels``: the spine's label columns, recorded in the Parquet file's metadata;
    ``dataset_registry``: the folder ``to_parquet`` records versions in (default:
    featureops.datasets.registry.registry_dir)."""
    options = JoinOptions(timestamp_column, full_feature_names, exclusive,
                          exclude_created_after)
    project = project or Project.locate(project_dir, manifest)
    catalog = FeatureCatalog.from_manifest(project.manifest)
    references = requested_references(catalog, features, exposure)
    engine, owns = open_warehouse(project, warehouse, _warehouse_database(catalog, references),
                                  memory_limit)
    try:
        job = _plan(engine, project.manifest, spine, references, options, macros, labels)
    except BaseException:
        if owns:
            engine.close()
        raise
    job._owns_warehouse = owns
    job.version_context = VersionContext(
        manifest=project.manifest, contracts_dir=project.project_dir / CONTRACTS_DIR,
        spec=_spec(options, references), views=job.views, spine_columns=job.spine.columns,
        labels=list(labels), exposure=exposure, spine_source=spine_source(spine))
    job.registry = DatasetRegistry(registry_dir(project.project_dir, dataset_registry),
                                   project.project_dir)
    return job


def spine_source(spine: Any) -> dict[str, Any]:
    """Where the spine came from, so `datasets reproduce` can read it again."""
    if isinstance(spine, (str, os.PathLike)):
        if looks_like_file(spine):
            return {"kind": "file", "path": str(Path(spine).resolve())}
        return {"kind": "model", "name": str(spine)}
    return {"kind": type(spine).__name__}


def _spec(options: JoinOptions, references: list[str]) -> dict[str, Any]:
    return {
        "kind": "training_set",
        "timestamp": options.timestamp_column,
        "features": references,
        "full_feature_names": options.full_feature_names,
        "exclusive": options.exclusive,
        "exclude_created_after": options.exclude_created_after,
    }


def requested_references(catalog: FeatureCatalog, features: Sequence[str] | None,
                         exposure: str | None) -> list[str]:
    """The exposure's features then the explicit ones, checked against the catalog (its
    errors name the view or feature and suggest close matches)."""
    if isinstance(features, str):
        features = [features]
    references = list(catalog.service(exposure).spec.features) if exposure else []
    references += [ref for ref in features or () if ref not in references]
    if not references:
        raise TrainingSetError(
            f"exposure '{exposure}' lists no features" if exposure else
            "no features requested: pass feature references (`view` or `view:feature`) "
            "or an ml exposure"
        )
    catalog.resolve(references)
    return references


def _plan(engine: Warehouse, manifest: Manifest, spine_input: Any, references: list[str],
          options: JoinOptions, macros: MacroSource | None,
          labels: Sequence[str] = ()) -> TrainingSetJob:
    spine = load_spine(spine_input, options.timestamp_column, engine, manifest)
    unknown = [label for label in labels if label not in spine.columns]
    if unknown:
        raise TrainingSetError(f"label column '{unknown[0]}' is not a column of the spine "
                               f"({', '.join(spine.columns)})")
    renderer = MacroRenderer(engine.adapter_type,
                             source=macros or MacroSource.from_manifest(manifest),
                             graph=graph_from_manifest(manifest),
                             ref=lambda name, version=None: relation_of(manifest, name, version))
    views = renderer.render("resolve_feature_views", references, options.full_feature_names)
    spine.check_entities(views)
    spine.check_output_names(f["alias"] for view in views for f in view["features"])
    engine.register(SPINE_RELATION, spine.table)
    spec = _spec(options, references)
    metadata = file_metadata(spec, spine.columns, labels, views, manifest.project_name)
    if isinstance(engine, DuckDBEngine) and len(views) > 1:
        staged = staged_join(renderer, SPINE_RELATION, ROW_COLUMN, options.timestamp_column,
                             views, spine.columns, exclusive=options.exclusive,
                             exclude_created_after=options.exclude_created_after)
        return TrainingSetJob(engine, staged.sql, spine, views, metadata, staged.steps)
    sql = renderer.render("training_set_from_spec", SPINE_RELATION, spec,
                          spine_columns=spine.columns,
                          order_by=f"__fo_spine.{engine.quote(ROW_COLUMN)}")
    return TrainingSetJob(engine, str(sql), spine, views, metadata)


def load_spine(spine: Any, timestamp: str, engine: Warehouse, manifest: Manifest) -> Spine:
    """A DataFrame/Table, a Parquet/CSV file, or a model of the warehouse (ordered by its
    timestamp, then by every column, so the order is stable)."""
    if isinstance(spine, (str, os.PathLike)):
        if looks_like_file(spine):
            path = Path(spine)
            if not path.is_file():
                raise TrainingSetError(f"spine file {path} does not exist")
            return spine_from_arrow(read_spine_file(path, engine.read_table), str(path),
                                    timestamp)
        model = manifest.find_model(str(spine))
        relation = relation_of(manifest, model.name, model.version)
        columns = list(engine.to_arrow(f"select * from {relation} limit 0").column_names)
        if timestamp not in columns:
            return spine_from_arrow(pa.table({c: [] for c in columns}), f"model '{model.name}'",
                                    timestamp)
        positions = ", ".join(str(i + 1) for i in range(len(columns)))
        table = engine.to_arrow(f"select * from {relation} order by "
                                f"{engine.quote(timestamp)}, {positions}")
        return spine_from_arrow(table, f"model '{model.name}'", timestamp)
    return spine_from_arrow(to_arrow(spine, "DataFrame"), type(spine).__name__, timestamp)


def relation_of(manifest: Manifest, name: str, version: Any = None) -> str:
    model = manifest.find_model(name, version)
    if not model.relation_name:
        raise TrainingSetError(f"model '{name}' has no relation in the warehouse (ephemeral?); "
                               "materialize it as a table or view")
    return model.relation_name


def _warehouse_database(catalog: FeatureCatalog, references: list[str]) -> str | None:
    databases = {catalog.views[name].model.database for name in catalog.resolve(references)}
    databases.discard(None)
    if len(databases) > 1:
        raise TrainingSetError(f"the requested views live in several databases "
                               f"({', '.join(sorted(databases))}); request them separately")
    return databases.pop() if databases else None


def _restore_types(table: pa.Table, spine_schema: pa.Schema) -> pa.Table:
    for index, name in enumerate(table.column_names):
        if name not in spine_schema.names:
            continue
        wanted = spine_schema.field(name).type
        if table.schema.field(index).type != wanted:
            # An engine type with no way back keeps the engine's type.
            with contextlib.suppress(pa.ArrowInvalid, pa.ArrowNotImplementedError):
                table = table.set_column(index, name, table.column(index).cast(wanted))
    return table
