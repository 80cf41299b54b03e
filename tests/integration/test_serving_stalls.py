"""A store that cannot answer never freezes the server: a hung Redis (SIGSTOP) and a
SQLite file locked by another process give fast 503s with Retry-After, while /health and
lookups that can be answered stay fast; a similarity matrix reload after a change never
holds up a search. Uses a private redis-server (stopped and resumed by its own pid, never
the shared instance) and a real uvicorn server."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import duckdb
import numpy as np
import pyarrow as pa
import pytest

from featureops.catalog import FeatureCatalog
from featureops.online import materialize, push_records
from featureops.online.sdk import OnlineFeatureClient
from featureops.serving.app import create_app
from featureops.serving.settings import ServingSettings
from tests.integration.online_support import (
    END,
    drop_prefix,
    private_redis,
    project_for,
    redis_store,
    sqlite_store,
)
from tests.integration.serving_support import live_server, timed_get, timed_post
from tests.integration.test_push_contracts import (
    TOKEN,
    TOKEN_ENV,
    VIEW,
    warehouse_rows,  # noqa: F401 - fixture
)

pytestmark = pytest.mark.slow
LOOKUP = {"features": ["feat_user__profile:card_tier"], "entities": {"user_id": [1]},
          "as_of": "2026-11-01T00:00:00Z"}
# Holds SQLite's write lock until its stdin closes, as another process's long write would.
LOCKER = ("import sqlite3, sys\n"
          "conn = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
          "conn.execute('begin immediate')\n"
          "print('locked', flush=True)\n"
          "sys.stdin.read()\n")


def test_hung_redis_gives_fast_503s_and_health_stays_fast(duckdb_build, monkeypatch, tmp_path):
    project = project_for(duckdb_build, monkeypatch)
    with private_redis(tmp_path) as redis_server:
        monkeypatch.setenv("FEATUREOPS_TEST_REDIS_URL", redis_server.url)
        store = redis_store(url_env="FEATUREOPS_TEST_REDIS_URL")  # 2 s socket timeout
        materialize(project, store=store, select=["feat_user__profile"], end_time=END,
                    progress=False)
        settings = ServingSettings(store_timeout_seconds=0.3, store_retry_seconds=1.0,
                                   log_dir=str(tmp_path / "log"))
        app = create_app(project, client=OnlineFeatureClient(project, store=store),
                         settings=settings, tokens=())
        with live_server(app) as url:
            assert timed_post(f"{url}/features", json=LOOKUP)[0].status_code == 200
            os.kill(redis_server.process.pid, signal.SIGSTOP)
            try:
                with ThreadPoolExecutor(5) as pool:
                    lookups = [pool.submit(timed_post, f"{url}/features", json=LOOKUP)
                               for _ in range(5)]
                    time.sleep(0.05)
                    health, health_seconds = timed_get(f"{url}/health")
                    answers = [future.result() for future in lookups]
                assert health.status_code == 503 and health_seconds < 1.0
                for response, seconds in answers:
                    assert response.status_code == 503, response.text
                    assert response.headers["retry-after"] == "1" and seconds < 1.0
                # the circuit is open: no request waits for the hung server now
                response, seconds = timed_post(f"{url}/features", json=LOOKUP)
                assert response.status_code == 503 and seconds < 0.25
                response, seconds = timed_get(f"{url}/health")
                assert response.status_code == 503 and seconds < 0.25
            finally:
                os.kill(redis_server.process.pid, signal.SIGCONT)
            deadline = time.monotonic() + 10
            while (after := timed_post(f"{url}/features", json=LOOKUP)[0]).status_code != 200:
                assert time.monotonic() < deadline, after.text
                time.sleep(0.1)
        store.close()


def test_locked_sqlite_file_gives_a_fast_503_to_the_push_only(
        duckdb_build, monkeypatch, tmp_path, warehouse_rows):  # noqa: F811 - fixture
    project = project_for(duckdb_build, monkeypatch)
    monkeypatch.setenv(TOKEN_ENV, TOKEN)
    monkeypatch.setenv("FEATUREOPS_DEAD_LETTER_DIR", str(tmp_path / "dead"))
    path = tmp_path / "online.db"
    store = sqlite_store(path, write_busy_timeout_ms=1500)
    materialize(project, store=store, select=[VIEW, "feat_user__profile"], end_time=END,
                progress=False)
    app = create_app(project, client=OnlineFeatureClient(project, store=store),
                     settings=ServingSettings(log_dir=str(tmp_path / "log")), tokens=())
    push = {"url_suffix": f"/push/{VIEW}", "json": {"records": warehouse_rows},
            "headers": {"Authorization": f"Bearer {TOKEN}"}}
    with live_server(app) as url:
        locker = subprocess.Popen([sys.executable, "-c", LOCKER, str(path)],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        try:
            assert locker.stdout.readline().strip() == "locked"
            probes = []
            with ThreadPoolExecutor(1) as pool:
                pushed = pool.submit(timed_post, url + push["url_suffix"], json=push["json"],
                                     headers=push["headers"])
                time.sleep(0.1)
                while not pushed.done():
                    probes.append(timed_get(f"{url}/health"))
                    probes.append(timed_post(f"{url}/features", json=LOOKUP))
                    time.sleep(0.05)
                response, seconds = pushed.result()
        finally:
            locker.stdin.close()
            locker.wait(timeout=10)
        assert response.status_code == 503, response.text
        assert response.headers["retry-after"] == "1"
        assert "locked by another writer" in response.json()["detail"]
        assert 1.2 < seconds < 3.5
        assert len(probes) >= 6
        assert all(probe.status_code == 200 and took < 0.5 for probe, took in probes), [
            (probe.status_code, took) for probe, took in probes]
        after, _ = timed_post(url + push["url_suffix"], json=push["json"],
                              headers=push["headers"])
        assert after.status_code == 200 and after.json()["accepted"] == len(warehouse_rows)
    store.close()


def _pushed_merchant(duckdb_build, merchant_id: int, embedding: list[float]) -> pa.Table:
    """Merchant ``merchant_id``'s newest row with another embedding, dated now."""
    conn = duckdb.connect(str(duckdb_build.duckdb_path), read_only=True)
    try:
        row = conn.sql(f"select * from main.feat_merchant__profile where merchant_id = "
                       f"{merchant_id} order by event_at desc limit 1").to_arrow_table()
    finally:
        conn.close()
    now = pa.array([np.datetime64("now", "us")], type=row.schema.field("event_at").type)
    vector = pa.array([embedding], type=row.schema.field("description_embedding").type)
    row = row.set_column(row.schema.get_field_index("event_at"), "event_at", now)
    return row.set_column(row.schema.get_field_index("description_embedding"),
                          "description_embedding", vector)


