"""Impact analysis: everything downstream, exposures first, owners to notify."""

from __future__ import annotations

from featureops.lineage.graph import LineageGraph
from featureops.lineage.impact import impact
from tests.unit.lineage.conftest import build, shop_builder


def test_impact_groups_by_type_with_ml_exposures_first(shop: LineageGraph) -> None:
    report = impact(shop, "model.shop.stg_orders")
    assert [e.info.name for e in report.exposures] == ["churn_model", "sales_dashboard"]
    churn = report.exposures[0]
    assert churn.path == ("stg_orders", "int_orders", "feat_customer__orders", "churn_model")
    assert [i.name for i in report.by_type["model"]] == [
        "feat_customer__orders", "int_orders", "training_orders"]
    assert len(report.by_type["test"]) == 3  # unique, not_null, and the view's grain test
    assert list(report.by_type) == ["model", "test"]
    assert report.total == 2 + 3 + 3


def test_impact_owners_collect_exposures_and_owned_models(shop: LineageGraph) -> None:
    owners = {n.owner: n for n in impact(shop, "source.shop.raw.customers").owners}
    assert set(owners) == {"growth-ml"}
    growth = owners["growth-ml"]
    assert growth.email == "growth-ml@example.com"
    assert growth.exposures == ("churn_model",)
    assert set(growth.nodes) == {"feat_customer__orders", "training_orders"}
    data = impact(shop, "model.shop.stg_orders").to_dict()
    assert data["exposures"][0]["owner"] == "growth-ml"
    assert data["downstream_count"] == 8 and "bi-team" in [o["owner"] for o in data["owners"]]


def test_production_ml_exposures_sort_before_others() -> None:
    b = shop_builder()
    b.exposure("aaa_dev_model", depends_on=["int_orders"], maturity="low",
               meta={"featureops": {"stage": "development"}})
    b.exposure("zzz_prod_model", depends_on=["int_orders"], maturity="medium",
               meta={"featureops": {"stage": "production"}})
    report = impact(LineageGraph.from_manifest(build(b)), "model.shop.int_orders")
    assert [e.info.name for e in report.exposures] == [
        "churn_model", "zzz_prod_model", "aaa_dev_model", "sales_dashboard"]


def test_leaf_has_empty_impact(shop: LineageGraph) -> None:
    report = impact(shop, "exposure.shop.churn_model")
    assert report.total == 0 and report.exposures == () and report.owners == ()
