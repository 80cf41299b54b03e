"""Token checks and the body size limit, on a bare app."""

from __future__ import annotations

import pytest
from fastapi import Depends, FastAPI
from fastapi.testclient import TestClient

from featureops.serving.auth import require_token, token_matches
from featureops.serving.limits import BodySizeLimit


def app(tokens: tuple[str, ...], limit: int = 1024) -> TestClient:
    api = FastAPI()
    api.state.tokens = tokens

    @api.post("/echo", dependencies=[Depends(require_token)])
    async def echo(body: dict) -> dict:
        return body

    api.add_middleware(BodySizeLimit, max_bytes=limit)
    return TestClient(api)


def test_no_tokens_means_open() -> None:
    assert app(()).post("/echo", json={"a": 1}).json() == {"a": 1}


@pytest.mark.parametrize(("header", "detail"), [
    (None, "missing bearer token"), ("Basic abc", "missing bearer token"),
    ("Bearer wrong", "invalid bearer token"),
])
def test_bad_or_missing_token_is_401(header: str | None, detail: str) -> None:
    headers = {"Authorization": header} if header else {}
    response = app(("s3cret", "next")).post("/echo", json={}, headers=headers)
    assert response.status_code == 401 and detail in response.json()["detail"]
    assert response.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize("token", ["s3cret", "next"])
def test_any_configured_token_is_accepted(token: str) -> None:
    response = app(("s3cret", "next")).post("/echo", json={"a": 2},
                                            headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200


def test_token_matches_is_exact() -> None:
    assert token_matches("abc", ("x", "abc"))
    assert not token_matches("ab", ("abc",)) and not token_matches("abcd", ("abc",))


def test_declared_and_streamed_oversized_bodies_get_413() -> None:
    client = app((), limit=1024)
    big = b'{"a": "' + b"x" * 2000 + b'"}'
    response = client.post("/echo", content=big, headers={"content-type": "application/json"})
    assert response.status_code == 413 and "1024 bytes" in response.json()["detail"]

    def chunks():
        yield b'{"a": "'
        for _ in range(10):
            yield b"x" * 200
        yield b'"}'

    response = client.post("/echo", content=chunks(),
                           headers={"content-type": "application/json"})
    assert response.status_code == 413
    assert client.post("/echo", json={"a": "small"}).status_code == 200
