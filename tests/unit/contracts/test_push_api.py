"""`POST /push/{view}` on a hand-made project and a private SQLite store: how bodies are
split into records, and that bad records get a 2xx/4xx with counts, never a 500."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings

from featureops.project import Project
from featureops.serving.app import create_app
from tests.unit.contracts.conftest import TOKEN, VIEW, dead_letters, record, stored
from tests.unit.contracts.push_batches import dead_count, poison_lines

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


DEEP = b"[" * 300 + b"]" * 300        # orjson reads it but cannot write it back
DEEPER = b"[" * 1100 + b"]" * 1100    # orjson cannot read it
POISONED_ARRAYS = {
    "utc_overflow": json.dumps(record(2, "9999-12-31T23:59:59-14:00")).encode(),
    "deep": DEEP,
    "deeper": DEEPER,
    "not_utf8": b'{"user_id": 2, "event_at": "2026-11-01T10:00:00", "tier": "\xff"}',
}


@pytest.mark.parametrize("poison", list(POISONED_ARRAYS))
@pytest.mark.parametrize("wrapped", [False, True])
def test_a_poison_record_in_a_json_body_costs_only_itself(
        http: TestClient, push_project: Project, poison: str, wrapped: bool) -> None:
    elements = [json.dumps(record(1)).encode(), POISONED_ARRAYS[poison],
                json.dumps(record(3, tier="a]b,{c")).encode()]
    body = b"[" + b", ".join(elements) + b"]"
    if wrapped:
        body = b'{"source": "x", "records": ' + body + b"}"
    response = http.post(f"/push/{VIEW}", content=body,
                         headers={**AUTH, "Content-Type": "application/json"})
    assert response.status_code == 200, response.text
    counts = response.json()
    assert (counts["received"], counts["accepted"], counts["rejected"]) == (3, 2, 1)
    (entry,) = dead_letters(push_project)
    assert entry["source"] == "records[1]"
    raw, sent = entry["raw"].encode(), POISONED_ARRAYS[poison]
    if poison == "utc_overflow":  # the body parsed: the record as orjson writes it
        assert json.loads(raw) == json.loads(sent)
    else:  # the body was split: the element's exact text (a byte not UTF-8 as \xNN)
        assert raw == sent.replace(b"\xff", b"\\xff")
    assert [row and row["tier"] for row in stored(push_project, [1, 2, 3])] == [
        "gold", None, "a]b,{c"]


@pytest.mark.parametrize("body", [b"", b"{nope", b'{"rows": []}', b"[1] [2]", b"[[1]",
                                  b'"records"', b"[" * 2000])
def test_a_body_without_records_is_a_400(http: TestClient, body: bytes) -> None:
    response = http.post(f"/push/{VIEW}", content=body,
                         headers={**AUTH, "Content-Type": "application/json"})
    assert response.status_code == 400 and response.json()["detail"]


def test_poison_ndjson_lines_cost_only_themselves(http: TestClient,
                                                  push_project: Project) -> None:
    body = b"\n".join([json.dumps(record(1)).encode(), *POISONED_ARRAYS.values(),
                       json.dumps(record(3)).encode()])
    response = http.post(f"/push/{VIEW}", content=body, headers=NDJSON)
    assert response.status_code == 200
    assert (response.json()["received"], response.json()["accepted"]) == (6, 2)
    assert len(dead_letters(push_project)) == 4


@settings(max_examples=100, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(batch=poison_lines)
def test_every_record_of_a_request_ends_accepted_or_dead_lettered(
        http: TestClient, push_project: Project, batch: list[bytes]) -> None:
    before = dead_count(push_project)
    response = http.post(f"/push/{VIEW}", content=b"\n".join(batch), headers=NDJSON)
    sent = sum(1 for line in batch if line.rstrip(b"\r").strip())
    assert response.status_code == (422 if sent and not response.json()["accepted"] else 200)
    counts = response.json()
    assert counts["received"] == counts["accepted"] + counts["rejected"] == sent
    assert dead_count(push_project) - before == counts["rejected"]
    # the same records as a JSON array: never a 5xx, and the counts still add up
    before = dead_count(push_project)
    response = http.post(f"/push/{VIEW}", content=b"[" + b",".join(batch) + b"]",
                         headers={**AUTH, "Content-Type": "application/json"})
    assert response.status_code in (200, 400, 422), response.text
    if response.status_code != 400:
        counts = response.json()
        assert counts["received"] == counts["accepted"] + counts["rejected"]
        assert dead_count(push_project) - before == counts["rejected"]


def test_a_future_event_time_is_dead_lettered(http: TestClient, push_project: Project) -> None:
    response = http.post(f"/push/{VIEW}", json={"records": [record(1, "9999-12-31T00:00:00")]},
                         headers=AUTH)
    assert response.status_code == 422
    assert response.json()["rejected_by_rule"] == {"future_event_time": 1}
    assert dead_letters(push_project)[0]["reasons"][0]["rule"] == "future_event_time"
    assert stored(push_project, [1]) == [None]
