"""What the monitoring views say now, read for the report and the terminal summary: the
warehouse computes every statistic (dbt models in models/monitoring/); this module only
selects rows."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from featureops.monitoring.warehouse import MonitoringWarehouse

QUALITY_MODEL = "monitoring__quality_metrics"
VIEWS = {
    "anomalies": "monitoring__anomalies",
    "freshness": "monitoring__freshness",
    "schema_changes": "monitoring__schema_changes",
    "drift": "monitoring__drift",
    "skew": "monitoring__skew",
}


@dataclass
class MonitoringSnapshot:
    """The monitoring views as DataFrames (empty when a view has no rows yet)."""

    anomalies: pd.DataFrame
    freshness: pd.DataFrame
    schema_changes: pd.DataFrame
    drift: pd.DataFrame
    skew: pd.DataFrame
    monitored_tables: list[str]

    @property
    def latest_freshness(self) -> pd.DataFrame:
        return self.freshness[self.freshness["is_latest_build"].astype(bool)]

    @property
    def latest_schema_changes(self) -> pd.DataFrame:
        return self.schema_changes[self.schema_changes["is_latest_build"].astype(bool)]

    @property
    def latest_drift(self) -> pd.DataFrame:
        frame = self.drift
        return frame[frame["is_latest_bucket"].astype(bool)
                     & frame["measured_in_latest_build"].astype(bool)]

    @property
    def latest_skew(self) -> pd.DataFrame:
        frame = self.skew
        return frame[frame["measured_in_latest_build"].astype(bool)]

    def tables_of(self, check: str) -> set[str]:
        """Tables a kind of check looks at, by what the monitoring views hold."""
        if check == "distribution_drift":
            return set(self.latest_drift["model_name"])
        if check == "training_serving_skew":
            return set(self.latest_skew["feature_view"])
        return set(self.monitored_tables)


def load_snapshot(warehouse: MonitoringWarehouse) -> MonitoringSnapshot:
    frames = {name: warehouse.query(f"select * from {warehouse.relation(model)}").to_pandas()
              for name, model in VIEWS.items()}
    quality = warehouse.relation(QUALITY_MODEL)
    monitored = warehouse.query(
        f"select distinct model_name from {quality} "
        f"where measured_at = (select max(measured_at) from {quality}) order by model_name")
    anomalies = frames["anomalies"]
    frames["anomalies"] = anomalies[anomalies["measured_in_latest_build"].astype(bool)]
    return MonitoringSnapshot(**frames,
                              monitored_tables=monitored.column("model_name").to_pylist())
