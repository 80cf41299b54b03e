"""A hand-made project for the push path: one online feature view ``feat_users`` (user_id,
event_at, spend_7d double >= 0, tier text) whose producer ``payments-stream`` has a token,
a private SQLite online store and dead-letter directory under ``tmp_path``."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
import yaml

from featureops.project import Project
from featureops.testing.manifests import ManifestBuilder

VIEW = "feat_users"
TOKEN = "producer-secret"
TOKEN_ENV = "FEATUREOPS_PRODUCER_TOKEN_PAYMENTS_STREAM"
PUSH_COLUMNS = {
    "user_id": {"data_type": "bigint", "constraints": [{"type": "not_null"}]},
    "event_at": {"data_type": "timestamp", "constraints": [{"type": "not_null"}]},
    "spend_7d": {"data_type": "double precision"},
    "tier": {"data_type": "text"},
}


def push_manifest() -> dict:
    builder = ManifestBuilder("shop")
    builder.feature_view(VIEW, columns=PUSH_COLUMNS, tests=False,
                         block={"producer": "payments-stream"})
    builder.test("accepted_range", VIEW, column="spend_7d", namespace="featureops",
                 kwargs={"min_value": 0})
    return builder.build()


def record(user_id: int, event_at: str = "2026-11-01T10:00:00", **values) -> dict:
    return {"user_id": user_id, "event_at": event_at, "spend_7d": 1.5, "tier": "gold",
            **values}


def dead_letters(project: Project) -> list[dict]:
    path = project.project_dir / "dead" / f"{VIEW}.jsonl"
    return [json.loads(line) for line in path.read_bytes().split(b"\n") if line]


@pytest.fixture
def push_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Project]:
    (tmp_path / "manifest.json").write_text(json.dumps(push_manifest()))
    (tmp_path / "featureops.yml").write_text(yaml.safe_dump(
        {"online_store": {"type": "sqlite", "path": str(tmp_path / "online.db")}}))
    monkeypatch.setenv(TOKEN_ENV, TOKEN)
    monkeypatch.setenv("FEATUREOPS_DEAD_LETTER_DIR", str(tmp_path / "dead"))
    for name in ("FEATUREOPS_ONLINE_STORE", "FEATUREOPS_PUSH_TOKEN", "FEATUREOPS_SERVE_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    yield Project(tmp_path, tmp_path / "manifest.json")


def stored(project: Project, user_ids: list[int]) -> list[dict | None]:
    """What the online store serves for each user (None: nothing stored)."""
    from featureops.online.sdk import OnlineFeatureClient

    client = OnlineFeatureClient(project)
    try:
        result = client.get_online_features([f"{VIEW}:spend_7d", f"{VIEW}:tier"],
                                            entities={"user_id": user_ids},
                                            as_of=datetime(2026, 11, 2))
    finally:
        client.close()
    rows = []
    for index in range(len(user_ids)):
        row = result.row(index)
        values = {name.split(":")[1]: row[name].value for name in row}
        rows.append(None if all(v is None for v in values.values()) else values)
    return rows
