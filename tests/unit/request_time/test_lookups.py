"""Lookups are read from the warehouse file dbt built, and noticed again when that file
changes; a refresh the warehouse refuses keeps the previous copy."""

from __future__ import annotations

import json

import duckdb
import pyarrow as pa
import pytest

from featureops.exceptions import FeatureopsError
from featureops.project import Project
from featureops.request_time.lookups import WarehouseLookups
from tests import factories as f
from tests.unit.request_time.test_executor import _executor, _rows

RATES = '"db"."main_reference"."currency_rates"'


@pytest.fixture
def project(tmp_path, monkeypatch):
    (tmp_path / "dbt_project.yml").write_text("name: proj\nprofile: proj\n")
    manifest = tmp_path / "manifest.json"
    manifest.write_text(json.dumps(f.manifest(f.model("feat_x", meta=f.VALID_VIEW_META))))
    warehouse = tmp_path / "db.duckdb"
    with duckdb.connect(str(warehouse)) as conn:
        conn.execute("create schema main_reference")
        conn.execute("create table main_reference.currency_rates as "
                     "select 'EUR' as currency, 1.08::double as usd_rate")
    monkeypatch.setenv("FEATUREOPS_DUCKDB_PATH", str(warehouse))
    return Project.locate(tmp_path, manifest), warehouse


def test_lookups_are_copied_from_the_warehouse_and_rebuilds_noticed(project) -> None:
    project, warehouse = project
    lookups = WarehouseLookups(project, check_seconds=0)
    assert lookups.load([RATES])[RATES].to_pylist() == [{"currency": "EUR", "usd_rate": 1.08}]
    assert not lookups.changed()
    with duckdb.connect(str(warehouse)) as conn:
        conn.execute("create or replace table main_reference.currency_rates as "
                     "select 'EUR' as currency, 2.0 as usd_rate from range(1000)")
    assert lookups.changed()
    assert lookups.load([RATES])[RATES].num_rows == 1000
    assert not lookups.changed()


def test_checks_are_rate_limited() -> None:
    lookups = WarehouseLookups(project=None, check_seconds=3600)  # type: ignore[arg-type]
    assert not lookups.changed()  # nothing loaded yet: nothing to compare


class FailingRefresh:
    def __init__(self) -> None:
        self.calls = 0

    def load(self, names):
        self.calls += 1
        if self.calls > 1:
            raise FeatureopsError("warehouse locked by dbt")
        return {name: pa.table({"currency": ["EUR"], "usd_rate": [1.5]}) for name in names}

    def changed(self) -> bool:
        return True

    def due(self) -> bool:
        return True

    def sample(self, relation_name, columns, limit):
        return None


def test_a_refused_refresh_keeps_serving_the_previous_copy() -> None:
    lookups = FailingRefresh()
    executor = _executor(lookups)
    assert executor.run(_rows([1], ["EUR"], ["FR"]))["amount_usd"] == [15.0]
    assert lookups.calls == 2
