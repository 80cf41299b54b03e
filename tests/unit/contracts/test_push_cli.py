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


def test_the_token_comes_from_a_file(push_project: Project, capsys, tmp_path) -> None:
    source = tmp_path / "records.jsonl"
    source.write_text(json.dumps(record(1)) + "\n")
    token_file = tmp_path / "token"
    token_file.write_text(TOKEN + "\n")
    assert run(push_args(push_project, str(source), "--token-file", str(token_file))) == 0
    assert json.loads(capsys.readouterr().out)["accepted"] == 1
    token_file.write_text("stolen\n")
    assert run(push_args(push_project, str(source), "--token-file", str(token_file))) == 1
    assert "is not a token of producer 'payments-stream'" in capsys.readouterr().err
    for content, message in ((None, "cannot read the token file"), ("\n", "is empty")):
        token_file.unlink(missing_ok=True)
        if content is not None:
            token_file.write_text(content)
        assert run(push_args(push_project, str(source), "--token-file", str(token_file))) == 2
        error = capsys.readouterr().err
        assert message in error and str(token_file) in error and error.count("\n") == 1


def test_a_token_on_the_command_line_is_refused(push_project: Project, capsys, tmp_path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """argv is visible to every user (`ps`): --token is refused before anything is read."""
    monkeypatch.setenv("FEATUREOPS_PUSH_TOKEN", TOKEN)
    source = tmp_path / "records.jsonl"
    source.write_text(json.dumps(record(1)) + "\n")
    assert run(push_args(push_project, str(source), "--token", TOKEN)) == 2
    error = capsys.readouterr().err
    assert "FEATUREOPS_PUSH_TOKEN" in error and "--token-file" in error
    assert stored(push_project, [1]) == [None]
