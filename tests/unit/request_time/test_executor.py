"""The executor runs the view's compiled SQL unchanged over request rows, with its seeds
copied in under their qualified names, and copies them again when the warehouse changes."""

from __future__ import annotations

from datetime import datetime

import pyarrow as pa
import pytest

from featureops.catalog import FeatureCatalog
from featureops.manifest import Manifest
from featureops.request_time.errors import RequestTimeError
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
