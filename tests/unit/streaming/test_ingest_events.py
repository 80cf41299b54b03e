"""Event validation and dead letters on a hand-made source (its columns' types and tests),
the worker's batch steps with a fake state (dead letters for invalid, dropped and too-late
events; poison messages), and the streaming settings."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import orjson
import pyarrow as pa
import pytest

from featureops.manifest import Manifest
from featureops.streaming.events import (
    DROPPED,
    INVALID,
    TOO_LATE,
    EventDecoder,
    encode_event,
)
from featureops.streaming.sources import stream_source
from featureops.streaming.state import EVENT_ID_COLUMN, ApplyResult
from featureops.streaming.transports.base import Delivery
from featureops.streaming.transports.config import (
    StreamingSettingsError,
    load_streaming_settings,
)
from featureops.streaming.windows import StreamingView, WindowFeature
from featureops.streaming.worker import MAX_DELIVERIES, Pipeline, process_batch
from tests.factories import manifest
from tests.unit.streaming.test_ingest_transform import SOURCE_ID, _source, _transform

NOW = datetime(2026, 11, 1, tzinfo=timezone.utc)
EVENT = {"event_id": 1, "user_id": 7, "amount": 2.5, "event_at": "2026-10-31T23:00:00Z"}


def _with_range_test(data: dict) -> dict:
    data["nodes"]["test.proj.range"] = {
        "unique_id": "test.proj.range", "name": "range", "resource_type": "test",
        "package_name": "proj", "column_name": "amount", "attached_node": SOURCE_ID,
        "test_metadata": {"name": "accepted_range", "kwargs": {"min_value": 0}},
        "config": {"severity": "ERROR"}, "depends_on": {"nodes": [SOURCE_ID]}}
    return data


def _decoder(max_future: timedelta = timedelta(minutes=5)) -> EventDecoder:
    data = manifest()
    data["sources"] = {SOURCE_ID: _source()}
    found = Manifest.from_dict(_with_range_test(data))
    return EventDecoder(found, stream_source(found, "payments_events"), max_future)


def _payload(**change) -> bytes:
    return orjson.dumps({**EVENT, **change})


def test_valid_events_become_typed_rows_with_string_ids():
    decoded = _decoder().decode([_payload(), _payload(event_id=2.0, amount=3,
                                                      event_at="2026-11-01T01:00:00+02:00")],
                                now=NOW)
    assert decoded.dead == {} and decoded.event_ids == ["1", "2"]  # 2.0 is the bigint 2
    assert decoded.rows.schema.field("event_at").type == pa.timestamp("us")
    assert decoded.rows.column("event_at").to_pylist()[1] == datetime(2026, 10, 31, 23)
    assert decoded.rows.column("amount").to_pylist() == [2.5, 3.0]


@pytest.mark.parametrize(("change", "field", "rule"), [
    ({"event_id": None}, "event_id", "null_key"),
    ({"user_id": "7"}, "user_id", "wrong_type"),
    ({"amount": -1}, "amount", "out_of_range"),          # the source's accepted_range test
    ({"event_at": "yesterday"}, "event_at", "wrong_type"),
    ({"event_at": "2026-11-01T00:06:00Z"}, "event_at", "future_event_time"),
    ({"extra": 1}, "extra", "unknown_field"),
])
def test_each_broken_rule_is_a_dead_letter_naming_field_and_rule(change, field, rule):
    decoded = _decoder().decode([_payload(**change)], now=NOW)
    letter = decoded.dead[0]
    assert letter.reason == INVALID
    assert [(p.field, p.rule) for p in letter.problems] == [(field, rule)]
    record = orjson.loads(letter.to_json("payments_events", "42"))
    assert record["event"] == {**EVENT, **change} and record["position"] == "42"
    assert record["problems"][0]["field"] == field


def test_the_future_skew_is_a_setting():
    decoded = _decoder(timedelta(hours=1)).decode([_payload(event_at="2026-11-01T00:30:00Z")],
                                                  now=NOW)
    assert decoded.dead == {}


def test_encode_event_writes_naive_times_as_utc():
    payload = encode_event({"event_at": datetime(2026, 1, 2, 3, 4, 5), "x": 1})
    assert orjson.loads(payload) == {"event_at": "2026-01-02T03:04:05+00:00", "x": 1}


VIEW = StreamingView(name="feat", input_model="int", source="payments_events",
                     entity_columns=("user_id",), event_time_column="event_at",
                     allowed_lateness_micros=0,
                     windows=(WindowFeature("n_1h", "count", "amount_usd", 3_600_000_000),))


class _State:
    """Counts what it is given; reports the ids it is told are too late."""

    def __init__(self, too_late: tuple[str, ...] = ()):
        self.rows: list[pa.Table] = []
        self.too_late = too_late

    def apply(self, view, rows):
        self.rows.append(rows)
        ids = rows.column(EVENT_ID_COLUMN).to_pylist()
        late = [i for i in ids if i in self.too_late]
        return ApplyResult(len(ids) - len(late), 0, len(late), tuple(late))


def _delivery(payload: bytes, delivered: int = 1, position: str = "1") -> Delivery:
    return Delivery(payload, position, delivered, None)


def test_a_batch_dead_letters_invalid_dropped_too_late_and_poison_messages():
    decoder = _decoder()
    transform = _transform()
    pipeline = Pipeline(decoder.source, decoder, (VIEW,), {"int": transform})
    state = _State(too_late=("4",))
    batch = [
        _delivery(_payload(event_id=1, user_id=1)),
        _delivery(b"[]"),                                    # not an object
        _delivery(_payload(event_id=3, user_id=9)),          # no rate for user 9: dropped
        _delivery(_payload(event_id=4, user_id=2)),          # the state says too late
        _delivery(_payload(event_id=5, user_id=1), delivered=4),   # poison
        _delivery(_payload(event_id=1, user_id=1)),          # a copy within the batch
    ]
    outcome = process_batch(pipeline, state, batch, max_deliveries=3)
    assert [r.column(EVENT_ID_COLUMN).to_pylist() for r in state.rows] == [["1", "4"]]
    assert (outcome.applied, outcome.duplicates, outcome.too_late) == (1, 1, 1)
    assert sorted((i, letter.reason) for i, letter in outcome.dead) == [
        (1, INVALID), (2, DROPPED), (3, TOO_LATE), (4, MAX_DELIVERIES)]
    assert outcome.last_event_time == datetime(2026, 10, 31, 23)
    transform.close()


def test_settings_are_validated_with_the_file_and_key(tmp_path, monkeypatch):
    from featureops.project import Project

    (tmp_path / "dbt_project.yml").write_text("name: p\nprofile: p\n")
    monkeypatch.delenv("FEATUREOPS_STREAM_TRANSPORT", raising=False)
    monkeypatch.delenv("FEATUREOPS_STREAM_SUBJECT_PREFIX", raising=False)
    project = Project.locate(tmp_path, tmp_path / "manifest.json")
    (tmp_path / "featureops.yml").write_text("streaming:\n  batch_sise: 10\n")
    with pytest.raises(StreamingSettingsError, match="featureops.yml: streaming.batch_sise: "
                                                     "unknown key"):
        load_streaming_settings(project)
    (tmp_path / "featureops.yml").write_text("streaming:\n  transport: redis\n"
                                             "  ack_wait: 2s\n")
    settings = load_streaming_settings(project)
    assert (settings.transport, settings.ack_wait_seconds) == ("redis", 2.0)
    assert load_streaming_settings(project, "nats").transport == "nats"
    monkeypatch.setenv("FEATUREOPS_STREAM_SUBJECT_PREFIX", "bad prefix")
    with pytest.raises(StreamingSettingsError, match="subject prefix 'bad prefix'"):
        load_streaming_settings(project)
