"""Hand-made manifests for the lineage tests, built with featureops.testing.ManifestBuilder
(each fixture's docstring says its shape)."""

from __future__ import annotations

from typing import Any

import pytest

from featureops.lineage.graph import LineageGraph
from featureops.manifest import Manifest
from featureops.testing import ManifestBuilder


def shop_builder() -> ManifestBuilder:
    """A small shop project:

    source raw.orders -> stg_orders -> int_orders -> feat_customer__orders (feature view)
    source raw.customers -> stg_customers -> feat_customer__orders, training_orders
    seed countries -> stg_customers; feat_customer__orders -> training_orders (training set)
    exposures: churn_model (ml, production) <- training_orders + feat_customer__orders;
               sales_dashboard (dashboard) <- int_orders. Tests on stg_orders and the view.
    """
    b = ManifestBuilder("shop")
    b.source("raw", "orders", columns={"order_id": None, "customer_id": None, "amount": None,
                                       "ordered_at": None}, freshness=True)
    b.source("raw", "customers", columns={"customer_id": None, "country": None})
    b.seed("countries", columns={"code": "text", "region": "text"})
    b.model("stg_orders", depends_on=["raw.orders"], description="Orders.",
            sql='select order_id, customer_id, cast(amount as double) as amount, ordered_at '
                'from "dev"."raw_raw"."orders"')
    b.model("stg_customers", depends_on=["raw.customers", "countries"], group=None,
            sql='select c.customer_id, c.country, k.region from "dev"."raw_raw"."customers" '
                'as c left join "dev"."main"."countries" as k on c.country = k.code')
    b.model("int_orders", depends_on=["stg_orders"],
            sql='select customer_id, ordered_at, amount from "dev"."main"."stg_orders"')
    b.feature_view("feat_customer__orders", entities=("customer_id",), timestamp="ordered_at",
                   features={"amount_sum_7d": "double", "region": "text"},
                   depends_on=["int_orders", "stg_customers"],
                   sql='select o.customer_id, o.ordered_at, sum(o.amount) over (partition by '
                       'o.customer_id) as amount_sum_7d, c.region from "dev"."main"."int_orders"'
                       ' as o join "dev"."main"."stg_customers" as c on o.customer_id = '
                       'c.customer_id',
                   block={"owner": "growth-ml"})
    b.model("training_orders", depends_on=["feat_customer__orders", "stg_customers"],
            meta={"featureops": {"kind": "training_set", "owner": "growth-ml"}},
            sql='select f.customer_id, f.amount_sum_7d, c.country as label from '
                '"dev"."main"."feat_customer__orders" as f join "dev"."main"."stg_customers" '
                'as c on f.customer_id = c.customer_id')
    b.test("unique", "stg_orders", column="order_id")
    b.test("not_null", "stg_orders", column="order_id")
    b.exposure("churn_model", depends_on=["training_orders", "feat_customer__orders"],
               owner="growth-ml", maturity="high",
               meta={"featureops": {"stage": "production",
                                    "features": ["feat_customer__orders:amount_sum_7d"]}})
    b.exposure("sales_dashboard", depends_on=["int_orders"], type="dashboard",
               owner="bi-team", maturity="low")
    return b


def build(builder: ManifestBuilder, path: str = "manifest.json") -> Manifest:
    return Manifest.from_dict(builder.build(), source=path)


@pytest.fixture
def shop() -> LineageGraph:
    """The lineage graph of :func:`shop_builder`."""
    return LineageGraph.from_manifest(build(shop_builder()))


def names(lineage: LineageGraph, ids: Any) -> set[str]:
    return {lineage.name_of(u) for u in ids}
