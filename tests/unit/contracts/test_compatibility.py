"""Each compatibility mode against a table of contract changes, with the expected verdict.

The verdicts are written out by hand from the Confluent definitions adapted to tables
(docs/decisions/0030-contract-compatibility-modes.md), not computed from the rule table,
so a wrong entry in RULES or a wrong diff fails here.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from featureops.contracts.check import check_contracts
from featureops.contracts.compatibility import RULES, diff_contracts
from featureops.contracts.contract import ColumnContract, Contract

MODES = ("backward", "backward_transitive", "forward", "forward_transitive", "full",
         "full_transitive", "none")
NOT_NULL = ((("type", "not_null"),),)
UNIQUE = ((("type", "unique"),),)


def col(name: str, data_type: str = "bigint", *, nullable: bool = True,
        default: object = ..., unique: bool = False) -> ColumnContract:
    constraints = (() if nullable else NOT_NULL) + (UNIQUE if unique else ())
    has_default = default is not ...
    return ColumnContract(name, data_type, nullable, constraints, has_default=has_default,
                          default=default if has_default else None)


BASE_COLUMNS = (
    col("user_id", nullable=False),
    col("event_at", "timestamp", nullable=False),
    col("txn_count", "integer"),
    col("amount", "real"),
    col("country", "varchar(10)"),
    col("tier", "text", unique=True),
)


def contract(columns=BASE_COLUMNS, mode: str = "backward", version: str | None = None,
             name: str = "feat_x", materialized: str = "table") -> Contract:
    return Contract(name, version, mode, materialized, tuple(columns), adapter="duckdb")


def replace_column(name: str, new: ColumnContract | None) -> tuple[ColumnContract, ...]:
    out = []
    for column in BASE_COLUMNS:
        if column.name != name:
            out.append(column)
        elif new is not None:
            out.append(new)
    return tuple(out)


# case: (new columns, new mode, rule expected, and for each mode of MODES the expected
# verdict, True = passes). New mode None keeps the mode; "other" switches to `none` (or to
# `full` from `none`): the mode registered before governs the change either way.
OK, BAD = True, False
CASES = {
    "add nullable column": (
        BASE_COLUMNS + (col("score", "double"),), None, "column_added",
        (OK, OK, OK, OK, OK, OK, OK)),
    "add not-null column without default": (
        BASE_COLUMNS + (col("score", "double", nullable=False),), None, "required_column_added",
        (BAD, BAD, OK, OK, BAD, BAD, OK)),
    "add not-null column with default": (
        BASE_COLUMNS + (col("score", "double", nullable=False, default=0),), None,
        "column_added", (OK, OK, OK, OK, OK, OK, OK)),
    "remove nullable column": (
        replace_column("country", None), None, "column_removed",
        (OK, OK, BAD, BAD, BAD, BAD, OK)),
    "remove not-null column": (
        replace_column("event_at", None), None, "column_removed",
        (OK, OK, BAD, BAD, BAD, BAD, OK)),
    "widen integer to bigint": (
        replace_column("txn_count", col("txn_count", "int8")), None, "type_widened",
        (OK, OK, BAD, BAD, BAD, BAD, OK)),
    "widen real to double precision": (
        replace_column("amount", col("amount", "double precision")), None, "type_widened",
        (OK, OK, BAD, BAD, BAD, BAD, OK)),
    "widen varchar(10) to varchar(40)": (
        replace_column("country", col("country", "character varying(40)")), None,
        "type_widened", (OK, OK, BAD, BAD, BAD, BAD, OK)),
    "narrow bigint to integer": (
        replace_column("user_id", col("user_id", "int4", nullable=False)), None,
        "type_narrowed", (BAD, BAD, OK, OK, BAD, BAD, OK)),
    "change text to bigint": (
        replace_column("tier", col("tier", "bigint", unique=True)), None, "type_changed",
        (BAD, BAD, BAD, BAD, BAD, BAD, OK)),
    "respell int4 as integer": (
        replace_column("txn_count", col("txn_count", "INT4")), None, "type_respelled",
        (OK, OK, OK, OK, OK, OK, OK)),
    "rename column": (
        replace_column("amount", col("amount_usd", "float4")), None, "column_renamed",
        (BAD, BAD, BAD, BAD, BAD, BAD, OK)),
    "tighten nullability": (
        replace_column("country", col("country", "varchar(10)", nullable=False)), None,
        "nullability_tightened", (BAD, BAD, OK, OK, BAD, BAD, OK)),
    "loosen nullability (drop not_null)": (
        replace_column("event_at", col("event_at", "timestamp")), None,
        "nullability_loosened", (OK, OK, BAD, BAD, BAD, BAD, OK)),
    "drop a unique constraint": (
        replace_column("tier", col("tier", "text")), None, "constraint_dropped",
        (OK, OK, BAD, BAD, BAD, BAD, OK)),
    "add a unique constraint": (
        replace_column("country", col("country", "varchar(10)", unique=True)), None,
        "constraint_added", (BAD, BAD, OK, OK, BAD, BAD, OK)),
    "change the mode itself": (
        BASE_COLUMNS, "other", "compatibility_changed", (OK, OK, OK, OK, OK, OK, OK)),
    "change the mode and narrow in the same change": (
        replace_column("user_id", col("user_id", "integer", nullable=False)), "other",
        "type_narrowed", (BAD, BAD, OK, OK, BAD, BAD, OK)),
}


@pytest.mark.parametrize("mode_index,mode", list(enumerate(MODES)))
@pytest.mark.parametrize("case", list(CASES))
def test_mode_verdict_on_change(case: str, mode_index: int, mode: str) -> None:
    new_columns, new_mode, rule, verdicts = CASES[case]
    old = contract(mode=mode)
    if new_mode == "other":
        new_mode = "full" if mode == "none" else "none"
    new = contract(new_columns, mode=new_mode or mode)
    report = check_contracts({new.key: new}, {old.key: [("registry v1", old)]})
    assert report.ok is verdicts[mode_index], [v.to_dict() for v in report.violations]
    assert rule in {change.rule for change, _ in report.changes}
    if not report.ok:
        assert {v.change.rule for v in report.violations} == {rule}
        assert all(v.mode == mode and v.against == "registry v1" for v in report.violations)


# A dbt version bump: v2 removes a column (breaking) while v1 stays in the project.
@pytest.mark.parametrize("mode", MODES)
def test_version_bump_makes_a_breaking_change_legal(mode: str) -> None:
    old = contract(mode=mode)
    kept_v1 = contract(mode=mode, version="1")
    breaking_v2 = contract(replace_column("country", None), mode=mode, version="2")
    current = {kept_v1.key: kept_v1, breaking_v2.key: breaking_v2}
    report = check_contracts(current, {old.key: [("registry v1", old)]})
    assert report.ok
    assert report.checked == ["feat_x.v1"]
    assert report.new == ["feat_x.v2"]


@pytest.mark.parametrize("mode", MODES)
def test_version_bump_that_drops_the_old_version_is_a_removal(mode: str) -> None:
    v1, v2 = contract(mode=mode, version="1"), contract(mode=mode, version="2")
    only_v2 = contract(replace_column("country", None), mode=mode, version="2")
    report = check_contracts({only_v2.key: only_v2},
                             {v1.key: [("registry v1", v1)], v2.key: [("registry v2", v2)]})
    expected_ok = mode in ("none",)
    assert report.ok is expected_ok
    if not expected_ok:
        rules = {v.change.rule for v in report.violations}
        assert "contract_removed" in rules
        assert report.removed == ["feat_x.v1"]


@pytest.mark.parametrize("mode", MODES)
def test_bumping_an_unversioned_model_continues_its_history_into_v1(mode: str) -> None:
    unversioned = contract(mode=mode)
    narrowed_v1 = contract(replace_column("user_id", col("user_id", "integer", nullable=False)),
                           mode=mode, version="1")
    v2 = contract(replace_column("tier", None), mode=mode, version="2")
    report = check_contracts({narrowed_v1.key: narrowed_v1, v2.key: v2},
                             {unversioned.key: [("registry v1", unversioned)]})
    # v1 is judged against the unversioned history (narrowing), v2 is a new line.
    assert report.checked == ["feat_x.v1"] and report.new == ["feat_x.v2"]
    assert report.ok is (mode.startswith("forward") or mode == "none")


@pytest.mark.parametrize("mode,ok", [(m, m == "none") for m in MODES])
def test_unenforcing_the_contract_is_a_removal(mode: str, ok: bool) -> None:
    old = contract(mode=mode)
    report = check_contracts({}, {old.key: [("registry v3", old)]})
    assert report.ok is ok
    assert report.removed == ["feat_x"]


# Transitive modes: the change passes against the last version and fails against an
# earlier one. Histories are (columns, mode) per registered version.
TRANSITIVE_CASES = {
    # v2 dropped txn_count (fine backward); v3 brings it back as text: fine against v2
    # (a nullable column added), a type change against v1.
    "backward": (
        [(BASE_COLUMNS, "backward"), (replace_column("txn_count", None), "backward")],
        replace_column("txn_count", col("txn_count", "text"))),
    # v2 was registered under `none` and dropped country; forward against v2 accepts an
    # added column, forward against v1 still misses country.
    "forward": (
        [(BASE_COLUMNS, "none"), (replace_column("country", None), "forward")],
        replace_column("country", None) + (col("score", "double"),)),
}


@pytest.mark.parametrize("direction", ["backward", "forward", "full"])
def test_transitive_modes_compare_with_every_earlier_version(direction: str) -> None:
    history_spec, new_columns = TRANSITIVE_CASES["forward" if direction == "full" else direction]
    for transitive in (False, True):
        mode = f"{direction}_transitive" if transitive else direction
        history = [(f"registry v{i + 1}", contract(cols, mode=m if m == "none" else mode))
                   for i, (cols, m) in enumerate(history_spec)]
        new = contract(new_columns, mode=mode)
        report = check_contracts({new.key: new}, {new.key: history})
        assert report.ok is not transitive, (mode, [v.to_dict() for v in report.violations])
        if transitive:
            assert {v.against for v in report.violations} == {"registry v1"}


def test_fail_on_dbt_breaking_turns_allowed_dbt_breaking_changes_into_violations() -> None:
    old = contract(mode="backward")
    new = contract(replace_column("country", None), mode="backward")
    assert check_contracts({new.key: new}, {old.key: [("v1", old)]}).ok
    report = check_contracts({new.key: new}, {old.key: [("v1", old)]},
                             fail_on_dbt_breaking=True)
    assert [(v.change.rule, v.mode) for v in report.violations] == [("column_removed", "dbt")]


def test_materialization_to_view_unenforces_constraints() -> None:
    old, new = contract(), contract(materialized="view")
    rules = [c.rule for c in diff_contracts(old, new)]
    assert rules == ["constraints_unenforced"]
    assert RULES["constraints_unenforced"].dbt_breaking
    incremental = replace(new, materialized="incremental")
    assert [c.rule for c in diff_contracts(old, incremental)] == ["materialization_changed"]


def test_unrelated_removed_and_added_columns_are_not_a_rename() -> None:
    new_columns = replace_column("tier", None) + (col("merchant_name", "bigint"),)
    rules = sorted(c.rule for c in diff_contracts(contract(), contract(new_columns)))
    assert rules == ["column_added", "column_removed"]


def test_reordering_and_respelling_are_allowed_changes() -> None:
    reordered = (BASE_COLUMNS[1], BASE_COLUMNS[0]) + BASE_COLUMNS[2:]
    changes = diff_contracts(contract(), contract(reordered, mode="full"))
    assert [c.rule for c in changes] == ["compatibility_changed", "columns_reordered"]
    assert not any(c.breaks("full") for c in changes)
