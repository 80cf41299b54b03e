"""The rules of a monitoring test: the arguments of each run of it.

A test listed in YAML has one rule, its own arguments. A test the featureops package
attaches (``configured: true``) runs once per rule of ``vars.featureops.monitoring.tests.
<test>``; dbt keeps those in the test's ``config.meta.featureops.rules``, as the build saw
them (``--vars`` included), which is where the filters and thresholds are read from.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from featureops.manifest import DataTest

#: Arguments that are not rules: the tested model, and the switch to the vars rules.
_NOT_RULES = ("model", "configured")


def rules_of(test: DataTest) -> list[dict[str, Any]]:
    """The rules the test ran (a configured test recorded by an older package, without its
    rules, counts as one rule with the defaults)."""
    if test.kwargs.get("configured") is not True:
        return [{key: value for key, value in test.kwargs.items() if key not in _NOT_RULES}]
    rules = _dig(test._raw, "config", "meta", "featureops", "rules")
    if not isinstance(rules, list):
        return [{}]
    return [dict(rule) for rule in rules if isinstance(rule, Mapping)]


def covers(test: DataTest, table: str) -> bool:
    """Whether some rule of the test looks at the table (no model_name filter: every one)."""
    return any(_selects(rule.get("model_name"), table) for rule in rules_of(test))


def rule_argument(test: DataTest, name: str) -> Any:
    """The argument as the first rule that sets it has it, else None (the default)."""
    return next((rule[name] for rule in rules_of(test) if rule.get(name) is not None), None)


def _selects(wanted: Any, table: str) -> bool:
    if wanted is None:
        return True
    return table == wanted if isinstance(wanted, str) else table in wanted


def _dig(data: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(data, Mapping):
            return None
        data = data.get(key)
    return data
