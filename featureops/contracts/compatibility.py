"""Compatibility of a contract change, under the Confluent Schema Registry modes adapted to
tables (docs/decisions/0030-contract-compatibility-modes.md).

A contract is read by *readers* (consumers: ML models, training-set queries, online
lookups) and written by *writers* (the dbt model, producers pushing records, and every row
already stored offline or online). Following Confluent:

* ``backward``: a reader of the new contract can read rows written under the old one
  (consumers upgrade first; history stays readable).
* ``forward``: a reader of the old contract can read rows written under the new one
  (writers upgrade first; deployed consumers keep working).
* ``full``: both. ``*_transitive``: against every earlier version, not only the last.
* ``none``: no check.

:func:`diff_contracts` lists every change between two contracts as :class:`Change`
objects, each an instance of a rule in :data:`RULES` that says which direction it breaks;
:func:`violations_of` keeps those the mode forbids.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from featureops.contracts.contract import (
    ColumnContract,
    Contract,
    constraint_identity,
    describe_constraint,
)
from featureops.contracts.types import classify_type_change, parse_type

MODES = ("backward", "backward_transitive", "forward", "forward_transitive", "full",
         "full_transitive", "none")


@dataclass(frozen=True)
class Rule:
    """A kind of contract change and whether each direction of compatibility survives it.

    ``dbt_breaking`` marks the changes dbt's ``state:modified.contract`` reports as breaking
    (UnversionedBreakingChange / ContractBreakingChangeError).
    """

    name: str
    backward_ok: bool
    forward_ok: bool
    dbt_breaking: bool
    description: str


RULES: dict[str, Rule] = {rule.name: rule for rule in (
    Rule("column_added", True, True, False,
         "a nullable column, or one with a declared default, was added: old rows read it "
         "as null (or the default), old readers ignore it"),
    Rule("required_column_added", False, True, False,
         "a not-null column without a default was added: rows written before it have no "
         "value for it"),
    Rule("column_removed", True, False, True,
         "a column was removed: readers of the old contract select it by name"),
    Rule("column_renamed", False, False, True,
         "a column was renamed (same type, same place): readers of either contract miss "
         "the other's values, and old rows read as null under the new name"),
    Rule("type_widened", True, False, True,
         "a type was widened (e.g. integer to bigint): old values fit the new type, new "
         "values may not fit the old one"),
    Rule("type_narrowed", False, True, True,
         "a type was narrowed (e.g. bigint to integer): old values may not fit"),
    Rule("type_changed", False, False, True,
         "a type changed to one that neither holds the other (e.g. text to bigint)"),
    Rule("type_respelled", True, True, True,
         "the same type is spelled differently (e.g. int8 to bigint); dbt compares the "
         "strings and flags it"),
    Rule("nullability_tightened", False, True, False,
         "a nullable column became not-null: rows written before may hold nulls"),
    Rule("nullability_loosened", True, False, True,
         "a not-null column became nullable: readers of the old contract do not expect "
         "nulls"),
    Rule("constraint_added", False, True, False,
         "a constraint was added: rows written before may violate it"),
    Rule("constraint_dropped", True, False, True,
         "a constraint was dropped: readers of the old contract rely on its guarantee"),
    Rule("default_changed", True, True, False,
         "a column's declared default changed"),
    Rule("columns_reordered", True, True, False,
         "the column order changed; readers select columns by name"),
    Rule("materialization_changed", True, True, False,
         "the materialization changed; constraints stay enforced"),
    Rule("constraints_unenforced", True, False, True,
         "the model left a materialization that enforces constraints (table, "
         "incremental), so its constraints no longer hold"),
    Rule("contract_removed", False, False, True,
         "the contract is no longer enforced, or the model (version) is gone"),
    Rule("compatibility_changed", True, True, False,
         "the compatibility mode changed; the mode registered before governs this "
         "change"),
)}


@dataclass(frozen=True)
class Change:
    """One difference between two contracts of a model version."""

    model: str
    model_version: str | None
    column: str | None
    rule: str
    old: str | None
    new: str | None
    detail: str = ""

    @property
    def spec(self) -> Rule:
        return RULES[self.rule]

    @property
    def dbt_breaking(self) -> bool:
        return self.spec.dbt_breaking

    def breaks(self, mode: str) -> bool:
        """Does ``mode`` forbid this change?"""
        direction = mode.removesuffix("_transitive")
        if direction == "none":
            return False
        backward_broken = not self.spec.backward_ok
        forward_broken = not self.spec.forward_ok
        if direction == "backward":
            return backward_broken
        if direction == "forward":
            return forward_broken
        return backward_broken or forward_broken


@dataclass(frozen=True)
class Violation:
    """A change the governing mode forbids, against one earlier version."""

    change: Change
    mode: str
    against: str

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self.change)
        data.update(mode=self.mode, against=self.against,
                    dbt_breaking=self.change.dbt_breaking)
        return data


# A change before it is bound to a model: (rule, column, old value, new value, detail).
_Raw = tuple[str, "str | None", Any, Any, str]


def diff_contracts(old: Contract, new: Contract) -> list[Change]:
    """Every change from ``old`` to ``new``, column changes in the new column order."""
    raw: list[_Raw] = []
    if old.compatibility != new.compatibility:
        raw.append(("compatibility_changed", None, old.compatibility, new.compatibility, ""))
    raw.extend(_membership_changes(old, new))
    old_cols = old.column_map
    for column in new.columns:
        if column.name in old_cols:
            raw.extend((rule, column.name, before, after, detail)
                       for rule, before, after, detail in _column_changes(
                           old_cols[column.name], column, old.adapter, new.adapter))
    kept_old = [c.name for c in old.columns if c.name in new.column_map]
    kept_new = [c.name for c in new.columns if c.name in old_cols]
    if kept_old != kept_new:
        raw.append(("columns_reordered", None, ", ".join(kept_old), ", ".join(kept_new), ""))
    raw.extend((rule, None, before, after, "")
               for rule, before, after in _constraint_changes(old.constraints, new.constraints))
    if old.materialized != new.materialized:
        loses = old.enforces_constraints and not new.enforces_constraints and _has_constraints(old)
        raw.append(("constraints_unenforced" if loses else "materialization_changed", None,
                    old.materialized, new.materialized, ""))
    return [Change(new.model, new.model_version, column, rule,
                   None if before is None else str(before),
                   None if after is None else str(after), detail)
            for rule, column, before, after, detail in raw]


def _membership_changes(old: Contract, new: Contract) -> Iterator[_Raw]:
    """Columns renamed, removed and added."""
    removed = [c for c in old.columns if c.name not in new.column_map]
    added = [c for c in new.columns if c.name not in old.column_map]
    renames = _pair_renames(old, new, removed, added)
    renamed_old = {pair[0].name for pair in renames}
    renamed_new = {pair[1].name for pair in renames}
    for old_col, new_col in renames:
        yield ("column_renamed", new_col.name, old_col.name, new_col.name,
               f"{old_col.name} ({old_col.data_type}) looks renamed to {new_col.name}")
    for column in removed:
        if column.name not in renamed_old:
            yield ("column_removed", column.name, column.data_type, None, "")
    for column in added:
        if column.name not in renamed_new:
            required = not column.nullable and not column.has_default
            yield ("required_column_added" if required else "column_added", column.name,
                   None, _column_summary(column), "")


def _column_summary(column: ColumnContract) -> str:
    text = f"{column.data_type} {'null' if column.nullable else 'not null'}"
    if column.has_default:
        text += f" default {column.default!r}"
    return text


def _column_changes(old: ColumnContract, new: ColumnContract, old_adapter: str | None,
                    new_adapter: str | None) -> Iterator[tuple[str, Any, Any, str]]:
    kind = classify_type_change(old.data_type, new.data_type, old_adapter, new_adapter)
    if kind != "same":
        yield (f"type_{kind}", old.data_type, new.data_type, "")
    if old.nullable and not new.nullable:
        yield ("nullability_tightened", "null", "not null", "")
    elif not old.nullable and new.nullable:
        yield ("nullability_loosened", "not null", "null", "")
    for rule, old_value, new_value in _constraint_changes(
            _without_nullability(old.constraints), _without_nullability(new.constraints)):
        yield (rule, old_value, new_value, "")
    if (old.has_default, old.default) != (new.has_default, new.default):
        yield ("default_changed", repr(old.default) if old.has_default else None,
               repr(new.default) if new.has_default else None, "")


def _without_nullability(constraints: Sequence[tuple[tuple[str, Any], ...]]
                         ) -> list[tuple[tuple[str, Any], ...]]:
    # not_null is reported as nullability; primary_key stays (it is also a uniqueness).
    return [c for c in constraints if dict(c).get("type") != "not_null"]


def _constraint_changes(old: Sequence[tuple[tuple[str, Any], ...]],
                        new: Sequence[tuple[tuple[str, Any], ...]]
                        ) -> Iterator[tuple[str, str | None, str | None]]:
    old_ids = {constraint_identity(c): c for c in old}
    new_ids = {constraint_identity(c): c for c in new}
    for identity, constraint in old_ids.items():
        if identity not in new_ids:
            yield ("constraint_dropped", describe_constraint(constraint), None)
    for identity, constraint in new_ids.items():
        if identity not in old_ids:
            yield ("constraint_added", None, describe_constraint(constraint))


def _has_constraints(contract: Contract) -> bool:
    return bool(contract.constraints) or any(c.constraints for c in contract.columns)


def _pair_renames(old: Contract, new: Contract, removed: list[ColumnContract],
                  added: list[ColumnContract]) -> list[tuple[ColumnContract, ColumnContract]]:
    """Removed/added pairs that look like one renamed column: the same type, and the same
    neighbour on either side or a similar name. Greedy, best-scoring pairs first."""
    if not removed or not added:
        return []
    old_names = [c.name for c in old.columns]
    new_names = [c.name for c in new.columns]
    scored = []
    for gone in removed:
        for fresh in added:
            if not _same_type(gone, fresh, old.adapter, new.adapter):
                continue
            neighbours = _neighbours(old_names, gone.name) & _neighbours(new_names, fresh.name)
            similarity = difflib.SequenceMatcher(None, gone.name, fresh.name).ratio()
            if neighbours or similarity >= 0.6:
                scored.append((len(neighbours) + similarity, gone, fresh))
    pairs: list[tuple[ColumnContract, ColumnContract]] = []
    used_old: set[str] = set()
    used_new: set[str] = set()
    for _, gone, fresh in sorted(scored, key=lambda item: -item[0]):
        if gone.name not in used_old and fresh.name not in used_new:
            pairs.append((gone, fresh))
            used_old.add(gone.name)
            used_new.add(fresh.name)
    return pairs


def _same_type(a: ColumnContract, b: ColumnContract, a_adapter: str | None,
               b_adapter: str | None) -> bool:
    if a.data_type is None or b.data_type is None:
        return a.data_type == b.data_type
    return parse_type(a.data_type, a_adapter) == parse_type(b.data_type, b_adapter)


def _neighbours(names: list[str], name: str) -> set[tuple[str, str]]:
    index = names.index(name)
    out = set()
    if index > 0:
        out.add(("before", names[index - 1]))
    if index + 1 < len(names):
        out.add(("after", names[index + 1]))
    return out


def removal_change(contract: Contract, why: str) -> Change:
    """The change recorded when a registered model version has no contract any more."""
    return Change(contract.model, contract.model_version, None, "contract_removed",
                  f"{len(contract.columns)} columns", None, why)


def violations_of(changes: Sequence[Change], mode: str, against: str) -> list[Violation]:
    return [Violation(change, mode, against) for change in changes if change.breaks(mode)]


def check_history(new: Contract, history: Sequence[tuple[str, Contract]]) -> list[Violation]:
    """Violations of ``new`` against its history ``[(label, contract), ...]`` (oldest
    first) under the mode of the latest earlier version: the last one only, or all for
    a transitive mode. A violation found against several versions is reported once, for
    the most recent."""
    if not history:
        return []
    mode = history[-1][1].compatibility
    compared = history if mode.endswith("_transitive") else history[-1:]
    seen: set[tuple[Any, ...]] = set()
    out: list[Violation] = []
    for label, old in reversed(compared):
        for violation in violations_of(diff_contracts(old, new), mode, label):
            change = violation.change
            key = (change.column, change.rule, change.old, change.new)
            if key not in seen:
                seen.add(key)
                out.append(violation)
    return out
