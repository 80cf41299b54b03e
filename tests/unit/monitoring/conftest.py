"""Hand-made monitoring results: dbt test results, findings and monitoring views, the shape
featureops reads from run_results.json and the monitoring models."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from featureops.manifest import DataTest
from featureops.monitoring.results import Finding, MonitoringResults, TestResult
from featureops.monitoring.snapshot import MonitoringSnapshot


def make_test_result(name: str, test_name: str, status: str, table: str = "monitoring__view",
                namespace: str | None = "featureops", rules: list[dict[str, Any]] | None = None,
                **kwargs: Any) -> TestResult:
    """A test result; with ``rules``, a test the package attaches (configured: true) that
    ran those rules of vars.featureops.monitoring.tests, as dbt records them."""
    raw: dict[str, Any] = {}
    if rules is not None:
        kwargs = {"configured": True, **kwargs}
        raw = {"config": {"meta": {"featureops": {"rules": rules}}}}
    test = DataTest(unique_id=f"test.p.{name}", name=name, test_name=test_name,
                    kwargs=kwargs, namespace=namespace, attached_node=f"model.p.{table}",
                    _raw=raw)
    return TestResult(test.unique_id, name, status, None, None, 0.1, test, "select 1")


def make_finding(check: str, model: str, level: str, column: str | None = None,
            metric: str | None = None, detail: str | None = None) -> Finding:
    return Finding("test.p.t", check, model, column, metric, None, 1.0, 0.5, 2.0, 3.0, 4.0,
                   None, None, detail, level)


@pytest.fixture
def results() -> MonitoringResults:
    """Freshness on every table (fails on one), volume on two, a skew finding, and an
    ordinary not_null test on feat_b that failed."""
    loaded = MonitoringResults(Path("run_results.json"), "2026-11-01", "inv", "build")
    loaded.tests = [
        make_test_result("fresh", "freshness_sla", "fail"),
        make_test_result("volume", "volume_anomaly", "pass", model_name=["feat_a", "feat_b"]),
        make_test_result("skew", "training_serving_skew", "warn"),
        make_test_result("not_null_b", "not_null", "fail", table="feat_b", namespace=None),
        make_test_result("unique_a", "unique", "pass", table="feat_a", namespace=None),
    ]
    loaded.findings = [
        make_finding("freshness_sla", "feat_c", "critical", "event_at", "freshness_age_seconds"),
        make_finding("training_serving_skew", "model_x", "warning", "feat_a:f1", "psi"),
    ]
    return loaded


@pytest.fixture
def snapshot() -> MonitoringSnapshot:
    empty = pd.DataFrame()
    skew = pd.DataFrame({"feature_view": ["feat_a"], "measured_in_latest_build": [True]})
    drift = pd.DataFrame({"model_name": ["feat_a"], "is_latest_bucket": [True],
                          "measured_in_latest_build": [True]})
    return MonitoringSnapshot(anomalies=empty, freshness=empty, schema_changes=empty,
                              drift=drift, skew=skew,
                              monitored_tables=["feat_a", "feat_b", "feat_c"])
