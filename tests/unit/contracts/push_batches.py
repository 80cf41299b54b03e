"""Hypothesis strategies for the push path: lines of JSON lines input mixing valid
records, records of every wrong shape and type, timestamps that overflow in UTC, JSON
nested past orjson's limits and bytes that are not UTF-8."""

from __future__ import annotations

import json

from hypothesis import strategies as st

from featureops.project import Project
from tests.unit.contracts.conftest import VIEW

_timestamps = st.one_of(
    st.datetimes().map(lambda d: d.isoformat()),
    st.sampled_from(["9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00+14:00",
                     "2026-11-01T10:00:00Z", "2026-13-01", "", "2026-11-01T10:00:00+24:00"]),
    st.text(max_size=30))
_json_values = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(2 ** 70), max_value=2 ** 70)
    | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                                max_size=4),
    max_leaves=12)
_records = st.fixed_dictionaries(
    {"user_id": st.one_of(st.integers(min_value=-(2 ** 64), max_value=2 ** 64), _json_values),
     "event_at": st.one_of(_timestamps, _json_values)},
    optional={"spend_7d": st.one_of(st.floats(allow_nan=False, allow_infinity=False),
                                    _json_values),
              "tier": st.one_of(st.text(), _json_values), "extra": _json_values})
_line = st.one_of(
    _records.map(lambda r: json.dumps(r, ensure_ascii=False).encode("utf-8", "surrogatepass")),
    _json_values.map(lambda v: json.dumps(v).encode()),
    st.binary(max_size=40),
    st.integers(min_value=250, max_value=1100).map(lambda n: (
        '{"user_id": 1, "event_at": "2026-11-01T10:00:00", "tier": '
        + "[" * n + "]" * n + "}").encode()))
#: A batch of lines; a line holds no newline of its own (what one line of a file would be).
poison_lines = st.lists(_line.map(lambda line: line.replace(b"\n", b" ")), max_size=12)


def dead_count(project: Project) -> int:
    path = project.project_dir / "dead" / f"{VIEW}.jsonl"
    return path.read_bytes().count(b"\n") if path.exists() else 0
