"""The batch layer's part of the merge (issue #14 item 3): `materialize` stores a streaming
view's batch edge with each full version, before the flip; served windows (edge below the
live version's boundary + stream from it) equal dbt's rows, and after a newer full version
lands the stream's events it now covers are not counted twice."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import duckdb
import pytest

from featureops.catalog import FeatureCatalog
from featureops.online.materialize import materialize
from featureops.streaming.merge import merged_values
from featureops.streaming.state import EVENT_ID_COLUMN, open_state
from featureops.streaming.windows import streaming_view
from tests.integration.online_support import drop_prefix, project_for, redis_store, sqlite_store
from tests.services import require_redis

VIEW = "feat_user__spend_windows"
EPOCH = datetime(1970, 1, 1)


def _micros(value: datetime) -> int:
    return (value - EPOCH) // timedelta(microseconds=1)


@pytest.fixture(params=["sqlite", "redis"])
def store(request, tmp_path):
    if request.param == "redis":
        require_redis()
        store = redis_store()
    else:
        store = sqlite_store(tmp_path / "online.db")
    yield store
    drop_prefix(store)


def test_edges_follow_versions_and_never_double_count(duckdb_build, monkeypatch, store):
    project = project_for(duckdb_build, monkeypatch)
    view = streaming_view(project.manifest,
                          FeatureCatalog.from_manifest(project.manifest).view(VIEW))
    with duckdb.connect(str(duckdb_build.duckdb_path), read_only=True) as conn:
        inputs = conn.sql(f"select *, cast(transaction_id as varchar) as {EVENT_ID_COLUMN} "
                          f"from main.{view.input_model} order by event_at").to_arrow_table()
        dbt_rows = conn.sql(f"select * from main.{VIEW}").to_arrow_table().to_pylist()
    times = [_micros(t) for t in inputs.column("event_at").to_pylist()]
    ends = [EPOCH + timedelta(microseconds=times[int(len(times) * q)]) for q in (0.7, 0.9)]
    state = open_state(project, store.config)
    try:
        (first,) = materialize(project, store=store, select=[VIEW], end_time=ends[0]
                               .replace(tzinfo=timezone.utc), progress=False)
        # the stream has every event from an hour before the first boundary, in order
        start = next(i for i, t in enumerate(times) if t >= _micros(ends[0]) - 3_600_000_000)
        for at in range(start, len(times), 2000):
            assert state.apply(view, inputs.slice(at, 2000)).too_late == 0
        boundary = _check(state, view, first.version, dbt_rows, _micros(ends[0]))
        # the version's boundary: just after the newest input event at or before its end
        assert boundary == max(t for t in times if t <= _micros(ends[0])) + 1
        (second,) = materialize(project, store=store, select=[VIEW], end_time=ends[1]
                                .replace(tzinfo=timezone.utc), progress=False)
        assert second.version != first.version
        assert store.live_state(VIEW).version == second.version
        # events in [B1, B2) are now in the edge and in the stream: counted once
        _check(state, view, second.version, dbt_rows, _micros(ends[1]))
        # the replaced version's edge is kept for readers still holding it; older ones go
        (third,) = materialize(project, store=store, select=[VIEW], end_time=ends[1]
                               .replace(tzinfo=timezone.utc), progress=False)
        assert state.read(view, first.version, ["1"], 0, 1).boundary_micros is None
        assert state.read(view, second.version, ["1"], 0, 1).boundary_micros is not None
        assert state.read(view, third.version, ["1"], 0, 1).boundary_micros is not None
    finally:
        state.close()


def _check(state, view, version: str, dbt_rows: list[dict], after: int) -> int:
    """Served values as of dbt rows' times after ``after`` equal the rows; the boundary."""
    rows = [r for r in dbt_rows if _micros(r["event_at"]) > after][::40][:150]
    assert len(rows) >= 50
    boundary = None
    for row in rows:
        key, at = str(row["user_id"]), _micros(row["event_at"])
        read = state.read(view, version, [key], at - view.widths_micros[0], at)
        boundary = read.boundary_micros
        assert boundary is not None and boundary <= at
        served = merged_values(view, at, read.edge.get(key), boundary, read.stream.get(key))
        for window in view.windows:
            want = row[window.name]
            if window.aggregate == "avg" and want is not None:
                assert served[window.name] == pytest.approx(want, rel=0, abs=1e-9)
            else:
                assert served[window.name] == want, (window.name, row)
    return boundary
