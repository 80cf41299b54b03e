"""Reading run_results.json and the monitoring tests' finding rows."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pytest

from featureops.monitoring.errors import MonitoringError
from featureops.monitoring.results import (
    FINDING_COLUMNS,
    INSUFFICIENT,
    _findings,
    load_monitoring_results,
    load_test_results,
)
from featureops.project import Project
from featureops.testing.manifests import ManifestBuilder
from tests.unit.monitoring.conftest import make_test_result


@pytest.fixture
def project(tmp_path: Path) -> Project:
    manifest = {"metadata": {"dbt_schema_version":
                             "https://schemas.getdbt.com/dbt/manifest/v12.json",
                             "project_name": "p", "adapter_type": "duckdb"},
                "nodes": {}, "sources": {}, "exposures": {}}
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    return Project.locate(tmp_path, tmp_path / "manifest.json")


@pytest.mark.parametrize("content, message", [
    (None, "no dbt run results at"),
    ("{not json", "cannot read run results"),
    ("[1, 2]", "a dbt run_results.json is a JSON object"),
    ('{"metadata": {}}', "no `results` list"),
])
def test_unreadable_run_results_are_one_line_errors(project: Project, tmp_path: Path,
                                                    content: str | None, message: str) -> None:
    path = tmp_path / "run_results.json"
    if content is not None:
        path.write_text(content)
    with pytest.raises(MonitoringError, match=message):
        load_test_results(project, path)


def test_only_data_tests_are_kept(project: Project, tmp_path: Path) -> None:
    path = tmp_path / "run_results.json"
    path.write_text(json.dumps({
        "metadata": {"generated_at": "2026-11-01T00:00:00Z", "invocation_id": "i"},
        "args": {"which": "build"},
        "results": [
            {"unique_id": "model.p.feat_a", "status": "success"},
            {"unique_id": "test.p.not_null_feat_a_id.abc", "status": "fail", "failures": 3,
             "execution_time": 0.5, "compiled_code": "select 1"},
        ]}))
    loaded = load_test_results(project, path)
    assert loaded.command == "build" and loaded.invocation_id == "i"
    assert [(t.name, t.status, t.failures) for t in loaded.tests] == [
        ("not_null_feat_a_id", "fail", 3)]
    assert loaded.monitoring_tests == []


def _row(**overrides) -> dict:
    row = dict.fromkeys(FINDING_COLUMNS)
    row.update(check_name="volume_anomaly", model_name="feat_a", alert_level=2)
    row.update(overrides)
    return row


def test_finding_rows_become_findings_by_alert_level() -> None:
    test = make_test_result("volume", "volume_anomaly", "fail")
    findings = _findings(test, [_row(alert_level=2, score=-5), _row(alert_level=1),
                                _row(alert_level=0), _row(alert_level=-1)])
    assert [(f.level, f.score) for f in findings] == [
        ("critical", -5.0), ("warning", None), (INSUFFICIENT, None)]


def test_rows_of_an_older_shape_are_refused() -> None:
    test = make_test_result("volume", "volume_anomaly", "fail")
    row = _row()
    del row["detail"]
    with pytest.raises(MonitoringError, match="returned no detail column"):
        _findings(test, [row])


def test_a_result_without_its_query_keeps_the_level_dbt_recorded(project: Project,
                                                                 tmp_path: Path) -> None:
    from featureops.monitoring.results import _finding_without_rows

    test = make_test_result("fresh", "freshness_sla", "fail", model_name="feat_a")
    test = test.__class__(**{**test.__dict__, "failures": 2, "compiled_code": None,
                             "message": "Got 2 results"})
    finding = _finding_without_rows(test)
    assert (finding.level, finding.model_name, finding.check_name) == (
        "critical", "feat_a", "freshness_sla")
    assert "Got 2 results" in finding.detail


class _Warehouse:
    """Returns the finding rows of each compiled query; records what ran."""

    def __init__(self, rows: dict[str, list[dict]]) -> None:
        self.rows = rows
        self.ran: list[str] = []

    def query(self, sql: str) -> pa.Table:
        self.ran.append(sql)
        return pa.Table.from_pylist(self.rows[sql])


def test_passing_tests_are_read_for_what_they_could_not_judge(tmp_path: Path) -> None:
    builder = ManifestBuilder("p")
    builder.model("monitoring__anomalies", package="featureops")
    volume = builder.test("volume_anomaly", "monitoring__anomalies", namespace="featureops",
                          kwargs={"configured": True})
    columns = builder.test("column_anomalies", "monitoring__anomalies", namespace="featureops",
                           kwargs={"configured": True})
    (tmp_path / "manifest.json").write_text(json.dumps(builder.build()))
    project = Project.locate(tmp_path, tmp_path / "manifest.json")
    (tmp_path / "run_results.json").write_text(json.dumps({"args": {"which": "build"},
                                                           "results": [
        {"unique_id": volume, "status": "pass", "failures": 0, "compiled_code": "q_volume"},
        {"unique_id": columns, "status": "warn", "failures": 1, "compiled_code": "q_columns"},
    ]}))
    warehouse = _Warehouse({
        "q_volume": [_row(metric_name="row_count", alert_level=-1,
                          detail="insufficient data: 2 of 7 buckets of history needed")],
        "q_columns": [_row(check_name="column_anomalies", column_name="x", alert_level=1),
                      _row(check_name="column_anomalies", column_name="y", alert_level=-1)],
    })
    loaded = load_monitoring_results(project, warehouse)  # type: ignore[arg-type]
    assert sorted(warehouse.ran) == ["q_columns", "q_volume"]
    assert [(f.check_name, f.column_name, f.level) for f in loaded.findings] == [
        ("column_anomalies", "x", "warning")]
    assert [(f.check_name, f.column_name or f.metric_name) for f in loaded.insufficient] == [
        ("column_anomalies", "y"), ("volume_anomaly", "row_count")]
    assert all(f.level == INSUFFICIENT for f in loaded.insufficient)
