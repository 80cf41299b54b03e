"""The feature server answers from SQLite and from Redis; bad requests get 4xx with a
message, never 500; auth, metrics, OpenAPI and the serving log work."""

from __future__ import annotations

import os
import signal
import time

import pyarrow.parquet as pq
import pytest
from fastapi.testclient import TestClient

from featureops.serving.app import create_app
from featureops.serving.settings import ServingSettings
from tests.integration.online_support import END
from tests.integration.serving_support import materialized

pytestmark = pytest.mark.slow
AS_OF = "2026-11-01T00:00:00Z"


@pytest.fixture(params=["sqlite", "redis"])
def served(request, duckdb_build, monkeypatch, tmp_path):
    with materialized(request.param, duckdb_build, monkeypatch, tmp_path) as (project, client):
        settings = ServingSettings(log_dir=str(tmp_path / "serving_log"), max_entities=50)
        yield project, client, settings, tmp_path


def test_features_match_the_sdk(served):
    project, client, settings, _ = served
    with TestClient(create_app(project, client=client, settings=settings, tokens=())) as http:
        response = http.post("/features", json={
            "exposure": "fraud_detection_model", "as_of": AS_OF,
            "entities": {"user_id": [42, 43], "merchant_id": [7, 99999]}})
    assert response.status_code == 200
    body = response.json()
    sdk = client.get_online_features(exposure="fraud_detection_model", as_of=END,
                                     entities={"user_id": [42, 43], "merchant_id": [7, 99999]})
    names = body["metadata"]["feature_names"]
    assert names == ["user_id", "merchant_id", *sdk.feature_refs]
    assert body["metadata"]["offline_views"] == ["feat_transaction__context"]
    assert body["results"][0]["values"] == [42, 43]
    for j, ref in enumerate(sdk.feature_refs):
        column = body["results"][2 + j]
        assert column["statuses"] == [row[j].status for row in sdk.values], ref
        assert column["values"] == [row[j].value for row in sdk.values], ref
    risk = names.index("feat_merchant__risk_windows:transaction_count_30d")
    assert body["results"][risk]["statuses"] == ["present", "not_found"]


@pytest.mark.parametrize("served", ["redis"], indirect=True)  # SQLite reads have no deadline
def test_a_slow_first_plan_is_not_a_store_timeout(served, monkeypatch):
    """Planning (a request-time view compiles its SQL and loads its lookups) is no store
    wait: a first plan slower than the store deadline still answers 200, and the circuit
    stays closed."""
    from featureops.online.sdk import OnlineFeatureClient

    project, client, settings, _ = served
    build = OnlineFeatureClient._build_plan

    def slow_build(self, *args, **kwargs):
        time.sleep(0.4)
        return build(self, *args, **kwargs)

    monkeypatch.setattr(OnlineFeatureClient, "_build_plan", slow_build)
    settings = settings.model_copy(update={"store_timeout_seconds": 0.1})
    with TestClient(create_app(project, client=client, settings=settings, tokens=()),
                    raise_server_exceptions=False) as http:
        for _ in range(2):
            response = http.post("/features", json={
                "exposure": "fraud_detection_model", "as_of": AS_OF,
                "entities": {"user_id": [42], "merchant_id": [7]}})
            assert response.status_code == 200, response.text


@pytest.mark.parametrize(("body", "status", "message"), [
    (b"{not json", 400, "not valid JSON"),
    (b"[1, 2]", 422, "body"),
    (b'{"entities": {"user_id": [1]}}', 400, "either features"),
    (b'{"features": "feat_user__profile", "entities": {"user_id": [1]}}', 422, "features"),
    (b'{"features": ["feat_user__profle"], "entities": {"user_id": [1]}}', 400,
     "did you mean 'feat_user__profile'"),
    (b'{"features": ["feat_user__profile:nope"], "entities": {"user_id": [1]}}', 400,
     "no feature 'nope'"),
    (b'{"features": ["feat_transaction__context"], "entities": {"transaction_id": [1]}}', 400,
     "request lacks field(s) user_id, event_at"),  # a request-time view: fields needed
    (b'{"features": ["feat_user__profile"], "entities": {"user_id": ["x"]}}', 400,
     "must be an integer"),
    (b'{"features": ["feat_user__profile"], "entities": {"user_id": [true]}}', 400,
     "must be an integer"),
    (b'{"features": ["feat_user__profile"], "entities": {"merchant_id": [1]}}', 400,
     "lack key(s) user_id"),
    (b'{"features": ["feat_user__profile"], "entities": {"user_id": []}}', 400,
     "at least one entity"),
    (b'{"features": ["feat_user__profile"], "entities": {"user_id": 5}}', 422, "user_id"),
    (b'{"features": ["feat_user__profile"], "entities": {"user_id": [1]}, "x": 1}', 422,
     "x: Extra inputs"),
    (b'{"features": ["feat_user__profile"], "entities": {"user_id": ' + b"[1]" * 1 + b"}, "
     b'"as_of": "yesterday"}', 422, "as_of"),
])
def test_malformed_requests_get_4xx_with_a_message(served, body, status, message):
    project, client, settings, _ = served
    with TestClient(create_app(project, client=client, settings=settings, tokens=()),
                    raise_server_exceptions=False) as http:
        response = http.post("/features", content=body,
                             headers={"content-type": "application/json"})
    assert response.status_code == status, response.text
    assert message in response.json()["detail"]


