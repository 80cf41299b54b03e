"""`POST /push/{view}` on a hand-made project and a private SQLite store: how bodies are
split into records, and that bad records get a 2xx/4xx with counts, never a 500."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from featureops.project import Project
from featureops.serving.app import create_app
from tests.unit.contracts.conftest import TOKEN, VIEW, dead_letters, record, stored

AUTH = {"Authorization": f"Bearer {TOKEN}"}
NDJSON = {**AUTH, "Content-Type": "application/x-ndjson"}


@pytest.fixture
def http(push_project: Project) -> Iterator[TestClient]:
    with TestClient(create_app(push_project, tokens=(), serving_log=False)) as client:
        yield client


def test_ndjson_splits_on_newlines_only(http: TestClient, push_project: Project) -> None:
    # U+2028, U+2029 and U+0085 are line breaks to str.splitlines() but plain characters
    # inside a JSON string: each line below is one valid record.
    tiers = ["gold\u2028plus", "a\u0085b", "c\u2029d\r"]
    body = "\n".join(json.dumps(record(i, tier=t), ensure_ascii=False)
                     for i, t in enumerate(tiers, start=1)) + "\r\n"
    response = http.post(f"/push/{VIEW}", content=body.encode(), headers=NDJSON)
    assert response.status_code == 200, response.text
    assert response.json()["received"] == 3 and response.json()["accepted"] == 3
    assert [row["tier"] for row in stored(push_project, [1, 2, 3])] == tiers


def test_ndjson_line_numbers_name_the_rejected_line(http: TestClient,
                                                    push_project: Project) -> None:
    lines = [json.dumps(record(1)), "", json.dumps(record(2, spend_7d=-1.0)), "{nope"]
    response = http.post(f"/push/{VIEW}", content="\n".join(lines), headers=NDJSON)
    assert response.status_code == 200
    assert (response.json()["received"], response.json()["accepted"]) == (3, 1)
    assert [e["source"] for e in dead_letters(push_project)] == ["line 3", "line 4"]
