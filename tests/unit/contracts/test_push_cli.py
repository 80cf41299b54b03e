"""`featureops push` on a hand-made project and a private SQLite store: files and stdin,
batches, and bad records that must not stop the records after them."""

from __future__ import annotations

import io
import json
import sys

import pytest

from featureops.cli import run
from featureops.project import Project
from tests.unit.contracts.conftest import TOKEN, VIEW, dead_letters, record, stored


def push_args(project: Project, source: str, *extra: str) -> list[str]:
    return ["push", VIEW, source, "--project-dir", str(project.project_dir),
            "-m", str(project.manifest_path), "--json", "--quiet", *extra]


def feed_stdin(monkeypatch: pytest.MonkeyPatch, data: bytes) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))


def test_stdin_lines_split_on_newlines_only(push_project: Project, capsys,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FEATUREOPS_PUSH_TOKEN", TOKEN)
    tiers = ["gold\u2028plus", "a\u0085b"]
    feed_stdin(monkeypatch, "\n".join(json.dumps(record(i, tier=t), ensure_ascii=False)
                                      for i, t in enumerate(tiers, start=1)).encode())
    assert run(push_args(push_project, "-")) == 0
    assert json.loads(capsys.readouterr().out)["accepted"] == 2
    assert [row["tier"] for row in stored(push_project, [1, 2])] == tiers


def test_poison_records_do_not_stop_the_batches_after_them(
        push_project: Project, capsys, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FEATUREOPS_PUSH_TOKEN", TOKEN)
    lines = [json.dumps(record(1)).encode(),
             json.dumps(record(2, "9999-12-31T23:59:59-14:00")).encode(),
             b"[" * 300 + b"]" * 300,
             json.dumps(record(3, "0001-01-01T00:00:00+14:00")).encode(),
             b'{"user_id": 4, "event_at": "2026-11-01T10:00:00", "tier": "\xff"}',
             json.dumps(record(5)).encode(), json.dumps(record(6)).encode()]
    feed_stdin(monkeypatch, b"\n".join(lines) + b"\n")
    assert run(push_args(push_project, "-", "--batch-size", "2")) == 1
    report = json.loads(capsys.readouterr().out)
    assert (report["received"], report["accepted"], report["rejected"]) == (7, 3, 4)
    assert [e["source"] for e in dead_letters(push_project)] == [
        "stdin:2", "stdin:3", "stdin:4", "stdin:5"]
    assert [row is not None for row in stored(push_project, [1, 2, 3, 4, 5, 6])] == [
        True, False, False, False, True, True]


def test_a_future_event_time_is_rejected(push_project: Project, capsys, tmp_path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FEATUREOPS_PUSH_TOKEN", TOKEN)
    source = tmp_path / "records.jsonl"
    source.write_text(json.dumps(record(1)) + "\n"
                      + json.dumps(record(2, "9999-12-31T00:00:00")) + "\n")
    assert run(push_args(push_project, str(source))) == 1
    report = json.loads(capsys.readouterr().out)
    assert (report["accepted"], report["rejected_by_rule"]) == (1, {"future_event_time": 1})
