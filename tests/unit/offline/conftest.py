"""A small hand-made project for the offline API: a DuckDB warehouse and its manifest.

``mini_project`` has three feature views with random rows (ties included):
- ``user_stats`` (user_id; ttl 2d; created_timestamp created_at): spend, visits
- ``merchant_risk`` (merchant_id; no ttl): risk, spend (spend collides with user_stats)
- ``pair_affinity`` (user_id, merchant_id; ttl 1d): affinity
a spine model ``labels`` (user_id, merchant_id, event_timestamp, label), a view ``ghost``
declared in the manifest but missing from the warehouse, and an ml exposure ``scorer``
reading user_stats, merchant_risk:risk and pair_affinity.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pytest

from featureops.project import Project
from featureops.testing import ManifestBuilder
from tests.unit.offline.oracle import OracleView

BASE = datetime(2026, 6, 1)


@dataclass
class MiniProject:
    root: Path
    warehouse: Path
    project: Project
    views: dict[str, OracleView]
    spine: list[dict[str, Any]]

    def spine_table(self) -> pa.Table:
        return pa.Table.from_pylist(self.spine)


def _minutes(rng: random.Random) -> datetime:
    return BASE + timedelta(minutes=rng.randrange(0, 60 * 24 * 4, 30))


def _view_rows(rng: random.Random, keys: dict[str, int], count: int,
               features: dict[str, Any]) -> list[dict[str, Any]]:
    rows, seen = [], set()
    while len(rows) < count:
        row = {key: rng.randint(1, top) for key, top in keys.items()}
        row["event_at"] = _minutes(rng)
        row["created_at"] = row["event_at"] + timedelta(minutes=rng.choice([0, 5, 60]))
        identity = (*(row[k] for k in keys), row["event_at"], row["created_at"])
        if identity in seen:
            continue
        seen.add(identity)
        rows.append(row | {name: make(rng) for name, make in features.items()})
    return rows


def build_mini_project(root: Path, seed: int = 7) -> MiniProject:
    rng = random.Random(seed)
    views = {
        "user_stats": OracleView(
            "user_stats", ["user_id"], "event_at", ["spend", "visits"],
            _view_rows(rng, {"user_id": 6}, 120, {"spend": lambda r: round(r.random(), 3),
                                                  "visits": lambda r: r.randint(0, 9)}),
            created_timestamp="created_at", ttl=timedelta(days=2)),
        "merchant_risk": OracleView(
            "merchant_risk", ["merchant_id"], "event_at", ["risk", "spend"],
            _view_rows(rng, {"merchant_id": 4}, 40, {"risk": lambda r: round(r.random(), 3),
                                                     "spend": lambda r: float(r.randint(1, 5))})),
        "pair_affinity": OracleView(
            "pair_affinity", ["user_id", "merchant_id"], "event_at", ["affinity"],
            _view_rows(rng, {"user_id": 6, "merchant_id": 4}, 80,
                       {"affinity": lambda r: round(r.random(), 3)}),
            ttl=timedelta(days=1)),
    }
    spine = [{"user_id": rng.randint(1, 7), "merchant_id": rng.randint(1, 5),
              "event_timestamp": _minutes(rng) + timedelta(hours=12),
              "label": rng.random() < 0.3} for _ in range(150)]
    spine += [dict(row) for row in rng.sample(spine, 10)]  # duplicate rows
    rng.shuffle(spine)

    root.mkdir(parents=True, exist_ok=True)
    warehouse = root / "dev.duckdb"
    builder = ManifestBuilder("mini", database="dev")
    with duckdb.connect(str(warehouse)) as conn:
        for view in views.values():
            columns = {key: "bigint" for key in view.entities} | {"event_at": "timestamp"}
            table = {name: [row[name] for row in view.rows] for name in [*columns,
                                                                         *view.features]}
            if view.created_timestamp:
                columns["created_at"] = "timestamp"
                table["created_at"] = [row["created_at"] for row in view.rows]
            columns |= {f: ("bigint" if f == "visits" else "double") for f in view.features}
            conn.register("rows", pa.table(table))
            conn.execute(f"create table {view.name} as select * from rows")
            conn.unregister("rows")
            block = {"ttl": f"{int(view.ttl.total_seconds() // 60)}m" if view.ttl else None,
                     "created_timestamp": view.created_timestamp}
            builder.feature_view(view.name, entities=view.entities, block=block,
                                 columns=columns, tests=False)
        conn.register("rows", pa.Table.from_pylist(spine))
        conn.execute("create table labels as select * from rows")
    builder.feature_view("ghost", entities=["user_id"], features={"boo": "double"}, tests=False)
    builder.model("labels", materialized="table",
                  columns={"user_id": "bigint", "merchant_id": "bigint",
                           "event_timestamp": "timestamp", "label": "boolean"})
    builder.exposure("scorer", depends_on=list(views),
                     meta={"featureops": {"features": ["user_stats", "merchant_risk:risk",
                                                       "pair_affinity"]}})
    manifest = root / "target" / "manifest.json"
    manifest.parent.mkdir()
    manifest.write_text(json.dumps(builder.build()))
    return MiniProject(root, warehouse, Project.locate(root, manifest), views, spine)


@pytest.fixture(scope="module")
def mini_project(tmp_path_factory: pytest.TempPathFactory) -> MiniProject:
    return build_mini_project(tmp_path_factory.mktemp("mini_project"))
