"""Redis stopped during reads: 503 with the reason, then recovery without a restart.
Uses a private redis-server on a spare port (never the shared instance)."""

from __future__ import annotations

import time

import pytest
from fastapi.testclient import TestClient

from featureops.online import materialize
from featureops.online.sdk import OnlineFeatureClient
from featureops.serving.app import create_app
from featureops.serving.settings import ServingSettings
from tests.integration.online_support import END, private_redis, project_for, redis_store

pytestmark = pytest.mark.slow


def test_redis_down_gives_503_then_recovers(duckdb_build, monkeypatch, tmp_path):
    project = project_for(duckdb_build, monkeypatch)
    with private_redis(tmp_path) as server:
        monkeypatch.setenv("FEATUREOPS_TEST_REDIS_URL", server.url)
        store = redis_store(url_env="FEATUREOPS_TEST_REDIS_URL", socket_timeout=0.5,
                            connect_timeout=0.2)
        materialize(project, store=store, select=["feat_user__profile"], end_time=END,
                    progress=False)
        client = OnlineFeatureClient(project, store=store)
        settings = ServingSettings(store_retry_seconds=0.2, log_dir=str(tmp_path / "log"))
        request = {"features": ["feat_user__profile:card_tier"], "entities": {"user_id": [1]},
                   "as_of": "2026-11-01T00:00:00Z"}
        with TestClient(create_app(project, client=client, settings=settings, tokens=()),
                        raise_server_exceptions=False) as http:
            before = http.post("/features", json=request)
            assert before.status_code == 200
            server.stop()
            down = http.post("/features", json=request)
            assert down.status_code == 503
            assert "unreachable" in down.json()["detail"] and str(server.port) in (
                down.json()["detail"])
            assert down.headers["retry-after"] == "1"
            assert http.post("/features", json=request).status_code == 503  # circuit open
            assert http.get("/health").status_code == 503
            metrics = http.get("/metrics").text
            assert "featureops_store_up 0.0" in metrics
            assert 'reason="store_unavailable"' in metrics
            server.start()
            deadline = time.monotonic() + 10
            while (after := http.post("/features", json=request)).status_code != 200:
                assert time.monotonic() < deadline, after.text
                time.sleep(0.1)
            assert after.json()["results"][1] == before.json()["results"][1]
            assert http.get("/health").status_code == 200
            assert "featureops_store_up 1.0" in http.get("/metrics").text
        store.close()
