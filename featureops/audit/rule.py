"""Audit rules: small functions over one kind of manifest resource, registered by ``@rule``.

A rule function takes the resource and the :class:`~featureops.audit.context.AuditContext`
and returns a message (a problem was found) or None. Its name is the rule id, the first
line of its docstring the description; ``severity``, ``target`` and ``fix`` come from the
decorator. Keyword-only arguments with defaults are the rule's thresholds, which projects
override in ``dbt_project.yml`` (``vars: featureops: audit: thresholds:``)::

    @rule(severity="warning", target="feature_view", fix="Review the view and set ...")
    def feature_view_review_overdue(view, ctx, *, max_age_days: int = 90) -> str | None:
        \"\"\"Feature view not reviewed in the last `max_age_days` days.\"\"\"
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Severity = Literal["error", "warning", "info"]
SEVERITIES: tuple[str, ...] = ("error", "warning", "info")
#: What a rule is evaluated on (see AuditContext.resources).
TARGETS: tuple[str, ...] = ("feature_view", "model", "source", "exposure", "seed")

RuleFunction = Callable[..., "str | None"]


@dataclass(frozen=True)
class Rule:
    id: str
    description: str
    severity: str
    target: str
    fix: str
    function: RuleFunction = field(repr=False, compare=False)
    params: Mapping[str, Any] = field(default_factory=dict)
    enabled_by_default: bool = True
    module: str = ""

    def check(self, resource: Any, context: Any, params: Mapping[str, Any]) -> str | None:
        return self.function(resource, context, **params)


@dataclass(frozen=True)
class Finding:
    """One problem on one resource; ``suppressed`` holds the reason when a committed
    suppression covers it."""

    rule: str
    severity: str
    resource: str
    name: str
    path: str
    message: str
    fix: str
    suppressed: str | None = None

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        if self.suppressed is None:
            del data["suppressed"]
        return data


def rule(*, severity: Severity = "warning", target: str = "model", fix: str,
         enabled: bool = True) -> Callable[[RuleFunction], Rule]:
    """Turn a function into a :class:`Rule` (the registry collects module-level Rules)."""
    if severity not in SEVERITIES:
        raise ValueError(f"severity must be one of {SEVERITIES}, got {severity!r}")
    if target not in TARGETS:
        raise ValueError(f"target must be one of {TARGETS}, got {target!r}")

    def decorate(function: RuleFunction) -> Rule:
        doc = inspect.getdoc(function) or ""
        if not doc:
            raise ValueError(f"rule {function.__name__} needs a docstring (its description)")
        params = {
            name: parameter.default
            for name, parameter in inspect.signature(function).parameters.items()
            if parameter.kind is inspect.Parameter.KEYWORD_ONLY
            and parameter.default is not inspect.Parameter.empty
        }
        summary = " ".join(doc.split("\n\n")[0].split())  # the first paragraph
        return Rule(id=function.__name__, description=summary,
                    severity=severity, target=target, fix=" ".join(fix.split()),
                    function=function, params=params, enabled_by_default=enabled,
                    module=function.__module__)

    return decorate
