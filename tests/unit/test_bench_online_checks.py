"""The online benchmarks' own guards (#12 item 7): their data is served ``present`` at the
time of the run, a read of another code path fails the run, and their work directory goes
away unless kept."""

from __future__ import annotations

import os
import signal
from datetime import datetime, timezone

import duckdb
import pytest

from benchmarks.bench_online_common import (
    END,
    REFS,
    START,
    TTL_DAYS,
    assert_served,
    check_sdk,
    expected_values,
    http_served,
    make_manifest,
    make_warehouse,
    sample_users,
    sdk_served,
    work_directory,
)


def test_generated_rows_are_inside_the_ttl_at_the_time_of_the_run(tmp_path):
    warehouse = make_warehouse(tmp_path, 300, rows_per_entity=3)
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        oldest, newest = conn.execute(
            "select min(event_at), max(event_at) from feat_bench__users").fetchone()
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    assert START.replace(tzinfo=None) == oldest
    assert newest < END.replace(tzinfo=None) <= now
    assert (now - oldest).days < TTL_DAYS


def test_rows_per_entity_that_would_reach_the_run_time_is_refused(tmp_path):
    with pytest.raises(SystemExit, match="--rows-per-entity"):
        make_warehouse(tmp_path, 10, rows_per_entity=30)


def test_materialized_sample_reads_back_present_with_the_warehouse_values(tmp_path,
                                                                          monkeypatch):
    from featureops.online.config import parse_store_config
    from featureops.online.materialize import materialize
    from featureops.online.sdk import OnlineFeatureClient
    from featureops.online.sqlite import SqliteOnlineStore
    from featureops.project import Project

    warehouse = make_warehouse(tmp_path, 500, rows_per_entity=2)
    monkeypatch.setenv("FEATUREOPS_DUCKDB_PATH", str(warehouse))
    project = Project.locate(tmp_path, make_manifest(tmp_path))
    store = SqliteOnlineStore(parse_store_config(
        {"type": "sqlite", "path": str(tmp_path / "online.db")}), tmp_path)
    materialize(project, store=store, end_time=END, progress=False)
    users = sample_users(500)
    expected = expected_values(warehouse, users)
    client = OnlineFeatureClient(project, store=store)
    check_sdk("test", client, users, expected)  # raises SystemExit on any other status
    # the oracle is independent of the store: the newest of the two rows per user
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        newest = conn.execute("select count_0 from feat_bench__users where user_id = 7 "
                              "order by event_at desc limit 1").fetchone()[0]
    assert expected_values(warehouse, [7])[7]["count_0"] == newest
    # read a year later, the same records are outside the ttl: the check must refuse them
    answer = client.get_online_features(
        REFS, entities={"user_id": users},
        as_of=END.replace(year=END.year + 1))
    assert {v.status for row in answer.values for v in row} == {"outside_ttl"}
    with pytest.raises(SystemExit, match=r"outside_ttl"):
        assert_served("test", users, sdk_served(answer), expected)
    client.close()


def test_a_wrong_value_fails_the_check():
    expected = {1: {"count_0": 5, "amount_0": 1.25}}
    assert_served("ok", [1], [{"count_0": (5, "present"), "amount_0": (1.25, "present")}],
                  expected)
    with pytest.raises(SystemExit, match=r"user 1 amount_0: got 1.5 \(present\)"):
        assert_served("x", [1], [{"count_0": (5, "present"), "amount_0": (1.5, "present")}],
                      expected)
    with pytest.raises(SystemExit, match=r"got None \(not_found\)"):
        assert_served("x", [1], [{"count_0": (None, "not_found"),
                                  "amount_0": (None, "not_found")}], expected)


def test_http_answers_are_read_per_entity_and_feature():
    body = {"metadata": {"feature_names": ["user_id", "v:count_0", "v:amount_0"]},
            "results": [{"values": [1, 2], "statuses": ["present", "present"]},
                        {"values": [5, None], "statuses": ["present", "not_found"]},
                        {"values": [1.5, None], "statuses": ["present", "not_found"]}]}
    assert http_served(body) == [{"count_0": (5, "present"), "amount_0": (1.5, "present")},
                                 {"count_0": (None, "not_found"),
                                  "amount_0": (None, "not_found")}]


def test_work_directory_is_removed_on_interrupt_and_sigterm_unless_kept(capsys):
    with pytest.raises(KeyboardInterrupt), work_directory("fo-test-") as work:
        (work / "data").write_text("x")
        raise KeyboardInterrupt
    assert not work.exists()
    before = signal.getsignal(signal.SIGTERM)
    with pytest.raises(KeyboardInterrupt), work_directory("fo-test-") as work:
        os.kill(os.getpid(), signal.SIGTERM)
    assert not work.exists()
    assert signal.getsignal(signal.SIGTERM) is before
    with work_directory("fo-test-", keep=True) as kept:
        pass
    try:
        assert kept.exists()
        assert f"kept: {kept}" in capsys.readouterr().out
    finally:
        kept.rmdir()
