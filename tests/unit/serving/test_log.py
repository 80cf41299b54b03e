"""The serving log contract: file names, atomic files, exact long-format schema."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from featureops.online.sdk import FeatureValue, OnlineFeatures
from featureops.serving.log import SCHEMA, ServingLogWriter, append_served, log_dir

T = datetime(2026, 10, 31, 12, 0, tzinfo=timezone.utc)


def response() -> OnlineFeatures:
    return OnlineFeatures(
        feature_refs=["v_user:count", "v_user:tier", "v_user:active", "v_user:emb"],
        entity_names=["user_id"],
        entity_rows=[(42,), (7,)],
        values=[
            [FeatureValue(3, T, "present"), FeatureValue("gold", T, "stale"),
             FeatureValue(True, T, "present"), FeatureValue([0.1, 0.2], T, "present")],
            [FeatureValue(None, None, "not_found")] * 3
            + [FeatureValue(None, T - timedelta(days=40), "outside_ttl")],
        ],
        service="fraud_model",
    )


def test_long_format_rows_and_exact_schema(tmp_path: Path) -> None:
    writer = ServingLogWriter(tmp_path)
    assert writer.append(response(), request_id="r1", served_at=T) == 8
    path = writer.flush()
    assert re.fullmatch(r"serving_log_\d{8}T\d{6}_[0-9a-f]{8}\.parquet", path.name)
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # no temporary left
    table = pq.read_table(path)
    assert table.schema.equals(SCHEMA)
    rows = table.to_pylist()
    naive = T.replace(tzinfo=None)
    assert rows[0] == {"request_id": "r1", "served_at": naive, "service": "fraud_model",
                       "feature_view": "v_user", "feature": "count",
                       "entity_key": '{"user_id":42}', "value_double": 3.0, "value_text": None,
                       "status": "present", "event_at": naive}
    cells = {(r["entity_key"], r["feature"]): r for r in rows}  # rows go feature by feature
    first = [cells['{"user_id":42}', f] for f in ("count", "tier", "active", "emb")]
    second = [cells['{"user_id":7}', f] for f in ("count", "tier", "active", "emb")]
    assert [r["value_text"] for r in first] == [None, "gold", None, None]
    assert [r["value_double"] for r in first] == [3.0, None, 1.0, None]
    assert {r["status"] for r in second} == {"not_found", "outside_ttl"}
    assert second[0]["event_at"] is None
    assert second[3]["event_at"] == naive - timedelta(days=40)


def test_composite_keys_are_sorted_canonical_json(tmp_path: Path) -> None:
    features = OnlineFeatures(["v:x"], ["user_id", "merchant_id"], [(1, "m9")],
                              [[FeatureValue(1.5, T, "present")]])
    path = append_served(features, directory=tmp_path, served_at=T)
    assert pq.read_table(path).column("entity_key").to_pylist() == [
        '{"merchant_id":"m9","user_id":1}']


def test_flush_without_rows_writes_nothing(tmp_path: Path) -> None:
    assert ServingLogWriter(tmp_path / "log").flush() is None
    assert not (tmp_path / "log").exists()


def test_automatic_flush_at_the_row_threshold(tmp_path: Path) -> None:
    writer = ServingLogWriter(tmp_path, flush_rows=10)
    for _ in range(3):
        writer.append(response())
    assert len(writer.files_written) == 1
    writer.close()
    total = sum(pq.read_table(p).num_rows for p in writer.files_written)
    assert total == 24 and pa.concat_tables([pq.read_table(p) for p in
                                             writer.files_written]).num_rows == 24


def test_log_dir_env_config_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FEATUREOPS_SERVING_LOG_DIR", raising=False)
    assert log_dir(tmp_path) == tmp_path / "data" / "serving_log"
    assert log_dir(tmp_path, "logs/s") == tmp_path / "logs" / "s"
    monkeypatch.setenv("FEATUREOPS_SERVING_LOG_DIR", "/abs/dir")
    assert log_dir(tmp_path, "logs/s") == Path("/abs/dir")
