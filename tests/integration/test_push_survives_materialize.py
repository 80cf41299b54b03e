"""An acknowledged push survives every later `materialize`, full or incremental, unless the
warehouse holds a newer value for its entity (issue #11 item 1; ADR 0021), on SQLite and
Redis: the issue's reproduction through the CLI, and pushes racing a series of runs where
every acknowledged push is checked against the warehouse itself."""

from __future__ import annotations

import itertools
import random
import threading
import time
from collections import Counter
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest
import yaml

from featureops.catalog import FeatureCatalog
from featureops.cli import run
from featureops.online import materialize, push_records
from featureops.online.base import OnlineStore, StoreBusyError
from featureops.online.config import open_online_store
from featureops.online.encoding import RecordCodec, encode_key
from featureops.online.sdk import OnlineFeatureClient
from featureops.project import Project
from tests.integration.online_support import END, drop_prefix, store_for

pytestmark = pytest.mark.slow
VIEW = "feat_user__profile"
NEW_USERS = 90_000_000  # no such user in the warehouse


@pytest.fixture(params=["sqlite", "redis"])
def project(request, duckdb_build, tmp_path: Path, monkeypatch) -> Iterator[Project]:
    """A scratch project on the session build whose featureops.yml names a private store."""
    store, config = store_for(request.param, tmp_path)
    store.close()
    (tmp_path / "featureops.yml").write_text(yaml.safe_dump({"online_store": config}))
    (tmp_path / "dbt_project.yml").write_text("name: featureops\nprofile: featureops\n")
    monkeypatch.setenv("FEATUREOPS_DUCKDB_PATH", str(duckdb_build.duckdb_path))
    monkeypatch.delenv("FEATUREOPS_ONLINE_STORE", raising=False)
    located = Project(tmp_path, duckdb_build.manifest_path)
    yield located
    drop_prefix(open_online_store(located))


def profile_records(rows: list[tuple[int, datetime, str]]) -> pa.Table:
    """Records of the view (user, event time, card tier); the other features are fixed."""
    n = len(rows)
    return pa.table({
        "user_id": pa.array([user for user, _, _ in rows], pa.int64()),
        "event_at": pa.array([when for _, when, _ in rows], pa.timestamp("us", tz="UTC")),
        "signup_at": pa.array([datetime(2020, 1, 1)] * n, pa.timestamp("us")),
        "birth_year": pa.array([1990] * n, pa.int32()),
        "home_country_code": ["FR"] * n, "home_region": ["Europe"] * n,
        "is_high_risk_home_country": [False] * n,
        "card_tier": [tier for _, _, tier in rows], "credit_limit_usd": [9000.0] * n,
    })


def test_the_issue_reproduction_a_full_run_keeps_pushed_records(project: Project) -> None:
    cli = ["--project-dir", str(project.project_dir), "--manifest",
           str(project.manifest_path)]
    materialize_args = ["materialize", *cli, "--select", VIEW, "--end-time", "2026-11-01",
                        "--quiet"]
    assert run(materialize_args) == 0
    view = FeatureCatalog.from_manifest(project.manifest).view(VIEW)
    pushed_at = datetime(2026, 11, 5, tzinfo=timezone.utc)
    pushed = profile_records([(42, pushed_at, "pushed-42"),
                              (NEW_USERS, pushed_at, "pushed-new")])
    assert push_records(project, view, pushed) == 2
    assert run(materialize_args) == 0  # the same full run again
    client = OnlineFeatureClient(project)
    try:
        found = client.get_online_features(features=[f"{VIEW}:card_tier"],
                                           entities={"user_id": [42, NEW_USERS, 43]},
                                           as_of=pushed_at + timedelta(hours=1))
    finally:
        client.close()
    served = [found.row(i)[f"{VIEW}:card_tier"] for i in range(3)]
    assert [(v.value, v.event_at, v.status) for v in served[:2]] == [
        ("pushed-42", pushed_at, "present"), ("pushed-new", pushed_at, "present")]
    assert served[2].status == "present" and served[2].event_at < END  # the warehouse's


def warehouse_profiles(duckdb_build) -> dict[int, dict[int, str]]:
    """Every row of the view up to the data's end: user -> {event time (µs): card tier}."""
    with duckdb.connect(str(duckdb_build.duckdb_path), read_only=True) as conn:
        rows = conn.execute(f"""
            select user_id, epoch_us(event_at), card_tier from main.{VIEW}
            where event_at <= timestamp '{END:%Y-%m-%d %H:%M:%S}'""").fetchall()
    found: dict[int, dict[int, str]] = {}
    for user, micros, tier in rows:
        found.setdefault(user, {})[micros] = tier
    return found


#: Alternating full and incremental runs, each later than the last: warehouse rows of the
#: last 30 days arrive while the pushes race.
RUN_ENDS = [END - timedelta(days=days) for days in (30, 26, 22, 18, 14, 10, 6, 3, 0)]


