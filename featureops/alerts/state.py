"""The alert state: which problem was sent to which channel, when and at what level, so a
standing problem is not sent on every run and its resolution is.

One small JSON file in the project's data folder (``alerts.state``), rewritten whole
(``featureops.files``) under an exclusive lock on a sibling ``.lock`` file, so the CLI and
the feature server can share it. An unreadable file is a warning, not an error: alerts are
sent afresh rather than not at all.

Shape (``version`` 1)::

    {"version": 1, "problems": {"sla/feat_x/freshness_online": {
        "source": "sla", "table": "feat_x", "check": "freshness_online",
        "level": "critical", "summary": "...", "first_seen": "2026-...+00:00",
        "last_seen": "...", "sent": {"slack": {"at": "...", "level": "critical"}}}}}
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from featureops.files import write_text_atomic

try:
    import fcntl
except ImportError:  # Windows: no advisory locks; one writer at a time is then on the user
    fcntl = None  # type: ignore[assignment]

VERSION = 1


class AlertState:
    """``problems``: key -> record (see the module docstring); ``warnings`` from loading."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.problems: dict[str, dict[str, Any]] = {}
        self.warnings: list[str] = []

    def load(self) -> None:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return
        except (OSError, ValueError) as error:
            self.warnings.append(f"alerts: {self.path} is unreadable ({error}); its problems "
                                 "are treated as new")
            return
        problems = data.get("problems") if isinstance(data, dict) else None
        if not isinstance(problems, dict) or data.get("version") != VERSION:
            self.warnings.append(f"alerts: {self.path} is not a version {VERSION} alert "
                                 "state; its problems are treated as new")
            return
        self.problems = {key: record for key, record in problems.items() if _valid(record)}
        if len(self.problems) < len(problems):
            self.warnings.append(f"alerts: {self.path}: {len(problems) - len(self.problems)} "
                                 "malformed record(s) dropped; those problems are treated as "
                                 "new")

    def save(self) -> None:
        text = json.dumps({"version": VERSION, "problems": self.problems}, indent=1,
                          sort_keys=True)
        write_text_atomic(self.path, text + "\n")


_FIELDS = ("source", "table", "check", "level", "summary", "first_seen")


def _valid(record: Any) -> bool:
    if not isinstance(record, dict) or not isinstance(record.get("sent"), dict):
        return False
    return (all(isinstance(record.get(name), str) for name in _FIELDS)
            and all(isinstance(sent, dict) and isinstance(sent.get("at"), str)
                    and isinstance(sent.get("level"), str) for sent in record["sent"].values()))


@contextmanager
def locked_state(path: Path) -> Iterator[AlertState]:
    """The state, loaded under the lock and saved when the block ends normally."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_name(path.name + ".lock"), "a") as lock:
        if fcntl is not None:
            fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            state = AlertState(path)
            state.load()
            yield state
            state.save()
        finally:
            if fcntl is not None:
                fcntl.flock(lock, fcntl.LOCK_UN)
