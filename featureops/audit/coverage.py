"""What a model's data tests and enforced constraints guarantee about its columns."""

from __future__ import annotations

from collections.abc import Iterable

from featureops.manifest import DataTest, Node

# Generic tests that prove a set of columns unique, and the kwarg naming the columns.
_COMBINATION_TESTS = {"unique_combination_of_columns": "combination_of_columns",
                      "expect_compound_columns_to_be_unique": "column_list"}


def not_null_columns(node: Node, tests: Iterable[DataTest]) -> set[str]:
    """Columns a `not_null` test covers, plus those with a `not_null` or `primary_key`
    constraint when the contract is enforced (dbt then adds the constraint to the DDL)."""
    covered = {t.column_name.lower() for t in tests
               if t.test_name == "not_null" and t.column_name}
    if node.contract_enforced:
        for name, column in node.columns.items():
            if any(c.get("type") in ("not_null", "primary_key") for c in column.constraints):
                covered.add(name.lower())
        for constraint in node.constraints:
            if constraint.get("type") == "primary_key":
                covered.update(str(c).lower() for c in constraint.get("columns") or ())
    return covered


def unique_column_sets(tests: Iterable[DataTest]) -> list[frozenset[str]]:
    """Column sets that data tests prove unique (a `unique` test is a set of one)."""
    sets = []
    for test in tests:
        if test.test_name == "unique" and test.column_name:
            sets.append(frozenset({test.column_name.lower()}))
        key = _COMBINATION_TESTS.get(test.test_name)
        columns = test.kwargs.get(key) if key else None
        if isinstance(columns, list) and columns:
            sets.append(frozenset(str(c).lower() for c in columns))
    return sets


def proves_unique(keys: Iterable[str], sets: list[frozenset[str]]) -> bool:
    """True when some tested-unique set lies within ``keys`` (unique on a subset of the
    key columns makes the whole key unique)."""
    wanted = {k.lower() for k in keys}
    return any(s and s <= wanted for s in sets)
