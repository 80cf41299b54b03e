"""featureops: a declarative, dbt-based feature platform.

The public Python API. Everything here reads dbt's artifacts; nothing imports dbt itself.
"""

from featureops.catalog import Feature, FeatureCatalog, FeatureService, FeatureView
from featureops.durations import format_duration, parse_duration
from featureops.exceptions import FeatureopsError
from featureops.manifest import Column, DataTest, Exposure, Manifest, Node, Source, load_manifest
from featureops.project import Project
from featureops.spec import FeatureServiceSpec, FeatureViewSpec
from featureops.validate import Problem, ValidationReport, validate_manifest

__all__ = [
    "Column",
    "DataTest",
    "Exposure",
    "Feature",
    "FeatureCatalog",
    "FeatureService",
    "FeatureServiceSpec",
    "FeatureView",
    "FeatureViewSpec",
    "FeatureopsError",
    "Manifest",
    "Node",
    "Problem",
    "Project",
    "Source",
    "ValidationReport",
    "format_duration",
    "load_manifest",
    "parse_duration",
    "validate_manifest",
]