class Pushers:
    """Threads pushing small batches through their own store until stopped; each
    acknowledged record is kept (user, event µs, marker)."""

    def __init__(self, project: Project, users: dict[int, int], threads: int = 3) -> None:
        self.project, self.users = project, users
        self.view = FeatureCatalog.from_manifest(project.manifest).view(VIEW)
        self.stop = threading.Event()
        self.acknowledged: list[tuple[int, int, str]] = []
        self.refused = Counter()
        self.serial = itertools.count(1)  # the µs part of each push: no two tie
        self.threads = [threading.Thread(target=self.push, args=(n,)) for n in range(threads)]

    def push(self, seed: int) -> None:
        rng = random.Random(seed)
        known = sorted(self.users)
        store = open_online_store(self.project)
        try:
            for batch in itertools.count():
                if self.stop.is_set():
                    return
                rows = [self.record(rng, known, seed, batch) for _ in range(rng.randint(1, 4))]
                try:
                    push_records(self.project, self.view, profile_records(rows), store=store)
                except StoreBusyError as error:  # not acknowledged: the caller retries
                    self.refused[type(error).__name__] += 1
                    continue
                self.acknowledged.extend(
                    (user, int(when.timestamp()) * 1_000_000 + when.microsecond, tier)
                    for user, when, tier in rows)
        finally:
            store.close()

    def record(self, rng: random.Random, known: list[int], seed: int,
               batch: int) -> tuple[int, datetime, str]:
        serial = next(self.serial)
        if rng.random() < 0.4:  # a user the warehouse never had
            user = NEW_USERS + seed * 100_000 + rng.randrange(300)
            when = END - timedelta(days=rng.uniform(0, 40))
        else:  # even users: older than their newest warehouse row; odd: newer
            user = rng.choice(known)
            days = rng.uniform(0.1, 6) * (1 if user % 2 else -1)
            when = (datetime.fromtimestamp(self.users[user] / 1e6, timezone.utc)
                    + timedelta(days=days))
        when = when.replace(microsecond=serial % 1_000_000 or 1)
        return user, when, f"push-{seed}-{batch}-{serial}"


def test_every_acknowledged_push_survives_racing_materializations(
        project: Project, duckdb_build) -> None:
    warehouse = warehouse_profiles(duckdb_build)
    window = (int(RUN_ENDS[0].timestamp() * 1e6), int(END.timestamp() * 1e6))
    # users whose newest row arrives during the race, so warehouse rows and pushes cross
    racing = {user: max(rows) for user, rows in warehouse.items()
              if window[0] < max(rows) <= window[1]}
    assert len(racing) > 50
    store = open_online_store(project)
    materialize(project, store=store, select=[VIEW], end_time=RUN_ENDS[0] - timedelta(days=4),
                progress=False)
    pushers = Pushers(project, racing)
    for thread in pushers.threads:
        thread.start()
    modes = []
    try:
        for i, end in enumerate(RUN_ENDS):
            time.sleep(0.4)  # pushes land between runs as well as during them
            (result,) = materialize(project, store=store, select=[VIEW], end_time=end,
                                    mode="incremental" if i % 2 else "full", progress=False)
            modes.append(result.mode)
            if i == len(RUN_ENDS) // 2:
                during = len(pushers.acknowledged)
        time.sleep(0.3)
    finally:
        pushers.stop.set()
        for thread in pushers.threads:
            thread.join(timeout=30)
    assert modes == ["full", "incremental"] * 4 + ["full"]
    assert during > 50 and len(pushers.acknowledged) > during + 50
    served, pushed_won, warehouse_won = check_every_push(store, pushers.acknowledged,
                                                         warehouse)
    store.close()
    assert pushed_won > 100 and warehouse_won > 10, (pushed_won, warehouse_won)
    assert sum(pushers.refused.values()) < len(pushers.acknowledged) / 10, pushers.refused


def check_every_push(store: OnlineStore, acknowledged: list[tuple[int, int, str]],
                     warehouse: dict[int, dict[int, str]]) -> tuple[int, int, int]:
    """Each user's newest acknowledged push is served, or a strictly newer warehouse row
    of that user is; return (users checked, served pushes, served newer warehouse rows)."""
    newest: dict[int, tuple[int, str]] = {}
    for user, micros, tier in acknowledged:
        if user not in newest or micros > newest[user][0]:
            newest[user] = (micros, tier)
    users = sorted(newest)
    (snapshot,) = store.read([(VIEW, [encode_key([user]) for user in users])])
    codec = RecordCodec(snapshot.state.layout)
    tier_at = snapshot.state.layout.feature_names.index("card_tier")
    lost, pushed_won, warehouse_won = [], 0, 0
    for user, record in zip(users, snapshot.records, strict=True):
        micros, tier = newest[user]
        if record is None:
            lost.append((user, "not_found"))
            continue
        served_micros, values = codec.decode(record)
        if (served_micros, values[tier_at]) == (micros, tier):
            pushed_won += 1
        elif served_micros > micros and warehouse.get(user, {}).get(
                served_micros) == values[tier_at]:
            warehouse_won += 1
        else:
            lost.append((user, f"pushed {micros} {tier}, served {served_micros} "
                               f"{values[tier_at]}"))
    assert not lost, (f"{len(lost)} of {len(users)} users lost their acknowledged push: "
                      f"{lost[:5]}")
    return len(users), pushed_won, warehouse_won
