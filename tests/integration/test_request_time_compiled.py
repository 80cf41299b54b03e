"""The compiled evaluator on the dbt-built example: feat_transaction__context is served by
it (its guard ran on dbt's input rows and found every float bit-for-bit equal), it returns
dbt's rows for every transaction, and it answers on the event loop, where the DuckDB path
goes to a worker thread."""

from __future__ import annotations

import asyncio

import duckdb
import pyarrow as pa
import pytest

from featureops.catalog import FeatureCatalog
from featureops.online.sdk import OnlineFeatureClient
from featureops.project import Project
from featureops.request_time.executor import RequestTimeExecutor
from featureops.request_time.inputs import request_table
from featureops.request_time.lookups import WarehouseLookups
from tests.integration.online_support import END, sqlite_store

pytestmark = pytest.mark.slow

VIEW = "feat_transaction__context"


@pytest.fixture(scope="module")
def project(duckdb_build):
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("FEATUREOPS_DUCKDB_PATH", str(duckdb_build.duckdb_path))
        yield Project.locate(duckdb_build.project_dir, duckdb_build.manifest_path)


@pytest.fixture(scope="module")
def executor(project):
    view = FeatureCatalog.from_manifest(project.manifest).view(VIEW)
    fields = view.spec.request_time.fields
    schema = request_table(fields, {n: [] for n in fields},
                           {"home_country_code": (pa.string(), [])}).schema
    made = RequestTimeExecutor(view.model, view.spec, project.manifest,
                               WarehouseLookups(project), schema)
    yield made
    made.close()


def test_the_example_is_compiled_and_checked_on_dbt_rows(executor) -> None:
    assert (executor.engine, executor.reason) == ("compiled", "")
    assert executor.checked_rows >= 1000  # the 1,000 dbt rows sampled, plus synthetic ones
    assert executor.inexact == 0  # sin/cos/hour/isodow: the same libm, the same doubles


def test_compiled_values_equal_dbt_for_every_transaction(executor, duckdb_build) -> None:
    with duckdb.connect(str(duckdb_build.duckdb_path), read_only=True) as conn:
        inputs = conn.sql("select * from int_transactions__requests "
                          "order by transaction_id").to_arrow_table()
        built = conn.execute(f"select * from {VIEW} order by transaction_id").fetchall()
        names = [d[0] for d in conn.description]
    assert len(built) == inputs.num_rows > 10_000
    columns = {name: inputs.column(name).to_pylist() for name in inputs.column_names}
    out = executor.run_columns(columns)
    assert list(out) == names
    served = sorted(zip(*out.values(), strict=True), key=lambda row: row[0])
    for truth, row in zip(built, served, strict=True):
        assert row == truth, (truth, row)  # floats bit for bit
        assert [type(v) for v in row] == [type(v) for v in truth]


def test_the_compiled_path_answers_on_the_loop_and_duckdb_on_a_thread(
        project, tmp_path, monkeypatch) -> None:
    client = OnlineFeatureClient(project, store=sqlite_store(tmp_path / "online.db"))
    request = {"transaction_id": [10], "user_id": [1], "event_at": ["2026-10-31T12:00:00Z"],
               "amount": [5.0], "currency_code": ["USD"], "channel": ["online"],
               "device_type": ["mobile"], "transaction_country_code": ["US"]}
    features = [f"{VIEW}:amount_usd", f"{VIEW}:hour_of_day_sin"]
    client.get_online_features(features=features, entities=request, as_of=END)  # the plan
    handed = []
    to_thread = asyncio.to_thread

    async def counting(function, *args):
        handed.append(function.__name__)
        return await to_thread(function, *args)

    monkeypatch.setattr(asyncio, "to_thread", counting)

    def served() -> list:
        answer = asyncio.run(client.get_online_columns_async(features, entities=request,
                                                             as_of=END))
        return [column.values for column in answer.columns]
    try:
        assert served()[0] == [5.0]
        assert handed == []
        monkeypatch.setattr(client._executors[VIEW], "_compiled", None)  # DuckDB serves it
        assert served()[0] == [5.0]
        assert handed == ["_answer"]
    finally:
        client.close()
