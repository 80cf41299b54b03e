"""The OpenAPI schema tells clients the whole truth: the bearer auth scheme, every error
answer of every route (401, 413, 422, 503) and /metrics as text; a schemathesis run against
/openapi.json, with auth, finds no 5xx and no answer the schema does not describe. /health
shows where the store is only to authorized requests."""

from __future__ import annotations

import subprocess
import sys

import pytest
from fastapi.testclient import TestClient

from featureops.online.sdk import OnlineFeatureClient
from featureops.serving.app import create_app
from featureops.serving.settings import ServingSettings
from tests.integration.online_support import project_for, sqlite_store
from tests.integration.serving_support import live_server, materialized
from tests.integration.test_push_contracts import TOKEN_ENV, VIEW

pytestmark = pytest.mark.slow
TOKEN = "reader-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
STANDARD = {"401", "413", "422", "503"}
#: Fixed, so a failure reproduces; another seed explores other inputs.
SEED = "20261104"


@pytest.fixture(params=["sqlite", "redis"])
def served(request, duckdb_build, monkeypatch, tmp_path):
    # the reader's token is also the producer's: generated pushes reach validation
    monkeypatch.setenv(TOKEN_ENV, TOKEN)
    monkeypatch.setenv("FEATUREOPS_DEAD_LETTER_DIR", str(tmp_path / "dead"))
    with materialized(request.param, duckdb_build, monkeypatch, tmp_path) as (project, client):
        yield create_app(project, client=client,
                         settings=ServingSettings(log_dir=str(tmp_path / "log")),
                         tokens=(TOKEN,))


def test_schemathesis_finds_no_server_error_and_no_undocumented_answer(served, tmp_path):
    config = tmp_path / "schemathesis.toml"
    config.write_text(f'[parameters]\n"path.view" = "{VIEW}"\n')
    with live_server(served) as url:
        run = subprocess.run(
            [sys.executable, "-m", "schemathesis.cli", "--no-color", "--config-file",
             str(config), "run", f"{url}/openapi.json", "--header",
             f"Authorization: Bearer {TOKEN}", "--max-examples", "100", "--seed", SEED,
             "--generation-database", "none",
             # a schema cannot say which views exist or which entity keys a view needs:
             # a schema-valid request naming an unknown view rightly gets 400
             "--exclude-checks", "positive_data_acceptance"],
            cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout[-8000:] + run.stderr[-2000:]
    assert "Tested: 5" in run.stdout and " passed" in run.stdout


def test_openapi_declares_auth_every_error_answer_and_metrics_as_text(served):
    with TestClient(served) as http:
        schema = http.get("/openapi.json").json()
    assert schema["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    operations = {(path, method): operation for path, item in schema["paths"].items()
                  for method, operation in item.items()}
    assert set(operations) == {("/features", "post"), ("/similar", "post"),
                               ("/health", "get"), ("/metrics", "get"),
                               ("/push/{view}", "post")}
    for key, operation in operations.items():
        assert set(operation["responses"]) >= STANDARD, key
    for key in [("/features", "post"), ("/similar", "post"), ("/metrics", "get"),
                ("/push/{view}", "post")]:
        assert operations[key]["security"] == [{"bearer": []}], key
    assert operations[("/health", "get")]["security"] == [{}, {"bearer": []}]
    assert set(operations[("/metrics", "get")]["responses"]["200"]["content"]) == {
        "text/plain"}
    assert "Retry-After" in operations[("/features", "post")]["responses"]["503"]["headers"]


def test_health_shows_the_store_only_to_authorized_requests(duckdb_build, monkeypatch,
                                                           tmp_path):
    project = project_for(duckdb_build, monkeypatch)
    store = sqlite_store(tmp_path / "online.db")
    settings = ServingSettings(log_dir=str(tmp_path / "log"))
    app = create_app(project, client=OnlineFeatureClient(project, store=store),
                     settings=settings, tokens=(TOKEN,))
    blocked = tmp_path / "not_a_folder"
    blocked.write_text("")
    down = create_app(project, client=OnlineFeatureClient(
        project, store=sqlite_store(blocked / "online.db")), settings=settings, tokens=(TOKEN,))
    with TestClient(app) as http, TestClient(down) as http_down:
        assert http.get("/health").json() == {"status": "ok"}
        assert http.get("/health", headers={"Authorization": "Bearer wrong"}).json() == {
            "status": "ok"}
        detailed = http.get("/health", headers=AUTH).json()
        assert detailed["status"] == "ok" and str(tmp_path) in detailed["store"]
        hidden = http_down.get("/health")
        assert hidden.status_code == 503 and hidden.json() == {
            "detail": "online store unavailable"}
        assert hidden.headers["retry-after"] == "1"
        shown = http_down.get("/health", headers=AUTH)
        assert shown.status_code == 503 and str(blocked) in shown.json()["detail"]
