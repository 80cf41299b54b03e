"""The Spark engine of a dbt-spark ``thrift`` target, against a real Spark Thrift Server
started for this module on a spare loopback port (PySpark's own HiveThriftServer2, with a
private warehouse and metastore) and stopped by its pid: typed results, streamed batches,
uploads, declared columns, one-line errors.

Skipped when Java, PySpark or PyHive is missing; a failure under
FEATUREOPS_REQUIRE_SERVICES=1.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pytest

from featureops.engines import WarehouseError
from tests.integration.online_support import free_port

START_TIMEOUT_S = 180


def _problem() -> str | None:
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        return "no Java runtime for Spark (apt-get install openjdk-17-jre-headless)"
    for module, extra in (("pyspark", "spark"), ("pyhive.hive", "spark-thrift")):
        try:
            __import__(module)
        except ImportError:
            return f"{module} is not installed (pip install 'featureops[{extra}]')"
    return None


@pytest.fixture(scope="module")
def thrift_port(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    problem = _problem()
    if problem:
        if os.environ.get("FEATUREOPS_REQUIRE_SERVICES") == "1":
            pytest.fail(f"{problem} (FEATUREOPS_REQUIRE_SERVICES=1, so this is a failure)")
        pytest.skip(problem)
    import pyspark

    root = tmp_path_factory.mktemp("thrift")
    port = free_port()
    submit = Path(pyspark.__file__).parent / "bin" / "spark-submit"
    command = [str(submit), "--master", "local[1]", "--class",
               "org.apache.spark.sql.hive.thriftserver.HiveThriftServer2",
               "--conf", f"spark.sql.warehouse.dir={root / 'warehouse'}",
               "--conf", "spark.ui.enabled=false", "--conf", "spark.sql.shuffle.partitions=2",
               "--conf", f"spark.driver.extraJavaOptions=-Dderby.system.home={root}",
               "--hiveconf", f"hive.server2.thrift.port={port}",
               "--hiveconf", "hive.server2.thrift.bind.host=127.0.0.1",
               "--hiveconf", "javax.jdo.option.ConnectionURL=jdbc:derby:;databaseName="
                             f"{root / 'metastore_db'};create=true",
               "spark-internal"]
    with (root / "server.log").open("wb") as log:
        # spark-submit execs the JVM, so this pid is the server's
        server = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, cwd=root)
    try:
        _wait_ready(port, server, root / "server.log")
        yield port
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def _wait_ready(port: int, server: subprocess.Popen, log: Path) -> None:
    from pyhive import hive

    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"the Spark Thrift server exited: {log.read_text()[-2000:]}")
        try:
            hive.connect(host="127.0.0.1", port=port, username="test").close()
            return
        except Exception:  # noqa: BLE001 - not listening yet: thrift/socket errors
            time.sleep(1)
    pytest.fail(f"the Spark Thrift server did not answer within {START_TIMEOUT_S} s")


@pytest.fixture(scope="module")
def engine(thrift_port: int):
    from featureops.engines.spark_thrift import SparkThriftEngine

    opened = SparkThriftEngine({"host": "127.0.0.1", "port": thrift_port, "user": "test",
                                "schema": "default"}, source="test target")
    yield opened
    opened.close()


QUERY = ("select id, cast(id as double) / 4 as quarter, cast(id as decimal(10, 2)) as money, "
         "timestamp_seconds(id) as at, date_add(date'2026-01-01', cast(id as int)) as day, "
         "array(cast(id as double), 0.5) as pair, case when id % 2 = 0 then 'even' end as name "
         "from range(2500) order by id")


def test_results_are_typed_from_the_plan(engine) -> None:
    table = engine.to_arrow(QUERY)
    assert table.schema == pa.schema([
        ("id", pa.int64()), ("quarter", pa.float64()), ("money", pa.decimal128(10, 2)),
        ("at", pa.timestamp("us", tz="UTC")), ("day", pa.date32()),
        ("pair", pa.list_(pa.float64())), ("name", pa.string())])
    row = table.slice(7, 1).to_pylist()[0]
    assert row["quarter"] == 1.75 and row["money"] == Decimal("7.00")
    assert row["at"].replace(tzinfo=None) == datetime(1970, 1, 1, 0, 0, 7)
    assert row["day"] == date(2026, 1, 8) and row["pair"] == [7.0, 0.5]
    assert row["name"] is None and table.column("name")[8].as_py() == "even"


def test_batches_hold_at_most_batch_size_rows_in_order(engine) -> None:
    batches = list(engine.batches(QUERY, 1000))
    assert [b.num_rows for b in batches] == [1000, 1000, 500]
    assert pa.Table.from_batches(batches).column("id").to_pylist() == list(range(2500))


def test_an_uploaded_spine_reads_back(engine) -> None:
    spine = pa.table({"user_id": pa.array([1, None, 3], pa.int64()),
                      "at": pa.array([datetime(2026, 3, 29, 1, 30), None,
                                      datetime(2026, 10, 25, 2, 30)], pa.timestamp("us")),
                      "note": ["a", "it's \\ odd", None], "score": [0.5, float("nan"), None]})
    engine.register("spine_upload", spine)
    back = engine.to_arrow(f"select * from {engine.quote('spine_upload')}")
    assert back.column("user_id").to_pylist() == [1, None, 3]
    assert back.column("note").to_pylist() == ["a", "it's \\ odd", None]
    assert [t and t.replace(tzinfo=None) for t in back.column("at").to_pylist()] == [
        datetime(2026, 3, 29, 1, 30), None, datetime(2026, 10, 25, 2, 30)]
    scores = back.column("score").to_pylist()
    assert scores[0] == 0.5 and scores[1] != scores[1] and scores[2] is None
    engine.register("empty_upload", spine.slice(0, 0))
    assert engine.to_arrow("select * from empty_upload").num_rows == 0


def test_columns_and_errors(engine) -> None:
    cursor = engine.conn.cursor()
    cursor.execute("create table if not exists default.orders (id bigint, total "
                   "decimal(10, 2)) using parquet")
    cursor.close()
    assert engine.columns("default", "orders") == [("id", "bigint"),
                                                   ("total", "decimal(10,2)")]
    assert engine.columns("default", "missing") == []
    with pytest.raises(WarehouseError) as error:
        engine.to_arrow("select nope from range(1)")
    assert "\n" not in str(error.value)
    assert str(error.value).startswith("Spark Thrift server 127.0.0.1:")
