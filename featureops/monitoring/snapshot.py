"""What the monitoring views say now, read for the report and the terminal summary: the
warehouse computes every statistic (the featureops package's monitoring models); this module
only selects rows. Views of a part of monitoring the project did not build (drift or skew
not configured) are read as empty."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from featureops.monitoring.parts import CHECK_PARTS, PART_VIEWS
from featureops.monitoring.warehouse import MonitoringWarehouse

QUALITY_MODEL = "monitoring__quality_metrics"
#: Why a built part measured nothing in the latest build.
NOTHING_MEASURED = {"quality": "no monitored model has rows",
                    "drift": "no drift check found rows in its windows",
                    "skew": "no served traffic in the serving window"}
VIEWS = {
    "anomalies": "monitoring__anomalies",
    "freshness": "monitoring__freshness",
    "schema_changes": "monitoring__schema_changes",
    "drift": "monitoring__drift",
    "skew": "monitoring__skew",
}


@dataclass
class MonitoringSnapshot:
    """The monitoring views as DataFrames (empty when a view has no rows yet, or was not
    built), and the parts of monitoring that were built."""

    anomalies: pd.DataFrame
    freshness: pd.DataFrame
    schema_changes: pd.DataFrame
    drift: pd.DataFrame
    skew: pd.DataFrame
    monitored_tables: list[str]
    parts: frozenset[str] = frozenset(PART_VIEWS)

    @property
    def latest_freshness(self) -> pd.DataFrame:
        return _rows(self.freshness, "is_latest_build")

    @property
    def latest_schema_changes(self) -> pd.DataFrame:
        return _rows(self.schema_changes, "is_latest_build")

    @property
    def latest_drift(self) -> pd.DataFrame:
        return _rows(self.drift, "is_latest_bucket", "measured_in_latest_build")

    @property
    def latest_skew(self) -> pd.DataFrame:
        return _rows(self.skew, "measured_in_latest_build")

    def tables_of(self, check: str) -> set[str]:
        """Tables a kind of check looks at, by what the monitoring views hold."""
        if CHECK_PARTS.get(check, "quality") not in self.parts:
            return set()
        if check == "distribution_drift":
            return set(self.latest_drift["model_name"]) if len(self.latest_drift) else set()
        if check == "training_serving_skew":
            return set(self.latest_skew["feature_view"]) if len(self.latest_skew) else set()
        return set(self.monitored_tables)

    def part_status(self, part: str) -> str:
        """not_configured (not built), insufficient_data (built, but the latest build
        measured nothing: see NOTHING_MEASURED) or measured."""
        if part not in self.parts:
            return "not_configured"
        measured = {"quality": bool(self.monitored_tables), "drift": len(self.latest_drift) > 0,
                    "skew": len(self.latest_skew) > 0}
        return "measured" if measured[part] else "insufficient_data"


def load_snapshot(warehouse: MonitoringWarehouse,
                  parts: frozenset[str] = frozenset(PART_VIEWS)) -> MonitoringSnapshot:
    """The views of the built ``parts`` (see featureops.monitoring.parts.built_parts)."""
    built = {view for part in parts for view in PART_VIEWS[part]}
    frames = {name: warehouse.query(f"select * from {warehouse.relation(model)}").to_pandas()
              if model in built else pd.DataFrame()
              for name, model in VIEWS.items()}
    monitored: list[str] = []
    if "quality" in parts:
        quality = warehouse.relation(QUALITY_MODEL)
        monitored = warehouse.query(
            f"select distinct model_name from {quality} "
            f"where measured_at = (select max(measured_at) from {quality}) order by model_name"
        ).column("model_name").to_pylist()
    frames["anomalies"] = _rows(frames["anomalies"], "measured_in_latest_build")
    return MonitoringSnapshot(**frames, monitored_tables=monitored, parts=parts)


def _rows(frame: pd.DataFrame, *flags: str) -> pd.DataFrame:
    """The rows where every flag column is true (a view that was not built has none)."""
    if frame.empty:
        return frame
    selected = pd.Series(True, index=frame.index)
    for flag in flags:
        selected &= frame[flag].astype(bool)
    return frame[selected]
