"""One Redis Cluster master SIGKILLed while the feature server reads: requests for the views
it serves get 503 naming it, the other views keep answering with their values, no answer
is ever wrong, and the views come back when it restarts (same port, same nodes.conf; AOF
so it restarts with its data). Then the same master hung (SIGSTOP): its views miss the
deadline, the others answer at once, and SIGCONT brings them back. A private 3-master
cluster, stopped by pid."""

from __future__ import annotations

import threading
import time
import uuid
from datetime import timedelta

import duckdb
import pytest
from fastapi.testclient import TestClient

from featureops.online import materialize
from featureops.online.base import NodeUnavailableError
from featureops.online.sdk import OnlineFeatureClient
from featureops.serving.app import create_app
from featureops.serving.settings import ServingSettings
from tests.integration.online_support import END, project_for, redis_store
from tests.redis_cluster import private_cluster
from tests.services import require_cluster_tools

pytestmark = pytest.mark.slow

URL_ENV = "FEATUREOPS_TEST_OUTAGE_CLUSTER_URL"
#: view: (entity key, a feature, ttl in days); spend_windows streams (its lookups read the
#: stream state too, which lives in the view's slot)
VIEWS = {"feat_user__profile": ("user_id", "card_tier", 3650),
         "feat_user__spend_windows": ("user_id", "transaction_count_7d", 30),
         "feat_merchant__profile": ("merchant_id", "category_code", 3650),
         "feat_merchant__risk_windows": ("merchant_id", "transaction_count_7d", 2)}
IDS = list(range(1, 31))
AS_OF = "2026-11-01T00:00:00Z"


def request_for(view: str) -> dict:
    key, feature, _ = VIEWS[view]
    return {"features": [f"{view}:{feature}"], "entities": {key: IDS}, "as_of": AS_OF}


def spread_store():
    """A store whose prefix puts the views on at least two masters; its views by master."""
    for _ in range(50):
        store = redis_store(prefix=f"fo_it_{uuid.uuid4().hex[:8]}", url_env=URL_ENV,
                            cluster=True, socket_timeout=0.5, connect_timeout=0.2)
        by_master: dict[int, list[str]] = {}
        for view in VIEWS:
            node = store.client.get_node_from_key(store.view_key(view, "_ptr"))
            by_master.setdefault(node.port, []).append(view)
        if len(by_master) > 1:
            return store, by_master
        store.close()
    pytest.fail("no prefix spread the views over 2 masters in 50 tries")


def warehouse_values(build, view: str) -> dict[int, object]:
    """The feature's value per entity as dbt built it: its latest row in (END - ttl, END]."""
    key, feature, ttl_days = VIEWS[view]
    end = END.replace(tzinfo=None)
    with duckdb.connect(str(build.duckdb_path), read_only=True) as conn:
        rows = conn.execute(
            f"select {key}, {feature} from (select *, row_number() over (partition by {key} "
            f"order by event_at desc) as n from {view} where event_at <= ? and event_at > ?) "
            "where n = 1", [end, end - timedelta(days=ttl_days)]).fetchall()
    return dict(rows)


def served(answer: dict) -> list:
    return [result["values"] for result in answer["results"][1:]]


class Outage:
    """The server under test, the views on the victim master and on the others, and what
    each view served before anything failed."""

    def __init__(self, http, victim, down_views: list[str]) -> None:
        self.http, self.victim, self.down = http, victim, down_views
        self.up = [view for view in VIEWS if view not in down_views]
        self.before = {view: self.post(view).json() for view in VIEWS}

    def post(self, view: str):
        return self.http.post("/features", json=request_for(view))

    def assert_up_views_answer(self, within: float = 30.0) -> None:
        for view in self.up:
            started = time.monotonic()
            up = self.post(view)
            assert up.status_code == 200, up.text
            assert time.monotonic() - started < within
            assert served(up.json()) == served(self.before[view])

    def wait_for(self, view: str, seconds: float = 30) -> None:
        """Until ``view`` answers 200 (503s meanwhile), then its values are the old ones."""
        deadline = time.monotonic() + seconds
        while (after := self.post(view)).status_code != 200:
            assert after.status_code == 503, after.text
            assert time.monotonic() < deadline, after.text
            time.sleep(0.1)
        assert served(after.json()) == served(self.before[view])


