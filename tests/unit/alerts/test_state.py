"""The alert state file: written whole under a lock (two dispatchers at once lose
nothing), and an unreadable or malformed file is a warning, not an error."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest

from featureops.alerts.state import locked_state
from tests.unit.alerts.conftest import WEBHOOK, Harness, evaluation, sla_problem


def test_concurrent_dispatchers_keep_every_record(alerts: Harness) -> None:
    def run(prefix: str) -> None:
        dispatcher = alerts.dispatcher(channels=[WEBHOOK])
        for number in range(15):
            dispatcher.dispatch(evaluation(sla_problem(f"{prefix}_{number}", "completeness")))

    threads = [threading.Thread(target=run, args=(p,)) for p in ("a", "b", "c")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    problems = alerts.state()["problems"]
    assert len(problems) == 45 and len(alerts.receiver.received) == 45
    assert all(r["sent"]["webhook"]["level"] == "critical" for r in problems.values())
    assert [p.name for p in (alerts.project_dir / "data/alerts").iterdir()
            if p.name.endswith(".partial")] == []


@pytest.mark.parametrize(("text", "warning"), [
    ("{not json", "is unreadable"),
    ('{"version": 7, "problems": {}}', "is not a version 1 alert state"),
    ('[1, 2]', "is not a version 1 alert state"),
    ('{"version": 1, "problems": {"k": {"sent": {}}}}', "1 malformed record(s) dropped"),
])
def test_a_broken_state_file_is_a_warning_and_is_rewritten(tmp_path: Path, text: str,
                                                           warning: str) -> None:
    path = tmp_path / "state.json"
    path.write_text(text)
    with locked_state(path) as state:
        assert state.problems == {}
        [message] = state.warnings
        assert warning in message and str(path) in message
    assert json.loads(path.read_text()) == {"version": 1, "problems": {}}
