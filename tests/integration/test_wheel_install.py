"""The product as a user gets it (the proof of issue #10): the wheel built from this
checkout, installed (not editable) into a fresh virtualenv outside it, then used as the docs
say. `featureops init` makes a starter on which dbt deps, dbt build and the featureops
commands work at once, on DuckDB and on Postgres through a profile target; `featureops init
--existing` adopts featureops in a hand-written dbt project of another domain. Values are
checked against independent computations on the seed data, not against featureops."""

from __future__ import annotations

import csv
import json
import os
import random
import signal
import subprocess
import time
import urllib.request
import uuid
from bisect import bisect_left
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import duckdb
import pytest

from featureops.package import package_dir
from tests.conftest import edit_file
from tests.integration.online_support import free_port
from tests.integration.wheel_support import Installed, build_wheel, install, wheel_files

pytestmark = pytest.mark.slow

VIEW = "feat_customer__order_windows"
FEATURES = ("order_count_7d", "amount_sum_7d", "amount_avg_7d", "order_count_30d",
            "amount_sum_30d", "amount_max_30d")
TRAINING_SET = ("--spine", "train_return_model__spine", "--exposure", "return_model",
                "--timestamp-column", "event_at", "--out", "data/training/return_model.parquet")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    built = build_wheel(tmp_path_factory.mktemp("dist"))
    files = wheel_files(built)
    shipped = {f"featureops/{path.relative_to(package_dir().parent).as_posix()}"
               for path in package_dir().rglob("*") if path.is_file()}
    assert shipped and shipped <= files, sorted(shipped - files)
    assert {"featureops/py.typed", "featureops/init/templates/starter/gitignore",
            "featureops/init/templates/starter/dbt_project.yml"} <= files
    assert not [name for name in files if "__pycache__" in name or name.startswith("tests/")]
    return built


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Installed:
    venv = install(wheel, tmp_path_factory.mktemp("installed"))
    where = venv.run("python", "-c", "import featureops, featureops.package as p; "
                     "print(featureops.__file__); print(p.package_dir())", cwd=venv.home)
    module, shipped = where.stdout.split()
    assert module.startswith(str(venv.venv)) and shipped.startswith(str(venv.venv))
    return venv


# -- the starter ------------------------------------------------------------------------


@dataclass(frozen=True)
class Order:
    order_id: int
    customer_id: int
    ordered_at: datetime
    amount: float


def _orders(project: Path) -> list[Order]:
    with (project / "seeds" / "raw_orders.csv").open(encoding="utf-8", newline="") as handle:
        return [Order(int(row["order_id"]), int(row["customer_id"]),
                      datetime.fromisoformat(row["ordered_at"]), float(row["amount"]))
                for row in csv.DictReader(handle)]


def _returns(project: Path) -> dict[int, datetime]:
    with (project / "seeds" / "raw_returns.csv").open(encoding="utf-8", newline="") as handle:
        return {int(row["order_id"]): datetime.fromisoformat(row["returned_at"])
                for row in csv.DictReader(handle)}


class OrderWindows:
    """The feature view recomputed in Python from the seed: aggregates over the customer's
    orders in [t - window, t), t excluded."""

    def __init__(self, orders: list[Order]) -> None:
        self.by_customer: dict[int, list[Order]] = defaultdict(list)
        for order in sorted(orders, key=lambda o: o.ordered_at):
            self.by_customer[order.customer_id].append(order)

    def at(self, customer_id: int, t: datetime) -> dict[str, Any]:
        orders = self.by_customer[customer_id]
        times = [order.ordered_at for order in orders]

        def window(days: int) -> list[float]:
            start = bisect_left(times, t - timedelta(days=days))
            return [order.amount for order in orders[start:bisect_left(times, t)]]

        week, month = window(7), window(30)
        return {"order_count_7d": len(week), "amount_sum_7d": sum(week),
                "amount_avg_7d": sum(week) / len(week) if week else None,
                "order_count_30d": len(month), "amount_sum_30d": sum(month),
                "amount_max_30d": max(month) if month else None}

    def latest(self, customer_id: int) -> tuple[datetime, dict[str, Any]]:
        last = self.by_customer[customer_id][-1].ordered_at
        return last, self.at(customer_id, last)


def _same(actual: dict[str, Any], expected: dict[str, Any]) -> None:
    assert actual.keys() == expected.keys()
    for name, value in expected.items():
        assert actual[name] == (pytest.approx(value, rel=1e-9) if value is not None else None), (
            name, actual[name], value)


