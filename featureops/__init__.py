"""featureops: a declarative, dbt-based feature platform.

The public Python API. Everything here reads dbt's artifacts; nothing imports dbt itself.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from featureops._lazy import lazy_exports

# name -> module: imported on first use, so `import featureops` (and the CLI's start-up)
# never loads the audit, contracts, lineage or manifest modules a caller does not use
_EXPORTS = {
    "AuditReport": "featureops.audit",
    "run_audit": "featureops.audit",
    "Feature": "featureops.catalog",
    "FeatureCatalog": "featureops.catalog",
    "FeatureService": "featureops.catalog",
    "FeatureView": "featureops.catalog",
    "TrainingSet": "featureops.catalog",
    "Contract": "featureops.contracts",
    "Registry": "featureops.contracts",
    "check_contracts": "featureops.contracts",
    "register_contracts": "featureops.contracts",
    "format_duration": "featureops.durations",
    "parse_duration": "featureops.durations",
    "FeatureopsError": "featureops.exceptions",
    "LineageGraph": "featureops.lineage.graph",
    "Column": "featureops.manifest",
    "DataTest": "featureops.manifest",
    "Exposure": "featureops.manifest",
    "Manifest": "featureops.manifest",
    "Node": "featureops.manifest",
    "Source": "featureops.manifest",
    "load_manifest": "featureops.manifest",
    "Project": "featureops.project",
    "FeatureServiceSpec": "featureops.spec",
    "FeatureViewSpec": "featureops.spec",
    "FeatureWindowSpec": "featureops.spec",
    "TrainingSetSpec": "featureops.spec",
    "Problem": "featureops.validate",
    "ValidationReport": "featureops.validate",
    "validate_manifest": "featureops.validate",
}
_export = lazy_exports(__name__, _EXPORTS)

if TYPE_CHECKING:
    from featureops.audit import AuditReport, run_audit
    from featureops.catalog import (
        Feature,
        FeatureCatalog,
        FeatureService,
        FeatureView,
        TrainingSet,
    )
    from featureops.contracts import Contract, Registry, check_contracts, register_contracts
    from featureops.durations import format_duration, parse_duration
    from featureops.exceptions import FeatureopsError
    from featureops.lineage.graph import LineageGraph
    from featureops.manifest import (
        Column,
        DataTest,
        Exposure,
        Manifest,
        Node,
        Source,
        load_manifest,
    )
    from featureops.project import Project
    from featureops.spec import (
        FeatureServiceSpec,
        FeatureViewSpec,
        FeatureWindowSpec,
        TrainingSetSpec,
    )
    from featureops.validate import Problem, ValidationReport, validate_manifest


def __getattr__(name: str) -> Any:
    if name == "__version__":
        # the installed release (the wheel's metadata); the dbt package carries the same one
        from featureops.package import cli_version

        return cli_version()
    return _export(name)


__all__ = [
    "AuditReport",
    "Column",
    "Contract",
    "DataTest",
    "Exposure",
    "Feature",
    "FeatureCatalog",
    "FeatureService",
    "FeatureServiceSpec",
    "FeatureView",
    "FeatureViewSpec",
    "FeatureWindowSpec",
    "FeatureopsError",
    "LineageGraph",
    "Manifest",
    "Node",
    "Problem",
    "Project",
    "Registry",
    "Source",
    "TrainingSet",
    "TrainingSetSpec",
    "ValidationReport",
    "check_contracts",
    "format_duration",
    "load_manifest",
    "parse_duration",
    "register_contracts",
    "run_audit",
    "validate_manifest",
]