def test_too_many_entities_and_too_large_bodies_get_413(served):
    project, client, settings, _ = served
    with TestClient(create_app(project, client=client, settings=settings, tokens=())) as http:
        many = http.post("/features", json={"features": ["feat_user__profile"],
                                            "entities": {"user_id": list(range(51))}})
        assert many.status_code == 413 and "limit of 50" in many.json()["detail"]
        huge = http.post("/features", content=b"{" + b" " * 2_000_000 + b"}",
                         headers={"content-type": "application/json"})
        assert huge.status_code == 413


def test_similar(served):
    project, client, settings, _ = served
    with TestClient(create_app(project, client=client, settings=settings, tokens=())) as http:
        found = http.post("/similar", json={"view": "feat_merchant__profile",
                                            "entity": {"merchant_id": 7}, "k": 5,
                                            "filter": {"category_risk_tier": "high"}})
        bad_k = http.post("/similar", json={"view": "feat_merchant__profile",
                                            "vector": [1.0] * 16, "k": 0})
        bad_dim = http.post("/similar", json={"view": "feat_merchant__profile",
                                              "vector": [1.0] * 3})
    assert found.status_code == 200
    results = found.json()["results"]
    assert len(results) == 5 and all(set(r["entity"]) == {"merchant_id"} for r in results)
    distances = [r["distance"] for r in results]
    assert distances == sorted(distances)
    tiers = client.get_online_features(
        features=["feat_merchant__profile:category_risk_tier"], as_of=END,
        entities={"merchant_id": [r["entity"]["merchant_id"] for r in results]})
    assert {row[0].value for row in tiers.values} == {"high"}
    assert bad_k.status_code == 400 and "k must be" in bad_k.json()["detail"]
    assert bad_dim.status_code == 400 and "16 elements" in bad_dim.json()["detail"]


def test_token_auth_health_metrics_openapi_and_log(served):
    project, client, settings, tmp_path = served
    app = create_app(project, client=client, settings=settings, tokens=("t0ken",))
    request = {"features": ["feat_user__profile:card_tier"], "entities": {"user_id": [1, 2]}}
    with TestClient(app) as http:
        assert http.post("/features", json=request).status_code == 401
        ok = http.post("/features", json=request, headers={"Authorization": "Bearer t0ken"})
        assert ok.status_code == 200
        assert http.get("/health").json()["status"] == "ok"
        assert http.get("/metrics").status_code == 401
        metrics = http.get("/metrics", headers={"Authorization": "Bearer t0ken"}).text
        assert http.get("/openapi.json").json()["paths"]["/features"]["post"]["requestBody"]
    assert 'featureops_request_duration_seconds_bucket{endpoint="/features",le="0.001"}' in metrics
    assert 'featureops_request_errors_total{endpoint="/features",reason="unauthorized"} 1.0' in (
        metrics)
    assert ('featureops_feature_values_total{status="stale",view="feat_user__profile"} 2.0'
            in metrics)
    files = list((tmp_path / "serving_log").glob("serving_log_*.parquet"))
    assert len(files) == 1
    rows = pq.read_table(files[0]).to_pylist()
    assert len(rows) == 2 and {r["entity_key"] for r in rows} == {'{"user_id":1}',
                                                                  '{"user_id":2}'}
    assert {r["request_id"] for r in rows} == {ok.json()["request_id"]}
    assert all(r["feature_view"] == "feat_user__profile" and r["feature"] == "card_tier"
               for r in rows)


def test_requests_return_while_the_serving_log_writer_is_blocked(served, monkeypatch):
    """The serving log never writes on the request path: with its writer process stopped,
    requests still answer, a full buffer drops (counted in /metrics), and every response
    handed over is written once the writer resumes and the server stops."""
    project, client, settings, tmp_path = served
    monkeypatch.setattr("featureops.serving.log_pipe.PIPE_BYTES", 4096)  # fill it fast
    settings = settings.model_copy(update={"log_buffer_bytes": 0})
    request = {"features": ["feat_user__profile:card_tier"], "entities": {"user_id": [1]}}
    answers = []
    app = create_app(project, client=client, settings=settings, tokens=())
    with TestClient(app) as http:
        writer = app.state.context.log.pid
        os.kill(writer, signal.SIGSTOP)
        try:
            while app.state.context.log.dropped < 3 and len(answers) < 2000:
                answers.append(http.post("/features", json=request))
            metrics = http.get("/metrics").text
            assert not list((tmp_path / "serving_log").glob("*.parquet"))
        finally:
            os.kill(writer, signal.SIGCONT)
    assert {r.status_code for r in answers} == {200}
    assert "featureops_serving_log_dropped_total 3.0" in metrics
    logged = {row["request_id"] for path in (tmp_path / "serving_log").glob("*.parquet")
              for row in pq.read_table(path).to_pylist()}
    returned = [r.json()["request_id"] for r in answers]
    assert logged <= set(returned) and len(logged) == len(returned) - 3