def killed_during_reads(outage: Outage) -> None:
    """Reads going on while the master is SIGKILLed: every 200 is the right answer."""
    killer = threading.Timer(0.3, outage.victim.kill)
    killer.start()
    answers = []
    deadline = time.monotonic() + 1.5
    while time.monotonic() < deadline:
        answers += [(view, outage.post(view)) for view in VIEWS]
    killer.join()
    assert {r.status_code for _, r in answers} <= {200, 503}
    assert all(served(r.json()) == served(outage.before[v])
               for v, r in answers if r.status_code == 200)
    assert any(r.status_code == 503 for _, r in answers)


def while_down(outage: Outage, client: OnlineFeatureClient) -> None:
    """503 naming the dead master for its views, values for the others."""
    port = str(outage.victim.port)
    for _ in range(3):
        for view in outage.down:
            down = outage.post(view)
            assert down.status_code == 503, down.text
            assert port in down.json()["detail"] and down.headers["retry-after"] == "1"
        outage.assert_up_views_answer()
    assert outage.http.get("/health").status_code == 503
    view = outage.down[0]
    with pytest.raises(NodeUnavailableError, match=port):
        client.get_online_features(features=[view], entities={VIEWS[view][0]: IDS}, as_of=END)
    pair = (outage.up[0], view)
    mixed = {"features": [f"{v}:{VIEWS[v][1]}" for v in pair],
             "entities": {VIEWS[v][0]: IDS for v in pair}, "as_of": AS_OF}
    assert outage.http.post("/features", json=mixed).status_code == 503


def while_hung(outage: Outage) -> None:
    """SIGSTOP: its views miss the deadline (503), the others do not wait for it."""
    outage.victim.pause(True)
    try:
        for view in outage.down:
            hung = outage.post(view)
            assert hung.status_code == 503 and "no answer within" in hung.text
        outage.assert_up_views_answer(within=0.4)
    finally:
        outage.victim.pause(False)


def test_a_killed_master_fails_only_its_views_and_recovers(duckdb_build, monkeypatch,
                                                           tmp_path):
    require_cluster_tools()
    project = project_for(duckdb_build, monkeypatch)
    always = ("--appendonly", "yes", "--appendfsync", "always")
    with private_cluster(tmp_path / "cluster", extra=always) as cluster:
        monkeypatch.setenv(URL_ENV, cluster.url)
        store, by_master = spread_store()
        materialize(project, store=store, select=list(VIEWS), end_time=END, progress=False)
        victim_port, down_views = next(iter(by_master.items()))
        victim = next(node for node in cluster.nodes if node.port == victim_port)
        client = OnlineFeatureClient(project, store=store)
        settings = ServingSettings(store_retry_seconds=0.2, log_dir=str(tmp_path / "log"))
        with TestClient(create_app(project, client=client, settings=settings, tokens=()),
                        raise_server_exceptions=False) as http:
            outage = Outage(http, victim, down_views)
            for view in VIEWS:  # the oracle: what dbt built
                truth = warehouse_values(duckdb_build, view)
                assert served(outage.before[view])[0] == [truth.get(i) for i in IDS], view
            killed_during_reads(outage)
            while_down(outage, client)
            victim.start()  # on its port, with its nodes.conf (and AOF: its data)
            for view in down_views:
                outage.wait_for(view)
            outage.assert_up_views_answer()
            cluster.wait_healthy()
            assert http.get("/health").status_code == 200
            while_hung(outage)
            outage.wait_for(down_views[0])
        store.close()
