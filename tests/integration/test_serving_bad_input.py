"""Bad input never gets a 500: out-of-range entity keys and as_of times, similarity
requests on offline views, with overflowing vectors or the null marker as a filter; a
client leaving mid-body is counted as such, not as a server error; and the keep-alive
connection stays usable after a refused request."""

from __future__ import annotations

import http.client
import json
import logging
import socket
import time
from urllib.parse import urlsplit

import orjson
import pytest
from fastapi.testclient import TestClient

from featureops.serving.app import create_app
from featureops.serving.settings import ServingSettings
from tests.integration.serving_support import live_server, materialized

pytestmark = pytest.mark.slow
CARD_TIER = ["feat_user__profile:card_tier"]
GOOD = {"features": CARD_TIER, "entities": {"user_id": [1]}, "as_of": "2026-11-01T00:00:00Z"}


@pytest.fixture(params=["sqlite", "redis"])
def app(request, duckdb_build, monkeypatch, tmp_path):
    with materialized(request.param, duckdb_build, monkeypatch, tmp_path,
                      ["feat_user__profile", "feat_merchant__profile"]) as (project, client):
        yield create_app(project, client=client,
                         settings=ServingSettings(log_dir=str(tmp_path / "log")), tokens=())


def post(connection: http.client.HTTPConnection, path: str, body: dict) -> tuple[int, dict]:
    connection.request("POST", path, body=json.dumps(body),  # orjson stops at 64 bits
                       headers={"Content-Type": "application/json"})
    response = connection.getresponse()
    return response.status, orjson.loads(response.read())


@pytest.mark.parametrize(("change", "message"), [
    ({"entities": {"user_id": [100000000000000000000]}}, "must be a 64-bit integer"),
    ({"entities": {"user_id": ["-9223372036854775809"]}}, "must be a 64-bit integer"),
    ({"as_of": "0001-01-01T00:00:00+14:00"}, "out of range in UTC"),
    ({"as_of": "9999-12-31T23:59:59-14:00"}, "out of range in UTC"),
])
def test_out_of_range_values_get_400_and_the_connection_stays_usable(app, change, message):
    with live_server(app) as url:
        connection = http.client.HTTPConnection(urlsplit(url).hostname, urlsplit(url).port)
        status, body = post(connection, "/features", {**GOOD, **change})
        assert status == 400 and message in body["detail"], body
        status, body = post(connection, "/features", GOOD)  # the same connection
        assert status == 200 and body["results"][1]["statuses"] == ["present"]
        connection.close()


@pytest.mark.parametrize(("body", "message"), [
    ({"view": "feat_transaction__context", "vector": [1.0] * 16}, "is not online"),
    ({"view": "feat_merchant__profile", "vector": [1e38] * 16}, "within float32 range"),
    ({"view": "feat_merchant__profile", "vector": [3.5e38] + [0.0] * 15}, "finite"),
    ({"view": "feat_merchant__profile", "vector": [1.0] * 16,
      "filter": {"category_risk_tier": "\u0000"}}, "marks a missing value"),
])
def test_bad_similarity_requests_get_400(app, body, message):
    with TestClient(app) as http_client:
        response = http_client.post("/similar", json=body)
    assert response.status_code == 400 and message in response.json()["detail"], response.text


class Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def test_a_client_leaving_mid_body_is_not_a_server_error(app):
    errors = Records()
    logging.getLogger("uvicorn.error").addHandler(errors)
    try:
        with live_server(app) as url:
            address = (urlsplit(url).hostname, urlsplit(url).port)
            for _ in range(3):
                with socket.create_connection(address) as sock:
                    sock.sendall(b"POST /features HTTP/1.1\r\nHost: x\r\nContent-Type: "
                                 b"application/json\r\nContent-Length: 1000\r\n\r\n"
                                 b'{"features": ')
                time.sleep(0.2)
            connection = http.client.HTTPConnection(*address)
            connection.request("GET", "/metrics")
            metrics = connection.getresponse().read().decode()
    finally:
        logging.getLogger("uvicorn.error").removeHandler(errors)
    assert 'code="500"' not in metrics
    assert ('featureops_requests_total{code="499",endpoint="/features"} 3.0' in metrics)
    assert 'featureops_request_errors_total{endpoint="/features",reason="client_closed"} 3.0' in (
        metrics)
    assert not [m for m in errors.messages if "Exception in ASGI application" in m]