def test_similar_after_a_change_answers_from_the_previous_matrix(duckdb_build, monkeypatch,
                                                                  tmp_path):
    from tests.services import require_redis

    require_redis()
    project = project_for(duckdb_build, monkeypatch)
    store = redis_store()
    view = "feat_merchant__profile"
    materialize(project, store=store, select=[view], end_time=END, progress=False)
    app = create_app(project, client=OnlineFeatureClient(project, store=store),
                     settings=ServingSettings(log_dir=str(tmp_path / "log")), tokens=())
    query = {"view": view, "vector": [1.0] + [0.0] * 15, "k": 3}
    try:
        with live_server(app) as url:
            before, _ = timed_post(f"{url}/similar", json=query)
            assert before.status_code == 200
            assert before.json()["results"][0]["distance"] > 1e-3
            scan = store.scan_records

            def slow_scan(view_name, version):
                time.sleep(2.0)  # a view large enough to take seconds to load
                yield from scan(view_name, version)

            monkeypatch.setattr(store, "scan_records", slow_scan)
            push_records(project, FeatureCatalog.from_manifest(project.manifest).view(view),
                         _pushed_merchant(duckdb_build, 1, query["vector"]), store=store)
            during, seconds = timed_post(f"{url}/similar", json=query)
            health, health_seconds = timed_get(f"{url}/health")
            assert during.status_code == 200 and seconds < 0.5
            assert during.json() == before.json()  # the previous matrix answered
            assert health.status_code == 200 and health_seconds < 0.5
            deadline = time.monotonic() + 15
            while (after := timed_post(f"{url}/similar", json=query)[0].json()) == (
                    before.json()):
                assert time.monotonic() < deadline, "the new matrix never replaced the old"
                time.sleep(0.2)
            assert after["results"][0]["entity"] == {"merchant_id": 1}
            assert after["results"][0]["distance"] == pytest.approx(0.0, abs=1e-5)
    finally:
        drop_prefix(store)
