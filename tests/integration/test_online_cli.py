"""The online commands end to end: materialize, lookup, consistency, online-status and
`featureops serve` answering over real HTTP with a keep-alive client."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import httpx
import pytest

from featureops.cli import run
from tests.integration.online_support import free_port
from tests.integration.serving_support import wait_healthy

pytestmark = pytest.mark.slow


@pytest.fixture
def cli_env(duckdb_build, monkeypatch, tmp_path):
    """Commands run on the session build, with the SQLite store in a private directory."""
    (tmp_path / "featureops.yml").write_text(
        f"online_store:\n  type: sqlite\n  path: {tmp_path / 'online.db'}\n"
        f"serving:\n  log_dir: {tmp_path / 'serving_log'}\n")
    monkeypatch.setenv("FEATUREOPS_DUCKDB_PATH", str(duckdb_build.duckdb_path))
    monkeypatch.delenv("FEATUREOPS_ONLINE_STORE", raising=False)
    monkeypatch.delenv("FEATUREOPS_SERVE_TOKEN", raising=False)
    (tmp_path / "dbt_project.yml").write_text("name: featureops\nprofile: featureops\n")
    return ["--project-dir", str(tmp_path), "--manifest", str(duckdb_build.manifest_path)]


def test_materialize_lookup_consistency_status(cli_env, capsys):
    assert run(["materialize", *cli_env, "--end-time", "2026-11-01", "--quiet"]) == 0
    assert "feat_user__spend_windows" in capsys.readouterr().out
    assert run(["lookup", *cli_env, "-f", "feat_user__profile", "--entity", "user_id=42",
                "--as-of", "2026-11-01", "--json"]) == 0
    (row,) = json.loads(capsys.readouterr().out)
    assert row["entity"] == {"user_id": 42}
    assert row["features"]["feat_user__profile:card_tier"]["status"] == "present"
    assert run(["consistency", *cli_env, "--sample", "200"]) == 0
    assert "consistent" in capsys.readouterr().out
    assert run(["online-status", *cli_env, "--json"]) == 0
    status = json.loads(capsys.readouterr().out)
    assert {v["version"] for v in status["views"]} == {"1"}
    assert run(["materialize", *cli_env, "--incremental", "--end-time", "2026-11-01",
                "--json"]) == 0
    assert {r["mode"] for r in json.loads(capsys.readouterr().out)} == {"up_to_date"}


def test_user_errors_are_one_line_exit_2(cli_env, capsys):
    assert run(["materialize", *cli_env, "--select", "feat_transaction__context"]) == 2
    assert "is not online" in capsys.readouterr().err
    assert run(["lookup", *cli_env, "-f", "feat_user__profile", "--entity", "user_id=abc"]) == 2
    assert "must be an integer" in capsys.readouterr().err
    assert run(["materialize", *cli_env, "--warehouse", "/nonexistent/wh.duckdb"]) == 2
    assert "/nonexistent/wh.duckdb does not exist" in capsys.readouterr().err
    assert run(["serve", *cli_env, "--host", "0.0.0.0"]) == 2
    assert "refusing to listen on 0.0.0.0 without auth" in capsys.readouterr().err


def test_serve_answers_over_http_with_keep_alive(cli_env):
    assert run(["materialize", *cli_env, "--end-time", "2026-11-01", "--quiet"]) == 0
    port = free_port()
    env = {**os.environ, "FEATUREOPS_SERVE_TOKEN": "secret"}
    server = subprocess.Popen([sys.executable, "-m", "featureops", "serve", *cli_env,
                               "--port", str(port)], env=env)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}",
                          headers={"Authorization": "Bearer secret"}) as http:
            wait_healthy(http, server)
            for user in range(1, 21):
                response = http.post("/features", json={
                    "features": ["feat_user__spend_windows"], "entities": {"user_id": [user]}})
                assert response.status_code == 200
            assert len(response.json()["results"]) == 1 + 16
            assert http.get("/openapi.json").status_code == 200
    finally:
        server.terminate()
        server.wait(timeout=15)
