"""The point-in-time join macro against the brute-force oracle, on random data.

Every implementation is checked row for row: DuckDB's ASOF form, Postgres's sort-based form,
and the portable lateral form (which `exclude_created_after` uses everywhere) on both
engines. The data is drawn on a coarse minute grid so that ties between view rows, between
view and spine timestamps, and rows exactly at the ttl boundary are common; it also has
nulls, spine rows before any view row, entities without view rows, duplicate spine rows,
composite keys, several views, and time-zone-aware timestamps on either side.
"""

from __future__ import annotations

import functools
from datetime import datetime, timedelta, timezone
from typing import Any

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from featureops.engines.duckdb_engine import DuckDBEngine
from featureops.engines.postgres_engine import PostgresEngine
from featureops.offline.macros import MacroRenderer, quote_identifier
from featureops.offline.staged import staged_join
from tests.unit.offline.oracle import OracleView, point_in_time

BASE = datetime(2026, 3, 29, 0, 30)  # a European DST night: local clocks must not matter
SPINE_TS = "event_timestamp"
ZONES = [None, timezone.utc, timezone(timedelta(hours=5, minutes=30)),
         timezone(timedelta(hours=-8))]
KEYS = st.integers(1, 4)


def at(minute: int | None, tz: timezone | None = None) -> datetime | None:
    if minute is None:
        return None
    value = BASE + timedelta(minutes=minute)
    return value if tz is None else value.replace(tzinfo=timezone.utc).astimezone(tz)


@st.composite
def views(draw: st.DrawFn, index: int) -> OracleView:
    entities = draw(st.sampled_from([["user_id"], ["merchant_id"], ["user_id", "merchant_id"]]))
    created = draw(st.booleans())
    aware = draw(st.booleans())
    tz = timezone.utc if aware else None
    rows, seen = [], set()
    for _ in range(draw(st.integers(0, 14))):
        row = {key: draw(KEYS) for key in entities}
        row["ts"] = at(draw(st.integers(0, 12)), tz)
        row["created"] = at(draw(st.none() | st.integers(0, 16)), tz) if created else None
        row["f_int"] = draw(st.none() | st.integers(-5, 5))
        row["f_text"] = draw(st.none() | st.sampled_from(["a", "b", ""]))
        # (keys, ts, created) is the view's grain; duplicates of it have no defined winner.
        identity = (*(row[k] for k in entities), row["ts"], row["created"])
        if identity not in seen:
            seen.add(identity)
            rows.append(row)
    ttl = draw(st.none() | st.integers(1, 6))
    name = f"view_{index}"
    return OracleView(
        name=name, entities=entities, timestamp="ts", features=["f_int", "f_text"], rows=rows,
        created_timestamp="created" if created else None,
        ttl=None if ttl is None else timedelta(minutes=ttl),
        aliases={"f_int": f"{name}__f_int", "f_text": f"{name}__f_text"},
    )


@st.composite
def scenarios(draw: st.DrawFn) -> dict[str, Any]:
    chosen = [draw(views(i)) for i in range(draw(st.integers(1, 3)))]
    tz = draw(st.sampled_from(ZONES))
    spine = []
    for _ in range(draw(st.integers(0, 12))):
        spine.append({
            "user_id": draw(st.none() | KEYS) if draw(st.booleans()) else draw(KEYS),
            "merchant_id": draw(KEYS),
            SPINE_TS: at(draw(st.integers(-2, 16)), tz) if draw(st.integers(0, 20)) else None,
            "label": draw(st.booleans()),
        })
    spine += [dict(row) for row in draw(st.lists(st.sampled_from(spine), max_size=3))
              ] if spine else []
    for position, row in enumerate(spine):
        row["row_id"] = position
    return {"views": chosen, "spine": spine, "tz": tz,
            "exclusive": draw(st.booleans()), "exclude_created_after": draw(st.booleans())}


def spine_table(rows: list[dict[str, Any]], tz: timezone | None) -> pa.Table:
    tz_name = None if tz is None else ("UTC" if tz is timezone.utc else _offset(tz))
    return pa.table({
        "row_id": pa.array([r["row_id"] for r in rows], pa.int64()),
        "user_id": pa.array([r["user_id"] for r in rows], pa.int64()),
        "merchant_id": pa.array([r["merchant_id"] for r in rows], pa.int64()),
        SPINE_TS: pa.array([r[SPINE_TS] for r in rows], pa.timestamp("us", tz=tz_name)),
        "label": pa.array([r["label"] for r in rows], pa.bool_()),
    })


