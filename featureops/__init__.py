"""featureops: a declarative, dbt-based feature platform.

The public Python API. Everything here reads dbt's artifacts; nothing imports dbt itself.
"""

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
from featureops.manifest import Column, DataTest, Exposure, Manifest, Node, Source, load_manifest
from featureops.package import cli_version
from featureops.project import Project
from featureops.spec import (
    FeatureServiceSpec,
    FeatureViewSpec,
    FeatureWindowSpec,
    TrainingSetSpec,
)
from featureops.validate import Problem, ValidationReport, validate_manifest

#: The installed release (the wheel's metadata); the dbt package carries the same version.
__version__ = cli_version()

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
