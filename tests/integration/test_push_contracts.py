"""The contract-enforced push path on the example project, against SQLite and Redis:
`featureops push` and `POST /push/{view}` write valid records (rows the warehouse built and
dbt tested), reject wrong types, missing keys, out-of-range values and unauthorized
producers, and the dead-letter file holds each rejected record intact."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import duckdb
import pytest
import yaml
from fastapi.testclient import TestClient

from featureops.catalog import FeatureCatalog
from featureops.cli import run
from featureops.online.config import open_online_store
from featureops.online.sdk import OnlineFeatureClient
from featureops.project import Project
from featureops.serving.app import create_app

pytestmark = pytest.mark.slow
VIEW = "feat_user__spend_windows"
TOKEN = "producer-secret-1"
TOKEN_ENV = "FEATUREOPS_PRODUCER_TOKEN_PAYMENTS_STREAM"
DATA_END = datetime(2026, 11, 1, tzinfo=timezone.utc)


@pytest.fixture(params=["sqlite", "redis"])
def project(request: pytest.FixtureRequest, duckdb_build, tmp_path: Path,
            monkeypatch: pytest.MonkeyPatch) -> Iterator[Project]:
    """The example project's manifest, with a private online store configured in a
    featureops.yml of a scratch project directory."""
    if request.param == "redis":
        from tests.services import require_redis

        require_redis()
        config = {"type": "redis", "key_prefix": f"fo_push_{uuid.uuid4().hex[:8]}"}
    else:
        config = {"type": "sqlite", "path": str(tmp_path / "online.db")}
    (tmp_path / "featureops.yml").write_text(yaml.safe_dump({"online_store": config}))
    monkeypatch.setenv(TOKEN_ENV, f"old-token, {TOKEN}")
    monkeypatch.setenv("FEATUREOPS_PUSH_TOKEN", TOKEN)  # the pusher's side
    monkeypatch.delenv("FEATUREOPS_ONLINE_STORE", raising=False)
    monkeypatch.delenv("FEATUREOPS_DEAD_LETTER_DIR", raising=False)
    located = Project(tmp_path, duckdb_build.manifest_path)
    yield located
    store = open_online_store(located)
    store.teardown([VIEW])
    store.close()


@pytest.fixture(scope="module")
def warehouse_rows(duckdb_build) -> list[dict]:
    """The newest row of 40 users, as JSON-ready dicts: what a producer would push (rows
    within the view's 30-day ttl of the data's end, so lookups as of then see them)."""
    conn = duckdb.connect(str(duckdb_build.duckdb_path), read_only=True)
    try:
        table = conn.sql(f"""
            select * from main.{VIEW}
            where event_at > timestamp '2026-10-02'
            qualify row_number() over (partition by user_id order by event_at desc) = 1
            order by user_id limit 40""").to_arrow_table()
    finally:
        conn.close()
    return [{k: v.isoformat() if isinstance(v, datetime) else v for k, v in row.items()}
            for row in table.to_pylist()]


def bad_records(good: dict) -> dict[str, dict]:
    return {
        "wrong_type": {**good, "transaction_count_7d": "three"},
        "missing_key": {k: v for k, v in good.items() if k != "user_id"},
        "out_of_range": {**good, "amount_usd_sum_24h": -5.0},
        "unknown_field": {**good, "surprise": 1},
    }


def write_jsonl(path: Path, records: list, extra_lines: tuple[str, ...] = ()) -> list[str]:
    lines = [json.dumps(r) for r in records] + list(extra_lines)
    path.write_text("\n".join(lines) + "\n")
    return lines


def read_dead(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def stored_sums(project: Project, user_ids: list[int]) -> list:
    client = OnlineFeatureClient(project)
    try:
        # As of the data's end: the rows are older than the view's ttl by now.
        result = client.get_online_features([f"{VIEW}:amount_usd_sum_30d"],
                                            entities={"user_id": user_ids}, as_of=DATA_END)
    finally:
        client.close()
    return [result.row(i)[f"{VIEW}:amount_usd_sum_30d"].value for i in range(len(user_ids))]


def test_cli_push_writes_valid_records_and_dead_letters_the_rest(
        project: Project, warehouse_rows: list[dict], tmp_path: Path, capsys) -> None:
    bad = bad_records(warehouse_rows[0])
    source = tmp_path / "records.jsonl"
    lines = write_jsonl(source, warehouse_rows[1:] + list(bad.values()), ("{not json",))
    dead = tmp_path / "dead.jsonl"
    code = run(["push", VIEW, str(source), "--project-dir", str(project.project_dir),
                "-m", str(project.manifest_path), "--dead-letter", str(dead),
                "--json", "--quiet"])
    report = json.loads(capsys.readouterr().out)
    assert code == 1
    assert report["received"] == len(lines) and report["accepted"] == len(warehouse_rows) - 1
    assert report["rejected_by_rule"] == {"wrong_type": 1, "missing_key": 1,
                                          "out_of_range": 1, "unknown_field": 1,
                                          "invalid_json": 1}
    entries = read_dead(dead)
    # Each rejected record intact: the exact line, its line number, and its reasons.
    assert [e["raw"] for e in entries] == lines[len(warehouse_rows) - 1:]
    assert [e["source"] for e in entries] == [
        f"records.jsonl:{n}" for n in range(len(warehouse_rows), len(lines) + 1)]
    assert [e["record"] for e in entries] == [*bad.values(), None]
    assert all(e["producer"] == "payments-stream" and e["rejected_at"] for e in entries)
    # The accepted records are in the store, with the warehouse's values.
    ids = [r["user_id"] for r in warehouse_rows[1:]]
    assert stored_sums(project, ids) == pytest.approx(
        [r["amount_usd_sum_30d"] for r in warehouse_rows[1:]])
    assert stored_sums(project, [warehouse_rows[0]["user_id"]]) == [None]


def test_cli_push_of_an_unauthorized_producer_writes_nothing(
        project: Project, warehouse_rows: list[dict], tmp_path: Path, capsys) -> None:
    source = tmp_path / "records.jsonl"
    lines = write_jsonl(source, warehouse_rows[:5])
    dead = tmp_path / "dead.jsonl"
    (tmp_path / "token").write_text("stolen\n")
    code = run(["push", VIEW, str(source), "--project-dir", str(project.project_dir),
                "-m", str(project.manifest_path), "--token-file", str(tmp_path / "token"),
                "--dead-letter", str(dead), "--quiet"])
    captured = capsys.readouterr()
    assert code == 1
    assert "is not a token of producer 'payments-stream'" in captured.err
    entries = read_dead(dead)
    assert [e["raw"] for e in entries] == lines
    assert {r["rule"] for e in entries for r in e["reasons"]} == {"unauthorized_producer"}
    store = open_online_store(project)
    try:
        assert store.live_state(VIEW) is None
    finally:
        store.close()


def test_lenient_mode_accepts_contract_problems_with_warnings(
        project: Project, warehouse_rows: list[dict], tmp_path: Path, capsys) -> None:
    bent = {**warehouse_rows[0], "amount_usd_sum_24h": -5.0, "surprise": 1}
    broken = {**warehouse_rows[1], "user_id": "not an id"}
    source = tmp_path / "records.jsonl"
    write_jsonl(source, [bent, broken])
    code = run(["push", VIEW, str(source), "--project-dir", str(project.project_dir),
                "-m", str(project.manifest_path), "--mode", "lenient",
                "--dead-letter", str(tmp_path / "dead.jsonl"), "--json", "--quiet"])
    report = json.loads(capsys.readouterr().out)
    assert code == 1  # the record with a wrong key type is rejected in every mode
    assert (report["accepted"], report["rejected"], report["warned"]) == (1, 1, 1)
    assert report["warned_by_rule"] == {"out_of_range": 1, "unknown_field": 1}


def test_push_refuses_views_that_accept_no_push(project: Project, tmp_path: Path,
                                                capsys, monkeypatch) -> None:
    source = tmp_path / "records.jsonl"
    source.write_text("{}\n")
    args = ["--project-dir", str(project.project_dir), "-m", str(project.manifest_path),
            "--quiet"]
    assert run(["push", "feat_transaction__context", str(source), *args]) == 2
    assert "not served online" in capsys.readouterr().err
    monkeypatch.delenv(TOKEN_ENV)
    assert run(["push", VIEW, str(source), *args]) == 2
    assert f"set {TOKEN_ENV}" in capsys.readouterr().err


def test_http_push(project: Project, warehouse_rows: list[dict], tmp_path: Path,
                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FEATUREOPS_DEAD_LETTER_DIR", str(tmp_path / "dead"))
    dead = tmp_path / "dead" / f"{VIEW}.jsonl"
    bad = bad_records(warehouse_rows[0])
    client = OnlineFeatureClient(project)
    app = create_app(project, client=client, tokens=("reader",), serving_log=False)
    with TestClient(app) as http:
        body = {"records": warehouse_rows[1:] + list(bad.values())}
        assert http.post(f"/push/{VIEW}", json=body).status_code == 401
        denied = http.post(f"/push/{VIEW}", json=body,
                           headers={"Authorization": "Bearer reader"})
        assert denied.status_code == 401 and "payments-stream" in denied.json()["detail"]
        assert not dead.exists()  # unauthenticated bodies never reach the disk
        auth = {"Authorization": f"Bearer {TOKEN}"}
        response = http.post(f"/push/{VIEW}", json=body, headers=auth)
        assert response.status_code == 200, response.text
        report = response.json()
        assert report["accepted"] == len(warehouse_rows) - 1 and report["rejected"] == 4
        assert [e["record"] for e in read_dead(dead)] == list(bad.values())
        ndjson = "\n".join(json.dumps(r) for r in bad.values())
        all_bad = http.post(f"/push/{VIEW}", content=ndjson, headers={
            **auth, "Content-Type": "application/x-ndjson"})
        assert all_bad.status_code == 422
        assert [e["raw"] for e in read_dead(dead)[4:]] == ndjson.splitlines()
        assert http.post("/push/feat_nope", json=body, headers=auth).status_code == 404
        assert http.post("/push/feat_transaction__context", json=body,
                         headers=auth).status_code == 403
        metrics = http.get("/metrics", headers={"Authorization": "Bearer reader"}).text
        assert f'featureops_push_records_total{{outcome="rejected",view="{VIEW}"}} 8.0' in metrics
    ids = [r["user_id"] for r in warehouse_rows[1:]]
    assert stored_sums(project, ids) == pytest.approx(
        [r["amount_usd_sum_30d"] for r in warehouse_rows[1:]])


def test_every_pushable_example_view_has_a_producer(duckdb_build) -> None:
    catalog = FeatureCatalog.from_manifest(duckdb_build.manifest)
    online = [v for v in catalog.views.values() if v.spec.online]
    assert online and all(v.spec.producer for v in online)
