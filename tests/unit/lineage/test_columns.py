"""Column lineage across models: where a column comes from, what is computed from it, and
honest reporting of what cannot be traced."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from featureops.lineage.columns import (
    ColumnLineageResolver,
    ColumnRef,
    load_catalog_columns,
    split_column_reference,
)
from featureops.lineage.errors import UnknownColumnError
from featureops.lineage.graph import LineageGraph
from featureops.testing import ManifestBuilder
from tests.unit.lineage.conftest import build, shop_builder

VIEW = "model.shop.feat_customer__orders"


def refs(columns) -> set[str]:
    return {f"{r.node.split('.')[-1]}.{r.column}" for r in columns}


def test_upstream_of_a_feature_reaches_the_source(shop: LineageGraph) -> None:
    resolver = ColumnLineageResolver(shop)
    result = resolver.upstream(ColumnRef(VIEW, "amount_sum_7d"))
    assert {"int_orders.amount", "stg_orders.amount", "orders.amount"} <= refs(result.columns)
    assert result.columns[ColumnRef("source.shop.raw.orders", "amount")] == -3
    kinds = {(e.source.column, e.target.node.split(".")[-1]): e.transformation
             for e in result.edges}
    assert kinds[("amount", "feat_customer__orders")] == "aggregation"
    assert kinds[("amount", "stg_orders")] == "transformation"  # the cast
    assert kinds[("amount", "int_orders")] == "identity"
    assert result.unresolved == {}


def test_upstream_through_a_join_to_a_seed(shop: LineageGraph) -> None:
    result = ColumnLineageResolver(shop).upstream(ColumnRef(VIEW, "region"))
    assert refs(result.columns) == {"feat_customer__orders.region", "stg_customers.region",
                                    "countries.region"}


def test_depth_limits_upstream(shop: LineageGraph) -> None:
    result = ColumnLineageResolver(shop).upstream(ColumnRef(VIEW, "amount_sum_7d"), depth=1)
    assert refs(result.columns) == {"feat_customer__orders.amount_sum_7d", "int_orders.amount",
                                    "int_orders.customer_id"}


def test_downstream_of_a_source_column(shop: LineageGraph) -> None:
    result = ColumnLineageResolver(shop).downstream(ColumnRef("source.shop.raw.customers",
                                                              "country"))
    assert refs(result.columns) == {"customers.country", "stg_customers.country",
                                    "training_orders.label"}
    assert result.columns[ColumnRef("model.shop.training_orders", "label")] == 2


def test_model_without_compiled_sql_is_reported_not_guessed() -> None:
    b = shop_builder()
    b.nodes["model.shop.int_orders"]["compiled_code"] = None
    lineage = LineageGraph.from_manifest(build(b))
    result = ColumnLineageResolver(lineage).upstream(ColumnRef(VIEW, "amount_sum_7d"))
    reason = result.unresolved[ColumnRef("model.shop.int_orders", "amount")]
    assert "no compiled SQL" in reason and "dbt compile" in reason
    assert not any(r.node.startswith("source.") for r in result.columns)


def test_python_model_is_unresolved() -> None:
    b = shop_builder()
    b.model("py_model", depends_on=["stg_orders"], language="python", sql="def model(): ...")
    lineage = LineageGraph.from_manifest(build(b))
    resolver = ColumnLineageResolver(lineage)
    result = resolver.upstream(ColumnRef("model.shop.py_model", "anything"))
    assert "python model" in result.unresolved[ColumnRef("model.shop.py_model", "anything")]


def test_catalog_columns_win_and_unknown_column_is_an_error(tmp_path: Path) -> None:
    catalog = tmp_path / "catalog.json"
    catalog.write_text(json.dumps({"nodes": {"seed.shop.countries": {
        "columns": {"CODE": {}, "REGION": {}, "Population": {}}}}, "sources": {}}))
    columns, warning = load_catalog_columns(catalog)
    assert warning is None and columns["seed.shop.countries"] == ("code", "region",
                                                                  "population")
    lineage = LineageGraph.from_manifest(build(shop_builder()))
    resolver = ColumnLineageResolver(lineage, catalog=columns)
    assert resolver.columns_of("seed.shop.countries") == ("code", "region", "population")
    with pytest.raises(UnknownColumnError, match="has no column `nope`.*code, region"):
        resolver.check_column(ColumnRef("seed.shop.countries", "nope"))
    assert resolver.check_column(ColumnRef("seed.shop.countries", "Region")).column == "region"


def test_unreadable_catalog_is_a_warning(tmp_path: Path) -> None:
    broken = tmp_path / "catalog.json"
    broken.write_text('{"nodes": ')
    columns, warning = load_catalog_columns(broken)
    assert columns == {} and "unreadable" in warning
    assert load_catalog_columns(tmp_path / "absent.json") == ({}, None)


def test_seed_columns_from_the_csv_header(tmp_path: Path) -> None:
    (tmp_path / "seeds").mkdir()
    (tmp_path / "seeds" / "countries.csv").write_text("code,region,currency\nFR,EU,EUR\n")
    b = ManifestBuilder("shop")
    b.seed("countries")
    b.model("m", depends_on=["countries"], sql='select * from "dev"."main"."countries"')
    lineage = LineageGraph.from_manifest(build(b))
    resolver = ColumnLineageResolver(lineage, project_dir=tmp_path)
    assert resolver.columns_of("model.shop.m") == ("code", "region", "currency")
    assert ColumnLineageResolver(lineage).columns_of("model.shop.m") is None


def test_incomplete_yaml_columns_do_not_break_the_trace() -> None:
    """A parent documents only some columns; its child reads an undocumented one."""
    b = ManifestBuilder("shop")
    b.model("parent", columns={"a": None}, sql=None)
    b.model("child", depends_on=["parent"],
            sql='select p.a, p.b as bee from "dev"."main"."parent" as p')
    lineage = LineageGraph.from_manifest(build(b))
    analysis = ColumnLineageResolver(lineage).analyse("model.shop.child")
    assert analysis.error == ""
    assert [(i.relation, i.column) for i in analysis.derivations["bee"].inputs] == [
        ("model.shop.parent", "b")]


def test_incremental_model_reading_itself() -> None:
    b = ManifestBuilder("shop")
    b.model("events", columns={"id": None, "at": None},
            sql='select id, at from "dev"."main"."src"')
    b.model("inc", depends_on=["events"], columns={"id": None, "at": None},
            sql='select id, at from "dev"."main"."events" where at > '
                '(select max(at) from "dev"."main"."inc")')
    lineage = LineageGraph.from_manifest(build(b))
    result = ColumnLineageResolver(lineage).upstream(ColumnRef("model.shop.inc", "at"))
    assert refs(result.columns) == {"inc.at", "events.at"}


def test_split_column_reference(shop: LineageGraph) -> None:
    assert split_column_reference(shop, "stg_orders.amount") == ColumnRef(
        "model.shop.stg_orders", "amount")
    assert split_column_reference(shop, "raw.orders.amount") == ColumnRef(
        "source.shop.raw.orders", "amount")
    assert split_column_reference(shop, "nothing.here") is None
    assert split_column_reference(shop, "plain") is None