def _looked_up(installed: Installed, project: Path, env: dict[str, str],
               customer_id: int) -> dict[str, Any]:
    done = installed.run("featureops", "lookup", "-f", VIEW, "--entity",
                         f"customer_id={customer_id}", "--json", cwd=project, env=env)
    (row,) = json.loads(done.stdout)
    features = row["features"]
    assert {value["status"] for value in features.values()} == {"present"}
    return {ref.split(":", 1)[1]: value["value"] for ref, value in features.items()}


def _check_training_set(project: Path, windows: OrderWindows) -> None:
    """Every mature order, its label from the returns seed, its features as of the order."""
    orders, returns = _orders(project), _returns(project)
    cutoff = max(order.ordered_at for order in orders) - timedelta(days=14)
    mature = {order.order_id: order for order in orders if order.ordered_at <= cutoff}
    with duckdb.connect() as conn:
        result = conn.execute(
            "select * from read_parquet(?) order by order_id",
            [str(project / "data" / "training" / "return_model.parquet")])
        columns = [column[0] for column in result.description]
        rows = [dict(zip(columns, row, strict=True)) for row in result.fetchall()]
    assert columns == ["order_id", "customer_id", "event_at", "is_returned", *FEATURES]
    assert [row["order_id"] for row in rows] == sorted(mature)
    for row in random.Random(1).sample(rows, 300):
        order = mature[row["order_id"]]
        returned = returns.get(order.order_id)
        assert row["is_returned"] == (returned is not None
                                      and returned < order.ordered_at + timedelta(days=14))
        _same({name: row[name] for name in FEATURES},
              windows.at(order.customer_id, order.ordered_at))


def _run_starter(installed: Installed, workdir: Path, env: dict[str, str]) -> Path:
    """init, then dbt deps, dbt build, validate, training-set and materialize; the starter's
    folder."""
    installed.run("featureops", "init", "proj", cwd=workdir, env=env)
    project = workdir / "proj"
    installed.run("dbt", "deps", cwd=project, env=env)
    installed.run("dbt", "build", cwd=project, env=env)
    validated = installed.run("featureops", "validate", cwd=project, env=env).stdout
    assert "1 feature view(s), 1 feature service(s), 1 training set(s): 0 error(s), " \
           "0 warning(s)" in validated
    installed.run("featureops", "training-set", *TRAINING_SET, cwd=project, env=env)
    installed.run("featureops", "materialize", "--quiet", cwd=project, env=env)
    return project


def _monitor(installed: Installed, project: Path, env: dict[str, str]) -> None:
    summary = json.loads(installed.run("featureops", "monitor", "--json", cwd=project,
                                       env=env).stdout)
    (table,) = summary["tables"]
    assert table["table"] == VIEW and table["checks"]["freshness"] == "ok"
    assert summary["level"] in {"ok", "warning"}, summary["findings"]


def test_starter_on_duckdb(installed: Installed, tmp_path: Path) -> None:
    env = installed.env()
    project = _run_starter(installed, tmp_path, env)
    windows = OrderWindows(_orders(project))
    _check_training_set(project, windows)
    last, expected = windows.latest(1)
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    assert last > now - timedelta(days=30)  # within ttl: online
    looked_up = _looked_up(installed, project, env, 1)
    _same(looked_up, expected)
    assert _served(installed, project, env) == looked_up
    _monitor(installed, project, env)


def _served(installed: Installed, project: Path, env: dict[str, str]) -> dict[str, Any]:
    """customer 1's features from `featureops serve` (POST /features); the served request is
    in the serving log once the server stopped."""
    port = free_port()
    server = subprocess.Popen([str(installed.bin / "featureops"), "serve", "--port", str(port)],
                              cwd=project, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True)
    try:
        base = f"http://127.0.0.1:{port}"
        _wait_for(f"{base}/health", server)
        request = urllib.request.Request(
            f"{base}/features", method="POST", headers={"content-type": "application/json"},
            data=json.dumps({"exposure": "return_model",
                             "entities": {"customer_id": [1]}}).encode())
        with urllib.request.urlopen(request, timeout=10) as response:
            body = json.loads(response.read())
    finally:
        server.send_signal(signal.SIGINT)
        output = server.communicate(timeout=30)[0]
    assert server.returncode == 0, output
    assert list((project / "data" / "serving_log").glob("*.parquet")), output
    names = body["metadata"]["feature_names"][1:]
    assert [result["statuses"] for result in body["results"][1:]] == [["present"]] * len(names)
    return {name.split(":", 1)[1]: result["values"][0]
            for name, result in zip(names, body["results"][1:], strict=True)}


