"""Alerts from the feature server: the served-values judge (per view and interval, from
counter readings), and a running app whose background task alerts on the values it served
stale or outside the ttl, then sends "resolved"; /metrics counts values per view."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pyarrow as pa
import pytest
import yaml
from fastapi.testclient import TestClient

from featureops.alerts.config import AlertConfigError
from featureops.alerts.served import ServedValuesJudge
from featureops.catalog import FeatureCatalog
from featureops.online.push import push_records
from featureops.project import Project
from featureops.serving.app import create_app
from featureops.testing import ManifestBuilder
from tests.unit.alerts.conftest import WEBHOOK, Receiver

VIEW = "feat_users"


def test_the_judge_works_on_what_was_served_since_the_last_reading() -> None:
    judge = ServedValuesJudge(max_outside_ttl_share=0.5)
    first = judge.judge({("a", "present"): 8, ("a", "stale"): 2, ("b", "outside_ttl"): 3,
                         ("b", "present"): 1})
    assert {(p.key, p.level) for p in first.problems} == {
        ("server/a/served_stale", "warning"), ("server/b/served_outside_ttl", "critical")}
    assert first.problems[0].summary == ("2 of 10 values served stale (the view is older "
                                         "than its sla.freshness)")
    assert first.problems[1].details == {"values": 4, "stale": 0, "outside_ttl": 3}
    # since then: a served only present values, b served nothing (not judged), c is new
    second = judge.judge({("a", "present"): 20, ("a", "stale"): 2, ("b", "outside_ttl"): 3,
                          ("b", "present"): 1, ("c", "outside_ttl"): 1, ("c", "present"): 3})
    assert second.problems == ()  # c: 1 of 4 outside the ttl is below the share
    assert second.judged == {"server/a/served_stale", "server/a/served_outside_ttl",
                             "server/c/served_stale", "server/c/served_outside_ttl"}


@pytest.fixture
def project(tmp_path: Path, receiver: Receiver, monkeypatch: pytest.MonkeyPatch) -> Project:
    """feat_users (ttl 30d, sla freshness 1h) in a private SQLite store: user 1's newest
    record at 2026-11-01 10:00, user 2's a month older. The server judges every second."""
    builder = ManifestBuilder("shop")
    builder.feature_view(VIEW, tests=False, block={"sla": {"freshness": "1h"}})
    (tmp_path / "manifest.json").write_text(json.dumps(builder.build()))
    _settings(tmp_path, {"channels": [WEBHOOK], "server": {"interval": "1s"}})
    monkeypatch.setenv("HOOK_URL", f"{receiver.url}/hook")
    for name in ("FEATUREOPS_ONLINE_STORE", "FEATUREOPS_SERVE_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    project = Project(tmp_path, tmp_path / "manifest.json")
    view = FeatureCatalog.from_manifest(project.manifest).view(VIEW)
    push_records(project, view, pa.table({
        "user_id": pa.array([1, 2], pa.int64()),
        "event_at": pa.array([datetime(2026, 11, 1, 10), datetime(2026, 10, 1, 10)],
                             pa.timestamp("us")),
        "amount_sum_7d": [1.5, 2.5]}))
    return project


def _settings(project_dir: Path, alerts: dict) -> None:
    (project_dir / "featureops.yml").write_text(yaml.safe_dump({
        "online_store": {"type": "sqlite", "path": str(project_dir / "online.db")},
        "alerts": alerts}))


@pytest.fixture
def http(project: Project) -> Iterator[TestClient]:
    with TestClient(create_app(project, tokens=(), serving_log=False)) as client:
        yield client


def _lookup(http: TestClient, users: list[int], as_of: str) -> list[str]:
    response = http.post("/features", json={"features": [f"{VIEW}:amount_sum_7d"],
                                            "entities": {"user_id": users}, "as_of": as_of})
    assert response.status_code == 200, response.text
    return response.json()["results"][1]["statuses"]


def _wait_for(receiver: Receiver, count: int) -> list[dict]:
    deadline = time.monotonic() + 10
    while len(receiver.bodies()) < count and time.monotonic() < deadline:
        time.sleep(0.05)
    return receiver.bodies()


def test_metrics_count_values_per_view_and_status(http: TestClient) -> None:
    assert _lookup(http, [1, 2, 3], "2026-11-01T13:00:00") == ["stale", "outside_ttl",
                                                               "not_found"]
    assert _lookup(http, [1], "2026-11-01T10:30:00") == ["present"]
    text = http.get("/metrics").text
    for status in ("stale", "outside_ttl", "not_found", "present"):
        assert (f'featureops_feature_values_total{{status="{status}",view="{VIEW}"}} 1.0'
                in text)


def test_the_server_alerts_on_what_it_served_then_resolves(http: TestClient,
                                                           receiver: Receiver) -> None:
    _lookup(http, [1, 2], "2026-11-01T13:00:00")  # user 1 stale, user 2 outside the ttl
    [firing] = _wait_for(receiver, 1)
    assert (firing["source"], firing["table"], firing["level"]) == ("server", VIEW,
                                                                    "critical")
    assert [(p["check"], p["level"]) for p in firing["problems"]] == [
        ("served_outside_ttl", "critical"), ("served_stale", "warning")]
    assert firing["problems"][0]["details"] == {"values": 2, "stale": 1, "outside_ttl": 1}
    _lookup(http, [1], "2026-11-01T10:30:00")  # fresh again, nothing outside the ttl
    resolved = _wait_for(receiver, 2)[1]
    assert resolved["status"] == "resolved"
    assert sorted(r["check"] for r in resolved["resolved"]) == ["served_outside_ttl",
                                                                "served_stale"]


def test_invalid_alert_settings_stop_the_app_from_being_built(project: Project) -> None:
    _settings(project.project_dir, {"channels": [{"type": "webhook", "url": "http://x"}]})
    with pytest.raises(AlertConfigError, match="url_env"):
        create_app(project, tokens=(), serving_log=False)
