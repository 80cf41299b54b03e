"""analyse_query: one query's output columns traced to the relations they read."""

from __future__ import annotations

import pytest

from featureops.lineage.sql import analyse_query, dialect_for, parse_relation

RELATIONS = {("db", "main", "orders"): "model.p.orders", ("db", "main", "rates"): "seed.p.rates",
             ("/data/raw.parquet",): "source.p.raw.events"}
COLUMNS = {"model.p.orders": ("order_id", "amount", "currency", "ordered_at"),
           "seed.p.rates": ("currency", "usd_rate"),
           "source.p.raw.events": None}


def analyse(sql: str, dialect: str | None = "duckdb", columns: dict | None = None):
    known = COLUMNS if columns is None else columns
    return analyse_query(sql, dialect, RELATIONS.get, known.get)


def inputs(result, column: str) -> set[tuple[str | None, str]]:
    return {(i.relation, i.column) for i in result.derivations[column].inputs}


def test_identity_rename_cast_and_arithmetic() -> None:
    result = analyse(
        'with o as (select * from "db"."main"."orders"), r as (select * from "db"."main"."rates")'
        " select o.order_id as id, cast(o.ordered_at as date) as day,"
        " o.amount * r.usd_rate as amount_usd from o left join r on o.currency = r.currency")
    assert result.error == "" and result.outputs == ("id", "day", "amount_usd")
    assert inputs(result, "id") == {("model.p.orders", "order_id")}
    assert result.derivations["id"].transformation == "identity"
    assert result.derivations["day"].transformation == "transformation"
    assert inputs(result, "amount_usd") == {("model.p.orders", "amount"),
                                            ("seed.p.rates", "usd_rate")}
    assert "usd_rate" in result.derivations["amount_usd"].expression.lower()


def test_aggregations_windows_and_constants() -> None:
    result = analyse('select currency, count(*) as n, sum(amount) as total, 1 as one,'
                     ' max(amount) over (partition by currency) as biggest'
                     ' from "db"."main"."orders" group by currency, amount')
    assert result.derivations["total"].transformation == "aggregation"
    assert result.derivations["biggest"].transformation == "aggregation"
    assert inputs(result, "total") == {("model.p.orders", "amount")}
    assert result.derivations["one"].transformation == "constant"
    assert result.derivations["one"].inputs == ()
    assert result.derivations["n"].inputs == ()


def test_star_over_known_columns_expands() -> None:
    result = analyse('select * from "db"."main"."rates"')
    assert result.outputs == ("currency", "usd_rate")
    assert inputs(result, "usd_rate") == {("seed.p.rates", "usd_rate")}


def test_star_over_unknown_columns_hides_outputs() -> None:
    result = analyse("select * from '/data/raw.parquet'")
    assert result.outputs is None


def test_star_over_one_unknown_relation_is_traced_through() -> None:
    result = analyse("with s as (select * from '/data/raw.parquet') select x as y from s")
    (source,) = result.derivations["y"].inputs
    assert (source.relation, source.column, source.through_star) == (
        "source.p.raw.events", "x", True)


def test_star_over_several_unknown_relations_is_unresolved_not_guessed() -> None:
    result = analyse("with s as (select * from '/data/raw.parquet' as a join \"x\".\"y\".\"z\" "
                     "as b on a.id = b.id) select v from s",
                     columns={"source.p.raw.events": None})
    (source,) = result.derivations["v"].inputs
    assert source.relation is None and "could come from any of them" in source.reason


def test_relation_outside_the_manifest_is_unresolved() -> None:
    result = analyse('select amount from "elsewhere"."x"."orders"')
    (source,) = result.derivations["amount"].inputs
    assert source.relation is None and "elsewhere.x.orders" in source.reason
    assert "not a node of the manifest" in source.reason


def test_unqualified_column_in_join_of_unknown_relations_is_unresolved() -> None:
    result = analyse("select v from '/data/raw.parquet' as a join \"q\".\"r\".\"s\" as b "
                     "on a.id = b.id")
    (source,) = result.derivations["v"].inputs
    assert source.relation is None and "cannot be tied to one relation" in source.reason


def test_cte_names_are_not_relations_and_union_merges_inputs() -> None:
    result = analyse('with orders as (select order_id from "db"."main"."orders") '
                     'select order_id from orders union all '
                     'select currency as order_id from "db"."main"."rates"')
    assert inputs(result, "order_id") == {("model.p.orders", "order_id"),
                                          ("seed.p.rates", "currency")}


def test_unparseable_sql_is_an_error_not_an_exception() -> None:
    result = analyse("select from where {{ ref('x') }}")
    assert result.outputs is None and result.error.startswith("sqlglot cannot parse")
    assert analyse("create index i on t (c)").error == "the compiled SQL has no SELECT query"


def test_snowflake_uppercases_identifiers_but_lineage_still_resolves() -> None:
    relations = {("raw", "tpch", "orders"): "source.p.tpch.orders"}
    result = analyse_query("with s as (select * from raw.tpch.orders) "
                           "select o_orderkey as order_key from s", "snowflake",
                           relations.get, {"source.p.tpch.orders": ("o_orderkey",)}.get)
    assert inputs(result, "order_key") == {("source.p.tpch.orders", "o_orderkey")}


@pytest.mark.parametrize(("relation", "dialect", "key"), [
    ('"db"."Main"."T"', "postgres", ("db", "main", "t")),
    ("`proj`.`ds`.`t`", "bigquery", ("proj", "ds", "t")),
    ("'/tmp/x.parquet'", "duckdb", ("/tmp/x.parquet",)),
    ("raw.tpch.orders", "snowflake", ("raw", "tpch", "orders")),
])
def test_parse_relation(relation: str, dialect: str, key: tuple[str, ...]) -> None:
    assert parse_relation(relation, dialect) == key


def test_dialect_for_adapters() -> None:
    assert dialect_for("duckdb") == "duckdb" and dialect_for("sqlserver") == "tsql"
    assert dialect_for("Snowflake") == "snowflake" and dialect_for("no_such_adapter") is None


def test_table_function_columns_trace_through_their_arguments() -> None:
    result = analyse(
        'with bounds as (select min(ordered_at) as lo, max(ordered_at) as hi from '
        '"db"."main"."orders"), days as (select s.d as day from bounds cross join '
        "generate_series(bounds.lo, bounds.hi, interval '1 days') as s (d)) "
        "select day, n from days cross join generate_series(1, 3) as g (n)")
    assert inputs(result, "day") == {("model.p.orders", "ordered_at")}
    assert result.derivations["day"].transformation == "transformation"
    assert result.derivations["n"].inputs == ()  # a series of constants


def test_quoted_identifiers_are_unquoted() -> None:
    result = analyse('with f as (select "Amount" as "total_7d", "currency" from '
                     '"db"."main"."orders") select f."total_7d", f.currency from f',
                     columns={"model.p.orders": ("amount", "currency")})
    assert inputs(result, "total_7d") == {("model.p.orders", "amount")}
    assert inputs(result, "currency") == {("model.p.orders", "currency")}
