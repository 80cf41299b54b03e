"""Reliability: a materialization killed midway leaves the previous version serving, and
concurrent readers never see a mix of versions."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import timedelta

import pytest

from featureops.online import materialize
from featureops.online.encoding import RecordCodec, encode_key
from tests.integration.online_support import (
    END,
    drop_prefix,
    project_for,
    store_for,
)

pytestmark = pytest.mark.slow
VIEW = "feat_user__spend_windows"

KILLABLE = """
import sys, time, pathlib
from featureops.online.config import open_online_store, parse_store_config
from featureops.online.materialize import materialize
from featureops.project import Project
from datetime import datetime, timezone
project = Project.locate(sys.argv[1], sys.argv[2])
store = open_online_store(project, parse_store_config({**__import__('json').loads(sys.argv[3])}))
marker = pathlib.Path(sys.argv[4])
write = store.write_batch
def slow_write(build, batch):
    write(build, batch)
    marker.write_text(str(build.rows))
    time.sleep(0.2)
store.write_batch = slow_write
materialize(project, store=store, select=[sys.argv[5]], batch_size=100, progress=False,
            end_time=datetime(2026, 11, 1, tzinfo=timezone.utc))
"""


@pytest.fixture(params=["sqlite", "redis", "redis-cluster"])
def store_and_config(request, tmp_path):
    cluster_env = request.getfixturevalue("redis_cluster") if "cluster" in request.param else ""
    created, config = store_for(request.param, tmp_path, cluster_env)
    yield created, config
    drop_prefix(created)


def raw_records(store, ids):
    (snap,) = store.read([(VIEW, [encode_key([i]) for i in ids])])
    return tuple(snap.records)


def snapshot_all(store, ids):
    (snap,) = store.read([(VIEW, [encode_key([i]) for i in ids])])
    codec = RecordCodec(snap.state.layout)
    return snap.state.version, [r and codec.decode(r) for r in snap.records]


def test_kill_mid_materialize_leaves_previous_version_serving(
        duckdb_build, monkeypatch, tmp_path, store_and_config):
    store, config = store_and_config
    project = project_for(duckdb_build, monkeypatch)
    materialize(project, store=store, select=[VIEW], end_time=END - timedelta(days=5),
                progress=False)
    ids = list(range(1, 2001))
    before = snapshot_all(store, ids)
    marker = tmp_path / "progress"
    child = subprocess.Popen(
        [sys.executable, "-c", KILLABLE, str(project.project_dir), str(project.manifest_path),
         json.dumps(config), str(marker), VIEW],
        env={**os.environ, "PYTHONPATH": str(project.project_dir)})
    deadline = time.monotonic() + 60
    while not (marker.exists() and int(marker.read_text() or 0) >= 300):
        assert child.poll() is None, "the materialization ended before it could be killed"
        assert time.monotonic() < deadline
        time.sleep(0.02)
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=10)
    assert snapshot_all(store, ids) == before  # every record of the old version, unchanged
    # once the dead run's lock has expired, the next run succeeds and removes its orphan
    monkeypatch.setattr("featureops.online.base.BUILD_LOCK_SECONDS", 0)
    monkeypatch.setattr("featureops.online.sqlite.BUILD_LOCK_SECONDS", 0)
    if config["type"] == "redis":
        store.client.delete(store.view_key(VIEW, "_building"))
    (result,) = materialize(project, store=store, select=[VIEW], end_time=END, progress=False)
    assert result.removed_versions, "the killed run's version was not cleaned up"
    assert snapshot_all(store, ids)[0] == result.version


def test_concurrent_readers_never_see_mixed_versions(duckdb_build, monkeypatch,
                                                     store_and_config):
    store, _ = store_and_config
    project = project_for(duckdb_build, monkeypatch)
    ids = list(range(1, 400))
    ends = [END - timedelta(days=3), END]
    expected = {}
    for end in ends:
        materialize(project, store=store, select=[VIEW], end_time=end, progress=False)
        expected[raw_records(store, ids)] = end
    assert len(expected) == 2, "the two end times must give different records"
    seen, errors, stop = set(), [], threading.Event()

    def reader():
        try:
            while not stop.is_set():
                key = raw_records(store, ids)
                if key not in expected:
                    errors.append("a read mixed records of two versions")
                    return
                seen.add(expected[key])
        except Exception as error:  # surfaced below
            errors.append(repr(error))

    threads = [threading.Thread(target=reader) for _ in range(3)]
    for thread in threads:
        thread.start()
    for i in range(6):
        materialize(project, store=store, select=[VIEW], end_time=ends[i % 2], progress=False)
    stop.set()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors, errors[:3]
    assert seen == set(ends)
