"""General model hygiene, in the spirit of dbt-project-evaluator: applies to any project."""

from __future__ import annotations

from featureops.audit.context import AuditContext
from featureops.audit.coverage import not_null_columns, unique_column_sets
from featureops.audit.rule import rule
from featureops.manifest import Node


@rule(severity="warning", target="model",
      fix="Add a description to the model's YAML entry: what one row is and what it is for.")
def model_missing_description(model: Node, ctx: AuditContext) -> str | None:
    """Model without a description."""
    return None if model.description.strip() else "has no description"


@rule(severity="warning", target="model",
      fix="Add data tests in the model's YAML (at least unique and not_null on its key).")
def model_without_tests(model: Node, ctx: AuditContext) -> str | None:
    """Model with no data test at all."""
    return None if ctx.tests_on(model.unique_id) else "has no data tests"


@rule(severity="warning", target="model",
      fix="Test the primary key: unique + not_null on one column, or "
          "unique_combination_of_columns on the key columns.")
def model_missing_primary_key_test(model: Node, ctx: AuditContext) -> str | None:
    """Model (other than a feature view, see feature_view_entity_keys_untested) whose
    primary key is not tested for uniqueness and non-nullness."""
    tests = ctx.tests_on(model.unique_id)
    if ctx.is_feature_view(model) or not tests:
        return None  # no tests at all is model_without_tests' finding
    not_null = not_null_columns(model, tests)
    for columns in unique_column_sets(tests):
        if len(columns) > 1 or columns <= not_null:
            return None
    return "has no tested primary key (unique + not_null on the same column(s))"


@rule(severity="warning", target="model",
      fix="Add `contract: {enforced: true}` to the model's config with a data_type per "
          "column, or make it protected.")
def public_model_without_contract(model: Node, ctx: AuditContext) -> str | None:
    """Public model (access: public) without an enforced contract."""
    if model.access != "public" or model.contract_enforced:
        return None
    return "is public but its contract is not enforced, so other projects may break"


@rule(severity="warning", target="model",
      fix="Declare the table it reads as a source (or seed) and select from "
          "{{ source(...) }} / {{ ref(...) }}.")
def model_without_parents(model: Node, ctx: AuditContext) -> str | None:
    """Model with no parent node: it reads hard-coded relations, invisible to lineage."""
    if model.depends_on or model.language != "sql":
        return None
    return "depends on no source, seed or model (hard-coded table names?)"


@rule(severity="info", target="model", enabled=False,
      fix="Describe every column of public models in YAML.")
def model_undocumented_columns(model: Node, ctx: AuditContext) -> str | None:
    """Public model with columns that have no description (opt-in)."""
    if model.access != "public":
        return None
    missing = [name for name, column in model.columns.items()
               if not column.description.strip()]
    if not missing:
        return None
    return f"{len(missing)} column(s) without description: {', '.join(missing[:8])}"