def _wait_for(url: str, server: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert server.poll() is None, server.communicate()[0]
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise AssertionError(f"featureops serve did not answer {url} within 60 s")


def test_starter_on_postgres(installed: Installed, tmp_path: Path) -> None:
    from tests.services import require_postgres

    dsn = require_postgres()
    schema = f"featureops_wheel_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    env = installed.env(
        DBT_TARGET="postgres", FEATUREOPS_PG_HOST=str(dsn["host"]),
        FEATUREOPS_PG_PORT=str(dsn["port"]), FEATUREOPS_PG_USER=str(dsn["user"]),
        FEATUREOPS_PG_DATABASE=str(dsn["dbname"]), FEATUREOPS_PG_SCHEMA=schema,
        DBT_ENV_SECRET_PG_PASSWORD=str(dsn.get("password") or ""))
    try:
        project = _run_starter(installed, tmp_path, env)
        assert not (project / "warehouse.duckdb").exists()  # everything went to Postgres
        windows = OrderWindows(_orders(project))
        _check_training_set(project, windows)
        _same(_looked_up(installed, project, env, 1), windows.latest(1)[1])
        _monitor(installed, project, env)
    finally:
        _drop_schemas(dsn, schema)


def _drop_schemas(dsn: dict[str, Any], prefix: str) -> None:
    """The build's schema and any schema dbt derived from it (``<schema>_<custom>``)."""
    import psycopg2
    from psycopg2 import sql

    conn = psycopg2.connect(**dsn)
    try:
        with conn, conn.cursor() as cursor:
            cursor.execute("select nspname from pg_namespace where nspname = %s "
                           "or nspname like %s", (prefix, f"{prefix}\\_%"))
            for (name,) in cursor.fetchall():
                cursor.execute(sql.SQL("drop schema {} cascade").format(sql.Identifier(name)))
    finally:
        conn.close()


# -- init --existing on another domain ----------------------------------------------------

END_TIME = "2026-02-01 12:00:00"
RIDES_PROJECT = """\
# The ride-hailing team's dbt project: trips and drivers, daily driver stats.
name: rides
version: "1.0.0"
config-version: 2
profile: rides

model-paths: ["models"]
seed-paths: ["seeds"]

models:
  rides:
    +materialized: table

seeds:
  rides:
    trips:
      +column_types:
        trip_id: bigint
        driver_id: bigint
        started_at: timestamp
        fare: double precision
        distance_km: double precision
"""
RIDES_PROFILE = """\
rides:
  target: dev
  outputs:
    dev:
      type: duckdb
      path: rides.duckdb
      threads: 1
"""
DAILY_STATS_SQL = """\
with

trips as (

    select * from {{ ref('stg_trips') }}

),

daily as (

    select
        driver_id,
        -- a day's stats are complete, and usable, once the day is over
        cast(date_trunc('day', started_at) as timestamp) + interval 1 day as stats_at,
        count(*) as trip_count,
        sum(fare) as fare_sum,
        avg(distance_km) as distance_km_avg
    from trips
    group by 1, 2

)

select * from daily
"""
MODELS_YML = """\
version: 2

models:
  - name: stg_trips
    description: Trips, one row each.

  - name: driver_daily_stats
    description: Each driver's trips of a day, as of the end of the day.
    columns:
      - name: driver_id
      - name: stats_at
      - name: trip_count
      - name: fare_sum
      - name: distance_km_avg
"""
# What the user adds after `featureops init --existing` (docs/adopting.md).
FEATURE_VIEW_YML = """\
    description: Each driver's trips of a day, as of the end of the day.
    config:
      contract: {enforced: true}
      meta:
        featureops:
          kind: feature_view
          entities: [driver_id]
          timestamp: stats_at
          ttl: 30d
          online: true
    columns:
      - {name: driver_id, data_type: bigint}
      - {name: stats_at, data_type: timestamp}
      - {name: trip_count, data_type: bigint}
      - {name: fare_sum, data_type: double}
      - {name: distance_km_avg, data_type: double}
"""


