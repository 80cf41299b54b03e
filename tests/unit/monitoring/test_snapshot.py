"""Monitoring views of the parts a project built; parts not built read as empty."""

from __future__ import annotations

import pandas as pd
import pyarrow as pa

from featureops.monitoring.snapshot import MonitoringSnapshot, load_snapshot


class _Warehouse:
    """Answers every view with one row; records what was queried."""

    def __init__(self) -> None:
        self.queried: list[str] = []

    def relation(self, model: str) -> str:
        return f'"db"."main"."{model}"'

    def query(self, sql: str) -> pa.Table:
        self.queried.append(sql)
        if "distinct model_name" in sql:
            return pa.table({"model_name": ["feat_a"]})
        return pa.table({"model_name": ["feat_a"], "measured_in_latest_build": [True]})


def test_only_the_views_of_built_parts_are_read() -> None:
    warehouse = _Warehouse()
    snapshot = load_snapshot(warehouse, frozenset({"quality"}))  # type: ignore[arg-type]
    read = " ".join(warehouse.queried)
    assert "monitoring__anomalies" in read and "monitoring__quality_metrics" in read
    assert "monitoring__drift" not in read and "monitoring__skew" not in read
    assert snapshot.drift.empty and snapshot.latest_drift.empty and snapshot.latest_skew.empty
    assert snapshot.tables_of("distribution_drift") == set()
    assert snapshot.tables_of("volume_anomaly") == {"feat_a"}
    assert [snapshot.part_status(part) for part in ("quality", "drift", "skew")] == [
        "measured", "not_configured", "not_configured"]


def test_a_built_part_that_measured_nothing_has_insufficient_data() -> None:
    empty = pd.DataFrame({"feature_view": [], "measured_in_latest_build": []})
    snapshot = MonitoringSnapshot(anomalies=pd.DataFrame(), freshness=pd.DataFrame(),
                                  schema_changes=pd.DataFrame(), drift=pd.DataFrame(),
                                  skew=empty, monitored_tables=["feat_a"],
                                  parts=frozenset({"quality", "skew"}))
    assert snapshot.part_status("skew") == "insufficient_data"
    assert snapshot.tables_of("training_serving_skew") == set()
