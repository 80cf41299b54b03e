"""OpenLineage run events built with the client's classes."""

from __future__ import annotations

import json
import sys
import uuid

import pytest

from featureops._optional import MissingExtraError
from featureops.lineage.columns import ColumnLineageResolver
from featureops.lineage.graph import LineageGraph
from featureops.lineage.openlineage import Naming, run_events, to_json_lines
from tests.unit.lineage.conftest import build, shop_builder


def events(lineage: LineageGraph, naming: Naming | None = None) -> dict[str, dict]:
    produced = run_events(lineage, lineage.ordered(lineage.graph), ColumnLineageResolver(lineage),
                          naming)
    parsed = [json.loads(line) for line in to_json_lines(produced).splitlines()]
    return {e["job"]["name"]: e for e in parsed}


def test_one_complete_event_per_job_with_schema_and_column_lineage(shop: LineageGraph) -> None:
    by_job = events(shop)
    assert set(by_job) == {u for u in shop.graph if shop.type_of(u) in
                           ("model", "seed", "exposure")}
    view = by_job["model.shop.feat_customer__orders"]
    assert view["eventType"] == "COMPLETE" and view["eventTime"] == "2026-11-01T00:00:00.000000Z"
    assert {i["name"] for i in view["inputs"]} == {"dev.main.int_orders",
                                                   "dev.main.stg_customers"}
    (output,) = view["outputs"]
    assert output["namespace"] == "duckdb://dev"
    assert output["name"] == "dev.main.feat_customer__orders"
    fields = [f["name"] for f in output["facets"]["schema"]["fields"]]
    assert fields == ["customer_id", "ordered_at", "amount_sum_7d", "region"]
    lineage = output["facets"]["columnLineage"]["fields"]
    amount = lineage["amount_sum_7d"]["inputFields"]
    assert {(f["name"], f["field"]) for f in amount} == {("dev.main.int_orders", "amount"),
                                                         ("dev.main.int_orders", "customer_id")}
    assert amount[0]["transformations"][0]["subtype"] == "AGGREGATION"
    assert view["job"]["facets"]["jobType"]["jobType"] == "MODEL"
    assert "sum(o.amount)" in view["job"]["facets"]["sql"]["query"]
    churn = by_job["exposure.shop.churn_model"]
    assert churn["outputs"] == [] and len(churn["inputs"]) == 2
    assert churn["job"]["facets"]["jobType"]["jobType"] == "EXPOSURE"


def test_run_ids_are_stable_uuids_under_the_invocation(shop: LineageGraph) -> None:
    first, second = events(shop), events(shop)
    run = first["model.shop.int_orders"]["run"]
    assert run["runId"] == second["model.shop.int_orders"]["run"]["runId"]
    uuid.UUID(run["runId"])
    assert run["facets"]["parent"]["run"]["runId"] == "00000000-0000-4000-8000-000000000000"
    assert run["facets"]["parent"]["job"]["name"] == "shop"
    assert len({e["run"]["runId"] for e in first.values()}) == len(first)


def test_untraceable_models_get_an_extraction_error_facet() -> None:
    b = shop_builder()
    b.nodes["model.shop.int_orders"]["compiled_code"] = None
    by_job = events(LineageGraph.from_manifest(build(b)), Naming("postgres://db:5432", "etl"))
    event = by_job["model.shop.int_orders"]
    assert "columnLineage" not in event["outputs"][0]["facets"]
    error = event["run"]["facets"]["extractionError"]
    assert error["failedTasks"] == 1 and "no compiled SQL" in error["errors"][0]["errorMessage"]
    assert event["job"]["namespace"] == "etl"
    assert event["outputs"][0]["namespace"] == "postgres://db:5432"



def test_missing_client_is_a_one_line_error(shop: LineageGraph, monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "openlineage", None)  # as if it were not installed
    for name in [n for n in sys.modules if n.startswith("openlineage.")]:
        monkeypatch.delitem(sys.modules, name)
    with pytest.raises(MissingExtraError) as error:
        run_events(shop, list(shop.nodes), ColumnLineageResolver(shop))
    assert str(error.value) == ("openlineage is not installed; it comes with the openlineage "
                                "extra: pip install 'featureops[openlineage]'")
