"""Leakage checks on hand-made warehouses: a window column recomputed from its source, with
the kind of failure named; argument errors."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from featureops.catalog import UnknownFeatureError
from featureops.offline.errors import TrainingSetError
from featureops.offline.leakage import LeakageFinding, check_leakage
from featureops.project import Project
from featureops.testing import ManifestBuilder

WINDOW = {"window": "1h", "aggregate": "count", "source": "events"}
FRAMES = {
    "correct": "range between interval 1 hour preceding and current row exclude group",
    "with_event": "range between interval 1 hour preceding and current row",
}


def warehouse(root: Path, frame: str) -> Project:
    """events(user_id, event_at) and a view counting each user's events in the hour before."""
    root.mkdir()
    with duckdb.connect(str(root / "dev.duckdb")) as conn:
        conn.execute("""create table events as select (i % 5) as user_id,
                        timestamp '2026-01-01' + to_minutes((i * 7) % 600) as event_at
                        from range(200) t(i)""")
        conn.execute(f"""create table user_visits as select distinct user_id, event_at,
                         count(*) over (partition by user_id order by event_at {frame})
                         as visits_1h from events""")
    builder = ManifestBuilder("mini", database="dev")
    builder.model("events", materialized="table",
                  columns={"user_id": "bigint", "event_at": "timestamp"})
    builder.feature_view("user_visits", depends_on=["events"], tests=False, columns={
        "user_id": "bigint", "event_at": "timestamp",
        "visits_1h": {"data_type": "bigint", "meta": {"featureops": WINDOW}}})
    (root / "manifest.json").write_text(json.dumps(builder.build()))
    return Project.locate(root, root / "manifest.json")


def test_a_correct_window_passes(tmp_path) -> None:
    project = warehouse(tmp_path / "ok", FRAMES["correct"])
    report = check_leakage(project, warehouse=tmp_path / "ok" / "dev.duckdb")
    assert report.feature_views == ("user_visits",) and report.findings == () and report.ok


def test_a_window_that_takes_in_the_event_is_named(tmp_path) -> None:
    project = warehouse(tmp_path / "leaky", FRAMES["with_event"])
    report = check_leakage(project, warehouse=tmp_path / "leaky" / "dev.duckdb")
    (finding,) = report.findings
    assert (finding.check, finding.model, finding.column) == (
        "windows_exclude_event", "user_visits", "visits_1h")
    assert "takes in the event itself" in finding.problem
    assert finding.failing_rows == 200  # every row counts itself
    # The smallest example is a user's first event: it counts itself (1) in an empty hour.
    assert finding.example.startswith("user_id=") and finding.example.endswith(
        ": stored 1, recomputed 0")
    assert not report.ok


def test_arguments_are_checked(tmp_path) -> None:
    project = warehouse(tmp_path / "args", FRAMES["correct"])
    with pytest.raises(TrainingSetError, match="max_correlation"):
        check_leakage(project, max_correlation=1.5)
    with pytest.raises(UnknownFeatureError, match="no training set named 'nope'"):
        check_leakage(project, training_sets=["nope"], warehouse=tmp_path / "args" / "dev.duckdb")


def test_finding_text() -> None:
    finding = LeakageFinding("label_correlation", "warning", "train", "f", "correlation 0.99", 1)
    assert str(finding) == "warning: label_correlation: train.f: correlation 0.99"


def test_a_feature_without_variance_has_no_correlation(tmp_path) -> None:
    from tests.unit.offline.test_label_reads import build_warehouse

    # 91 minutes between a rider's requests: every 1h request count is 0 (NaN on DuckDB)
    project = build_warehouse(tmp_path / "rides", minutes_apart=13)
    report = check_leakage(project, warehouse=tmp_path / "rides" / "dev.duckdb")
    assert not [f for f in report.findings if f.check == "label_correlation"]
