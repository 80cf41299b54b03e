"""Lookups of a streaming view (issue #14 item 3): before its stream starts, the batch
records answer as for any view; once events are applied, the SDK (which the feature server
answers POST /features with) returns each window as of the lookup's instant, merged from
the live version's batch edge and the stream, with that instant as the timestamp: equal to
dbt's row for that user and time."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta, timezone

import pytest

from featureops.online.materialize import materialize
from featureops.online.sdk import OnlineFeatureClient
from featureops.streaming.serving import IDLE_RECHECK_SECONDS
from featureops.streaming.state import open_state
from tests.integration.online_support import project_for
from tests.integration.stream_serving_support import EPOCH, VIEW, online_store, view_rows
from tests.integration.stream_serving_support import micros as _micros


@pytest.fixture(params=["sqlite", "redis"])
def store(request, tmp_path):
    yield from online_store(request.param, tmp_path)


def test_lookups_merge_batch_and_stream_as_of_the_instant(duckdb_build, monkeypatch, store):
    project = project_for(duckdb_build, monkeypatch)
    view, inputs, dbt_rows = view_rows(duckdb_build, project)
    times = [_micros(t) for t in inputs.column("event_at").to_pylist()]
    end = EPOCH + timedelta(microseconds=times[int(len(times) * 0.8)])
    materialize(project, store=store, select=[VIEW], end_time=end.replace(tzinfo=timezone.utc),
                progress=False)
    client = OnlineFeatureClient(project, store=store)
    state = open_state(project, store.config)
    try:
        later = [r for r in dbt_rows if _micros(r["event_at"]) > _micros(end)][::60][:80]
        users = [r["user_id"] for r in later]
        # before the stream starts: the batch records, as for every view
        batch = client.get_online_features([VIEW], entities={"user_id": users},
                                           as_of=later[0]["event_at"])
        batch_end = end.replace(tzinfo=timezone.utc)
        served_before = [batch.row(i)[f"{VIEW}:transaction_count_1h"] for i in range(len(batch))]
        assert any(v.status != "not_found" for v in served_before)
        assert all(v.event_at <= batch_end for v in served_before if v.status != "not_found")
        start = next(i for i, t in enumerate(times) if t >= _micros(end) - 3_600_000_000)
        for at in range(start, len(times), 2000):
            state.apply(view, inputs.slice(at, 2000))
        # a client that found no stream asks again after IDLE_RECHECK_SECONDS at most
        time.sleep(IDLE_RECHECK_SECONDS)
        checked = 0
        for row in later:
            at = row["event_at"].replace(tzinfo=timezone.utc)
            answer = client.get_online_features([VIEW], entities={"user_id": [row["user_id"]]},
                                                as_of=at).row(0)
            if answer[f"{VIEW}:transaction_count_30d"].status == "not_found":
                # no batch record and no event before the instant: dbt's row is empty too
                assert row["transaction_count_30d"] == 0
                continue
            checked += 1
            if checked == 1:  # the feature server's path (async, store reads on a thread)
                columns = asyncio.run(client.get_online_columns_async(
                    [VIEW], entities={"user_id": [row["user_id"]]}, as_of=at))
                assert columns.to_features().row(0) == answer
            for window in view.windows:
                served = answer[f"{VIEW}:{window.name}"]
                assert (served.event_at, served.status) == (at, "present")
                if window.aggregate == "avg" and row[window.name] is not None:
                    assert served.value == pytest.approx(row[window.name], rel=0, abs=1e-9)
                else:
                    assert served.value == row[window.name], (window.name, row)
        assert checked >= 60
        unknown = client.get_online_features([f"{VIEW}:amount_usd_sum_1h"],
                                             entities={"user_id": [10**12]}).row(0)
        assert unknown[f"{VIEW}:amount_usd_sum_1h"].status == "not_found"
    finally:
        state.close()
        client.close()
