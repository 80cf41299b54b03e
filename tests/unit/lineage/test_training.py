"""Training lineage of an ML model: training sets, feature views, raw sources."""

from __future__ import annotations

import pytest

from featureops.lineage.errors import NotAnExposureError
from featureops.lineage.graph import LineageGraph
from featureops.lineage.training import training_lineage


def test_training_lineage_of_an_ml_exposure(shop: LineageGraph) -> None:
    report = training_lineage(shop, "exposure.shop.churn_model")
    (training_set,) = report.training_sets
    assert training_set.info.name == "training_orders"
    assert training_set.feature_views == ("feat_customer__orders",)
    assert training_set.other_inputs == ("stg_customers",)
    assert set(training_set.raw_sources) == {"raw.orders", "raw.customers", "countries"}
    (view,) = report.feature_views
    assert view.info.name == "feat_customer__orders" and view.read_directly
    assert view.training_sets == ("training_orders",)
    assert view.features_read == ("amount_sum_7d",)
    assert {i.name for i in report.raw_sources} == {"raw.orders", "raw.customers", "countries"}
    assert set(report.other_models) == {"int_orders", "stg_orders", "stg_customers"}
    data = report.to_dict()
    assert data["training_sets"][0]["owner"] == "growth-ml"


def test_dashboard_exposure_has_no_training_sets(shop: LineageGraph) -> None:
    report = training_lineage(shop, "exposure.shop.sales_dashboard")
    assert report.training_sets == () and report.feature_views == ()
    assert [i.name for i in report.raw_sources] == ["raw.orders"]


def test_not_an_exposure_lists_the_exposures(shop: LineageGraph) -> None:
    with pytest.raises(NotAnExposureError, match="churn_model, sales_dashboard"):
        training_lineage(shop, "model.shop.int_orders")


def test_training_set_naming_the_exposure_counts_without_depends_on() -> None:
    from tests.unit.lineage.conftest import build, shop_builder

    b = shop_builder()
    b.model("training_sales", depends_on=["int_orders"],
            meta={"featureops": {"kind": "training_set", "exposure": "sales_dashboard"}})
    lineage = LineageGraph.from_manifest(build(b))
    report = training_lineage(lineage, "exposure.shop.sales_dashboard")
    assert [t.info.name for t in report.training_sets] == ["training_sales"]
    assert report.training_sets[0].raw_sources == ("raw.orders",)
