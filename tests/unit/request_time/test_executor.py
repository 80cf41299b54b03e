"""The executor runs the view's compiled SQL unchanged over request rows, with its seeds
copied in under their qualified names, and copies them again when the warehouse changes."""

from __future__ import annotations

from datetime import datetime

import pyarrow as pa
import pytest

from featureops.catalog import FeatureCatalog
from featureops.manifest import Manifest
from featureops.request_time.errors import NotInline, RequestTimeError
from featureops.request_time.executor import RequestTimeExecutor
from featureops.request_time.inputs import request_table
from tests import factories as f
from tests.unit.request_time.rt_manifest import FIELDS, SQL, nodes


class FakeLookups:
    def __init__(self, rate: float) -> None:
        self.rate, self.loads, self.rebuilt = rate, [], False

    def load(self, names):
        self.loads.append(list(names))
        self.rebuilt = False
        return {name: pa.table({"currency": ["EUR", "GBP"], "usd_rate": [self.rate, 1.25]})
                for name in names}

    def changed(self) -> bool:
        return self.rebuilt

    def due(self) -> bool:
        return self.rebuilt

    def sample(self, relation_name, columns, limit):
        return None  # no dbt build here: the guard uses its synthetic rows


def _executor(lookups, sql=SQL):
    manifest = Manifest.from_dict(f.manifest(*nodes(sql=sql)))
    view = FeatureCatalog.from_manifest(manifest).view("feat_transaction__context")
    schema = _rows([1], ["EUR"], ["FR"]).schema
    return RequestTimeExecutor(view.model, view.spec, manifest, lookups, schema)


def _rows(keys, currencies, homes):
    count = len(keys)
    return request_table(FIELDS, {
        "transaction_id": keys, "user_id": [7] * count,
        "event_at": [datetime(2026, 10, 31, 0, 0)] * count, "amount": [10.0] * count,
        "currency_code": currencies}, {"home_country_code": (pa.string(), homes)})


def test_compiled_sql_runs_over_request_rows_with_seeds_copied_once() -> None:
    lookups = FakeLookups(1.08)
    executor = _executor(lookups)
    out = executor.run(_rows([1, 2, 3], ["EUR", "GBP", "XXX"], ["FR", "DE", None]))
    by_key = dict(zip(out["transaction_id"], zip(out["amount_usd"], out["is_french"],
                                                     strict=True), strict=True))
    assert by_key == {1: (10.0 * 1.08, True), 2: (12.5, False), 3: (None, None)}
    assert out["event_at"] == [datetime(2026, 10, 31)] * 3
    executor.run(_rows([4], ["EUR"], ["FR"]))
    assert lookups.loads == [['"db"."main_reference"."currency_rates"']]
    settings = dict(executor.conn.execute(
        "select name, value from duckdb_settings() where name in "
        "('autoinstall_known_extensions', 'TimeZone')").fetchall())
    assert settings == {"autoinstall_known_extensions": "false", "TimeZone": "UTC"}


def test_lookups_are_copied_again_when_the_warehouse_changes() -> None:
    lookups = FakeLookups(1.08)
    executor = _executor(lookups)
    lookups.rate, lookups.rebuilt = 2.0, True
    out = executor.run(_rows([1], ["EUR"], ["FR"]))
    assert out["amount_usd"] == [20.0] and len(lookups.loads) == 2


def test_sql_it_cannot_run_is_refused_at_start() -> None:
    with pytest.raises(RequestTimeError, match="request-time view 'feat_transaction__context' "
                       "cannot run: aggregate SUM"):
        _executor(FakeLookups(1.0), SQL.replace("requests.amount * rates.usd_rate",
                                                "sum(requests.amount)"))


def _columns(**changes):
    columns = {"transaction_id": [1], "user_id": [7], "event_at": [datetime(2026, 10, 31)],
               "amount": [10.0], "currency_code": ["EUR"], "home_country_code": ["FR"]}
    columns.update(changes)
    return columns


def test_the_compiled_evaluator_serves_the_view_once_the_guard_agrees() -> None:
    lookups = FakeLookups(1.08)
    executor = _executor(lookups)
    assert (executor.engine, executor.reason) == ("compiled", "")
    assert executor.checked_rows > 200  # the guard's synthetic rows (no dbt build here)
    out = executor.run_columns(_columns(amount=[10.0, 2.0], transaction_id=[1, 2],
                                        user_id=[7, 7], event_at=[datetime(2026, 1, 1)] * 2,
                                        currency_code=["EUR", None],
                                        home_country_code=["FR", "DE"]), inline=True)
    assert out == {"transaction_id": [1, 2], "event_at": [datetime(2026, 1, 1)] * 2,
                   "amount_usd": [10.0 * 1.08, None], "is_french": [True, False]}
    lookups.rebuilt = True  # a lookup check is due: never on the loop
    with pytest.raises(NotInline):
        executor.run_columns(_columns(), inline=True)
    assert executor.run_columns(_columns())["amount_usd"] == [10.0 * 1.08]


def test_sql_outside_the_subset_runs_on_duckdb_saying_why() -> None:
    sql = SQL.replace("requests.amount * rates.usd_rate", "sign(requests.amount) * rates.usd_rate")
    executor = _executor(FakeLookups(1.08), sql)
    assert executor.engine == "duckdb" and executor.reason.startswith("sign: SIGN(")
    assert executor.run_columns(_columns(amount=[-3.0]))["amount_usd"] == [-1.08]
    with pytest.raises(NotInline):
        executor.run_columns(_columns(), inline=True)


def test_the_guard_keeps_duckdb_when_a_value_differs(monkeypatch) -> None:
    from featureops.request_time import expressions

    original = expressions.ExpressionCompiler._mul

    def off_by_a_little(self, node):
        typed = original(self, node)
        return expressions.Typed(lambda row: None if (v := typed.fn(row)) is None
                                 else v * (1 + 1e-9), typed.type)
    monkeypatch.setattr(expressions.ExpressionCompiler, "_mul", off_by_a_little)
    executor = _executor(FakeLookups(1.08))
    assert executor.engine == "duckdb"
    assert executor.reason.startswith("differs from DuckDB on the guard's rows: column 3")
    assert executor.run_columns(_columns())["amount_usd"] == [10.0 * 1.08]


def test_a_request_the_evaluator_cannot_vouch_for_is_answered_by_duckdb() -> None:
    """amount * rate overflows to inf: DuckDB's answer (inf), not Python's."""
    executor = _executor(FakeLookups(1.08))
    with pytest.raises(NotInline):
        executor.run_columns(_columns(amount=[1.7e308]), inline=True)
    assert executor.run_columns(_columns(amount=[1.7e308]))["amount_usd"] == [float("inf")]


def test_an_evaluator_failure_is_answered_by_duckdb_never_a_500(monkeypatch, caplog) -> None:
    executor = _executor(FakeLookups(1.08))

    def broken(columns):
        raise TypeError("unsupported operand")
    monkeypatch.setattr(executor._compiled, "run", broken)
    with pytest.raises(NotInline):
        executor.run_columns(_columns(), inline=True)
    assert executor.run_columns(_columns())["amount_usd"] == [10.0 * 1.08]
    assert "the compiled evaluator failed (TypeError: unsupported operand)" in caplog.text