def _rides_project(root: Path) -> Path:
    """The hand-written project, with January 2026 of trips for 12 drivers."""
    rng = random.Random(20260101)
    root.mkdir()
    (root / "dbt_project.yml").write_text(RIDES_PROJECT)
    (root / "profiles.yml").write_text(RIDES_PROFILE)
    (root / "seeds").mkdir()
    (root / "models").mkdir()
    rows, trip_id = [], 1
    for day in range(31):
        for driver_id in range(1, 13):
            for _ in range(rng.randint(0 if driver_id % 4 else 1, 6)):
                started = datetime(2026, 1, 1) + timedelta(days=day,
                                                           seconds=rng.randint(0, 86_399))
                rows.append((trip_id, driver_id, started, round(rng.uniform(4, 60), 2),
                             round(rng.uniform(0.5, 30), 1)))
                trip_id += 1
    with (root / "seeds" / "trips.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["trip_id", "driver_id", "started_at", "fare", "distance_km"])
        writer.writerows((t, d, s.strftime("%Y-%m-%d %H:%M:%S"), f, k)
                         for t, d, s, f, k in rows)
    (root / "seeds" / "drivers.csv").write_text(
        "driver_id,city\n" + "".join(f"{d},{'lisbon' if d % 2 else 'porto'}\n"
                                     for d in range(1, 13)))
    (root / "models" / "stg_trips.sql").write_text(
        "select trip_id, driver_id, started_at, fare, distance_km\nfrom {{ ref('trips') }}\n")
    (root / "models" / "driver_daily_stats.sql").write_text(DAILY_STATS_SQL)
    (root / "models" / "_models.yml").write_text(MODELS_YML)
    return root


def _daily_stats_oracle(trips_csv: Path, driver_id: int, at: str) -> tuple[Any, ...]:
    """The driver's stats of the latest day complete at ``at``, straight from the seed."""
    with duckdb.connect() as conn:
        return conn.execute("""
            with

            trips as (
                select * from read_csv(?, header = true,
                                       timestampformat = '%Y-%m-%d %H:%M:%S')
                where driver_id = ?
            ),

            days as (
                select cast(started_at as date) as day, count(*) as trip_count,
                    sum(fare) as fare_sum, avg(distance_km) as distance_km_avg
                from trips
                group by 1
            )

            select trip_count, fare_sum, distance_km_avg
            from days
            where day + 1 <= cast(? as timestamp)
            order by day desc
            limit 1
        """, [str(trips_csv), driver_id, at]).fetchone()


def test_init_existing_on_a_ride_hailing_project(installed: Installed, tmp_path: Path) -> None:
    project = _rides_project(tmp_path / "rides")
    env = installed.env()
    models_before = {p.name: p.read_bytes() for p in (project / "models").iterdir()}
    first = installed.run("featureops", "init", "--existing", cwd=project, env=env).stdout
    assert "changed packages.yml" in first and "dbt deps" in first
    again = installed.run("featureops", "init", "--existing", cwd=project, env=env).stdout
    assert "Nothing to change" in again
    assert {p.name: p.read_bytes() for p in (project / "models").iterdir()} == models_before
    edit_file(project / "models" / "_models.yml", MODELS_YML[MODELS_YML.index(
        "    description: Each driver"):], FEATURE_VIEW_YML)

    for step in (("dbt", "deps"), ("dbt", "build")):
        installed.run(*step, cwd=project, env=env)
    validated = installed.run("featureops", "validate", cwd=project, env=env).stdout
    assert "1 feature view(s)" in validated and "0 error(s)" in validated

    trips = project / "seeds" / "trips.csv"
    spine = [(3, "2026-01-15 12:00:00"), (5, "2026-01-20 08:30:00"), (4, "2026-01-02 00:00:00")]
    with duckdb.connect() as conn:
        conn.execute("create table spine (driver_id bigint, event_at timestamp)")
        conn.executemany("insert into spine values (?, cast(? as timestamp))", spine)
        conn.execute(f"copy spine to '{tmp_path / 'spine.parquet'}' (format parquet)")
    installed.run("featureops", "training-set", "--spine", str(tmp_path / "spine.parquet"),
                  "--features", "driver_daily_stats", "--timestamp-column", "event_at",
                  "--out", str(tmp_path / "train.parquet"), cwd=project, env=env)
    with duckdb.connect() as conn:
        joined = conn.execute(f"""select trip_count, fare_sum, distance_km_avg
                                  from read_parquet('{tmp_path / 'train.parquet'}')""").fetchall()
    assert len(joined) == len(spine)
    for row, (driver_id, at) in zip(joined, spine, strict=True):
        assert row == pytest.approx(_daily_stats_oracle(trips, driver_id, at), rel=1e-9)

    installed.run("featureops", "materialize", "--end-time", END_TIME, "--quiet", cwd=project,
                  env=env)
    done = installed.run("featureops", "lookup", "-f", "driver_daily_stats", "--entity",
                         "driver_id=3", "--as-of", END_TIME, "--json", cwd=project, env=env)
    (row,) = json.loads(done.stdout)
    features = row["features"]
    assert {value["status"] for value in features.values()} == {"present"}
    looked_up = tuple(features[f"driver_daily_stats:{name}"]["value"]
                      for name in ("trip_count", "fare_sum", "distance_km_avg"))
    assert looked_up == pytest.approx(_daily_stats_oracle(trips, 3, END_TIME), rel=1e-9)
