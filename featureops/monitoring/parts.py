"""Which parts of monitoring a project built. vars.featureops.monitoring turns each part of
the featureops dbt package's monitoring on (docs/monitoring.md); a part that is off has no
enabled model in the manifest, and monitoring reads nothing of it."""

from __future__ import annotations

from featureops.monitoring.errors import MonitoringError
from featureops.package import PACKAGE_NAME
from featureops.project import Project

#: Each part and the views monitoring reads of it: quality (metrics history, anomalies,
#: freshness, schema changes), drift and training-serving skew.
PART_VIEWS = {
    "quality": ("monitoring__quality_metrics", "monitoring__anomalies", "monitoring__freshness",
                "monitoring__schema_changes"),
    "drift": ("monitoring__drift",),
    "skew": ("monitoring__skew",),
}
#: The part each monitoring test belongs to.
CHECK_PARTS = {
    "freshness_sla": "quality", "volume_anomaly": "quality", "column_anomalies": "quality",
    "schema_changes": "quality", "monitoring_coverage": "quality",
    "distribution_drift": "drift", "training_serving_skew": "skew",
}
_SETTINGS_KEY = "vars.featureops.monitoring"


def built_parts(project: Project) -> frozenset[str]:
    """The parts whose views are all enabled models of the manifest (of the project, or of
    the featureops package), or a one-line error when monitoring is off altogether."""
    manifest = project.manifest
    names = {node.name for node in manifest.models.values()
             if node.package_name in (manifest.project_name, PACKAGE_NAME)}
    parts = frozenset(part for part, views in PART_VIEWS.items() if set(views) <= names)
    if not parts:
        raise MonitoringError(f"{project.manifest_path}: {_off_reason(project)}")
    return parts


def _off_reason(project: Project) -> str:
    """Why the manifest has no monitoring model, by the project's settings."""
    block = project.var("featureops")
    settings = block.get("monitoring") if isinstance(block, dict) else None
    where = f"{_SETTINGS_KEY} in {project.project_dir / 'dbt_project.yml'}"
    if isinstance(settings, dict) and str(settings.get("enabled")).lower() == "true":
        return (f"monitoring is on but configures nothing to build: list models under "
                f"monitored, drift checks under drift or training sets under skew "
                f"({where}; see docs/monitoring.md), then run dbt build")
    return (f"monitoring is off: the project built no featureops monitoring model; turn it "
            f"on with enabled: true and the models to monitor ({where}; see "
            f"docs/monitoring.md), then run dbt build")
