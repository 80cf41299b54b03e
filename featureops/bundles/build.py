"""`featureops bundle`: a bundle for an ml exposure from a registered dataset version."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from featureops.bundles.bundle import Bundle, BundleFeature, bundle_id, view_definition_hash
from featureops.bundles.errors import BundleError
from featureops.bundles.spec import PreprocessingSpec
from featureops.datasets.registry import DatasetRegistry
from featureops.project import Project


def build_bundle(project: Project, registry: DatasetRegistry, exposure: str, dataset: str,
                 spec: PreprocessingSpec | None = None) -> Bundle:
    from featureops.catalog import FeatureCatalog

    entry = registry.load(dataset)
    service = FeatureCatalog.from_manifest(project.manifest).resolve_service(exposure)
    by_reference = {reference: column for column, reference in entry.features.items()}
    views = {view["view"]: view for view in entry.definition.get("views", [])}
    types = {c["name"]: c["type"] for c in entry.columns}
    features = []
    for view, wanted in service.items():
        for feature in wanted:
            reference = f"{view}:{feature.name}"
            if reference not in by_reference:
                raise BundleError(f"dataset version {entry.version} has no column for "
                                  f"{reference}, a feature of exposure '{exposure}'")
            column = by_reference[reference]
            features.append(BundleFeature(column, reference, view, types[column],
                                          view_definition_hash(views[view])))
    preprocessing = {}
    if spec is not None:
        unknown = [c for c in spec.features if c not in {f.column for f in features}]
        if unknown:
            raise BundleError(f"preprocessing: '{unknown[0]}' is not a feature of exposure "
                              f"'{exposure}' in {entry.version}")
        preprocessing = _fit(registry, entry, types, spec)
    return Bundle(bundle_id(features, entry.version, preprocessing), exposure, entry.version,
                  features, preprocessing,
                  datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))


def _fit(registry: DatasetRegistry, entry, types, spec: PreprocessingSpec):
    import duckdb

    from featureops.bundles.fit import fit

    path: Path | None = registry.file_of(entry)
    if path is None:
        raise BundleError(f"dataset version {entry.version}: none of its files exists "
                          f"({', '.join(entry.files) or 'none recorded'}); preprocessing is "
                          "fitted on its rows")
    with duckdb.connect(config={"autoinstall_known_extensions": False}) as conn:
        return fit(conn, str(path), types, spec)