def view_table(view: OracleView) -> pa.Table:
    aware = any(r["ts"] is not None and r["ts"].tzinfo for r in view.rows)
    stamp = pa.timestamp("us", tz="UTC" if aware else None)
    columns = {key: pa.array([r[key] for r in view.rows], pa.int64()) for key in view.entities}
    columns["ts"] = pa.array([r["ts"] for r in view.rows], stamp)
    columns["created"] = pa.array([r["created"] for r in view.rows], stamp)
    columns["f_int"] = pa.array([r["f_int"] for r in view.rows], pa.int64())
    columns["f_text"] = pa.array([r["f_text"] for r in view.rows], pa.string())
    return pa.table(columns)


def _offset(tz: timezone) -> str:
    minutes = int(tz.utcoffset(None).total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def descriptors(chosen: list[OracleView]) -> list[dict[str, Any]]:
    return [{
        "name": view.name, "relation": quote_identifier(view.name), "entities": view.entities,
        "timestamp": view.timestamp, "created_timestamp": view.created_timestamp,
        "ttl": None if view.ttl is None else f"{int(view.ttl.total_seconds() // 60)}m",
        "features": [{"column": f, "alias": view.alias(f)} for f in view.features],
    } for view in chosen]


@functools.cache
def renderer(dialect: str) -> MacroRenderer:
    return MacroRenderer(dialect)


def run_join(engine: Any, dialect: str, scenario: dict[str, Any]) -> list[dict[str, Any]]:
    engine.register("spine", spine_table(scenario["spine"], scenario["tz"]))
    for view in scenario["views"]:
        engine.register(view.name, view_table(view))
    spine_columns = ["row_id", "user_id", "merchant_id", SPINE_TS, "label"]
    if dialect == "staged":  # the Python API's DuckDB plan: one view per statement
        staged = staged_join(renderer("duckdb"), "spine", "row_id", SPINE_TS,
                             descriptors(scenario["views"]), spine_columns,
                             exclusive=scenario["exclusive"],
                             exclude_created_after=scenario["exclude_created_after"])
        for name, query in staged.steps:
            engine.materialize(name, query)
        return engine.to_arrow(staged.sql).to_pylist()
    sql = renderer(dialect).render(
        "point_in_time_join", "spine", SPINE_TS, descriptors(scenario["views"]),
        spine_columns=spine_columns,
        order_by='__fo_spine."row_id"', exclusive=scenario["exclusive"],
        exclude_created_after=scenario["exclude_created_after"])
    return engine.to_arrow(sql).to_pylist()


def expected(scenario: dict[str, Any]) -> list[dict[str, Any]]:
    return point_in_time(scenario["spine"], SPINE_TS, scenario["views"],
                         exclusive=scenario["exclusive"],
                         exclude_created_after=scenario["exclude_created_after"])


def assert_matches(actual: list[dict[str, Any]], scenario: dict[str, Any]) -> None:
    wanted = expected(scenario)
    assert [row["row_id"] for row in actual] == [row["row_id"] for row in wanted]
    features = [view.alias(f) for view in scenario["views"] for f in view.features]
    assert list(actual[0]) == ["row_id", "user_id", "merchant_id", SPINE_TS, "label",
                               *features] if actual else True
    for got, want in zip(actual, wanted, strict=True):
        assert {f: got[f] for f in features} == {f: want[f] for f in features}, (got, want)


PROPERTY_SETTINGS = settings(max_examples=120, deadline=None,
                             suppress_health_check=[HealthCheck.too_slow,
                                                    HealthCheck.function_scoped_fixture])


@pytest.fixture(scope="module")
def duckdb_engine():
    engine = DuckDBEngine(None)
    yield engine
    engine.close()


@pytest.fixture(scope="module")
def postgres_engine():
    from tests.services import require_postgres

    engine = PostgresEngine(require_postgres())
    yield engine
    engine.close()


@pytest.mark.parametrize("dialect", ["duckdb", "default", "staged"])
@PROPERTY_SETTINGS
@given(scenario=scenarios())
def test_duckdb_matches_oracle(duckdb_engine, dialect: str, scenario: dict[str, Any]) -> None:
    assert_matches(run_join(duckdb_engine, dialect, scenario), scenario)


@pytest.mark.postgres
@pytest.mark.parametrize("dialect", ["postgres", "default"])
@PROPERTY_SETTINGS
@given(scenario=scenarios())
def test_postgres_matches_oracle(postgres_engine, dialect: str,
                                 scenario: dict[str, Any]) -> None:
    assert_matches(run_join(postgres_engine, dialect, scenario), scenario)
