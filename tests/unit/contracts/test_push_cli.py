"""`featureops push` on a hand-made project and a private SQLite store: files and stdin,
batches, and bad records that must not stop the records after them."""

from __future__ import annotations

import io
import json
import sys

import pytest

from featureops.cli import run
from featureops.project import Project
from tests.unit.contracts.conftest import TOKEN, VIEW, record, stored


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
