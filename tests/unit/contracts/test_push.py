"""The push path (ContractPush) on a hand-made project and a private SQLite store: one
poison record never costs more than itself, and every record received ends accepted or
dead-lettered with a reason, for arbitrary mixed batches (hypothesis)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone

import pyarrow as pa
import pytest
import yaml
from hypothesis import HealthCheck, given, settings

from featureops.catalog import FeatureCatalog
from featureops.contracts.push import ContractPush, PushReport, parse_lines, store_writer
from featureops.contracts.push_settings import load_push_settings
from featureops.exceptions import FeatureopsError
from featureops.online.base import StoreUnavailableError
from featureops.online.config import open_online_store
from featureops.online.pipeline import RecordsError
from featureops.project import Project
from tests.unit.contracts.conftest import VIEW, dead_letters, record, stored
from tests.unit.contracts.push_batches import dead_count, poison_lines

DEEP = b"[" * 300 + b"]" * 300        # orjson reads it, but cannot write it back
DEEPER = b"[" * 1100 + b"]" * 1100    # beyond what orjson reads at all
POISON = {
    "utc_overflow_high": json.dumps(record(1, "9999-12-31T23:59:59-14:00")).encode(),
    "utc_overflow_low": json.dumps(record(1, "0001-01-01T00:00:00+14:00")).encode(),
    "deep_field": json.dumps(record(1))[:-1].encode() + b', "extra": ' + DEEP + b"}",
    "deep_record": DEEP,
    "deeper_record": DEEPER,
    "not_utf8": b'{"user_id": 1, "event_at": "2026-11-01T10:00:00", "tier": "\xff"}',
}


@pytest.fixture
def pusher(push_project: Project) -> Iterator[ContractPush]:
    view = FeatureCatalog.from_manifest(push_project.manifest).view(VIEW)
    store = open_online_store(push_project)
    yield ContractPush(push_project, view, writer=store_writer(store))
    store.close()


def lines(texts: list[bytes | str]) -> list[tuple[str, bytes]]:
    return [(f"in:{n}", text if isinstance(text, bytes) else text.encode())
            for n, text in enumerate(texts, start=1)]


@pytest.mark.parametrize("poison", list(POISON))
def test_one_poison_record_costs_only_itself(pusher: ContractPush, push_project: Project,
                                             poison: str) -> None:
    batch = [json.dumps(record(10)), POISON[poison], json.dumps(record(11))]
    report = pusher.push(parse_lines(lines(batch)), producer="payments-stream")
    assert (report.received, report.accepted, report.rejected) == (3, 2, 1)
    (entry,) = dead_letters(push_project)
    assert entry["source"] == "in:2" and entry["reasons"]
    assert stored(push_project, [10, 11]) == [{"spend_7d": 1.5, "tier": "gold"}] * 2


def test_reasons_of_poison_records(pusher: ContractPush, push_project: Project) -> None:
    pusher.push(parse_lines(lines(list(POISON.values()))), producer="payments-stream")
    reasons = {entry["source"]: [(r["field"], r["rule"]) for r in entry["reasons"]]
               for entry in dead_letters(push_project)}
    assert reasons == {
        "in:1": [("event_at", "out_of_type_range")],
        "in:2": [("event_at", "out_of_type_range")],
        "in:3": [("extra", "unknown_field")],
        "in:4": [(None, "not_an_object")],
        "in:5": [(None, "invalid_json")],
        "in:6": [(None, "invalid_json")],
    }
    entries = dead_letters(push_project)
    # the exact text is kept even where the parsed record cannot be written back
    assert entries[2]["record"] is None
    assert entries[2]["raw"].encode() == POISON["deep_field"]
    assert entries[3]["raw"].encode() == DEEP
    assert "not UTF-8: byte 0xff" in entries[5]["reasons"][0]["message"]
    assert entries[5]["raw"].endswith('"tier": "\\xff"}')


def test_a_record_the_store_refuses_is_isolated_and_dead_lettered(
        push_project: Project) -> None:
    """The store refuses records for what they hold (here: any tier 'bad'); the batch is
    split until the refused records are alone, and every other record is written."""
    view = FeatureCatalog.from_manifest(push_project.manifest).view(VIEW)
    store = open_online_store(push_project)
    write = store_writer(store)

    def picky(project: Project, view, table: pa.Table) -> int:
        if "bad" in table.column("tier").to_pylist():
            raise RecordsError("push to 'feat_users': column 'tier' cannot hold 'bad'")
        return write(project, view, table)

    pusher = ContractPush(push_project, view, writer=picky)
    batch = [json.dumps(record(i, tier="bad" if i in (3, 6) else "gold")) for i in range(1, 9)]
    try:
        report = pusher.push(parse_lines(lines(batch)), producer="payments-stream")
    finally:
        store.close()
    assert (report.received, report.accepted, report.rejected) == (8, 6, 2)
    assert report.rejected_by_rule == {"store_refused": 2}
    assert [e["source"] for e in dead_letters(push_project)] == ["in:3", "in:6"]
    assert "cannot hold 'bad'" in dead_letters(push_project)[0]["reasons"][0]["message"]
    assert [row is not None for row in stored(push_project, list(range(1, 9)))] == [
        i not in (3, 6) for i in range(1, 9)]


def test_a_store_failure_is_raised_not_dead_lettered(push_project: Project) -> None:
    view = FeatureCatalog.from_manifest(push_project.manifest).view(VIEW)

    def down(*_: object) -> int:
        raise StoreUnavailableError("redis at 127.0.0.1:1 refused the connection")

    pusher = ContractPush(push_project, view, writer=down)
    with pytest.raises(StoreUnavailableError):
        pusher.push(parse_lines(lines([json.dumps(record(1))])), producer="payments-stream")
    assert not (push_project.project_dir / "dead" / f"{VIEW}.jsonl").exists()


# --- the invariant, for arbitrary batches ---------------------------------------------------

@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(batch=poison_lines)
def test_every_record_ends_accepted_or_dead_lettered(pusher: ContractPush,
                                                     push_project: Project,
                                                     batch: list[bytes]) -> None:
    before = dead_count(push_project)
    texts = [(f"in:{n}", line) for n, line in enumerate(batch)]
    report: PushReport = pusher.push(parse_lines(texts), producer="payments-stream")
    received = sum(1 for _, line in texts if line.rstrip(b"\r\n").strip())
    assert report.received == received
    assert report.accepted + report.rejected == received
    assert dead_count(push_project) - before == report.rejected
    assert report.written <= report.accepted
    assert "unprocessable" not in report.rejected_by_rule  # no validator crash either


# --- event times in the future --------------------------------------------------------------


def in_hours(hours: float) -> str:
    return (datetime.now(timezone.utc) + timedelta(hours=hours)).replace(
        tzinfo=None).isoformat()


def configure(project: Project, push: dict) -> None:
    path = project.project_dir / "featureops.yml"
    path.write_text(yaml.safe_dump({**yaml.safe_load(path.read_text()), "push": push}))


def test_event_times_beyond_the_skew_are_dead_lettered(pusher: ContractPush,
                                                       push_project: Project) -> None:
    batch = [json.dumps(record(1, in_hours(2 / 60))),          # 2 minutes: within 5m
             json.dumps(record(2, in_hours(1))),
             json.dumps(record(3, "9999-12-31T00:00:00")),
             json.dumps(record(4, in_hours(-1)[:10] + "T00:00:00+14:00"))]
    report = pusher.push(parse_lines(lines(batch)), producer="payments-stream")
    assert (report.accepted, report.rejected_by_rule) == (2, {"future_event_time": 2})
    entries = dead_letters(push_project)
    assert [e["record"]["user_id"] for e in entries] == [2, 3]
    assert all(e["reasons"][0]["field"] == "event_at" and "push.max_future_skew" in
               e["reasons"][0]["message"] for e in entries)


@pytest.mark.parametrize("mode", ["strict", "lenient"])
def test_the_skew_is_a_setting_and_binds_every_mode(push_project: Project,
                                                    mode: str) -> None:
    configure(push_project, {"max_future_skew": "2h"})
    view = FeatureCatalog.from_manifest(push_project.manifest).view(VIEW)
    pusher = ContractPush(push_project, view, mode=mode, writer=lambda *_: 0)
    batch = [json.dumps(record(1, in_hours(1.5))), json.dumps(record(2, in_hours(2.5)))]
    report = pusher.push(parse_lines(lines(batch)), producer="payments-stream")
    assert (report.accepted, report.rejected_by_rule) == (1, {"future_event_time": 1})


def test_a_wrong_skew_setting_is_a_one_line_error(push_project: Project) -> None:
    configure(push_project, {"max_future_skew": "5 minutes"})
    with pytest.raises(FeatureopsError) as caught:
        load_push_settings(push_project)
    message = str(caught.value)
    assert "featureops.yml: push.max_future_skew: '5 minutes' is not a duration" in message
    assert "\n" not in message
