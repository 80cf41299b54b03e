"""Audit settings from ``dbt_project.yml``, so they live (and are reviewed) with the project::

    vars:
      featureops:
        audit:
          disable: [model_without_parents]
          enable: [model_undocumented_columns]          # rules that are off by default
          severity: {feature_view_missing_ttl: error}
          thresholds:
            feature_view_review_overdue: {max_age_days: 60}
          suppress:
            - rule: feature_view_without_consumer
              resource: feat_user__new_signals          # name, unique_id or glob
              reason: consumer ships in the Q1 fraud model release
              until: "2027-03-31"                       # optional expiry
          packages: [my_project, shared_models]         # default: the root project
          rule_namespaces: [my_company.audit_rules]     # extra rules

Strict (pydantic, ``extra="forbid"``): a typo in a key, an unknown rule id or threshold, or a
suppression without a reason is a one-line error naming the field.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from fnmatch import fnmatchcase
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from featureops.audit.registry import RuleRegistry
from featureops.exceptions import FeatureopsError

CONFIG_PATH = "dbt_project.yml: vars.featureops.audit"


class AuditConfigError(FeatureopsError):
    """The audit block of dbt_project.yml is invalid."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class Suppression(_Strict):
    rule: str
    resource: str = Field(min_length=1, description="Name, unique_id or glob pattern.")
    reason: str = Field(min_length=3, description="Why this finding is accepted.")
    until: date | None = Field(default=None, description="The suppression expires then.")

    def covers(self, rule_id: str, unique_id: str, name: str, today: date) -> bool:
        if self.rule not in (rule_id, "*") or (self.until is not None and today > self.until):
            return False
        return any(fnmatchcase(candidate, self.resource) for candidate in (unique_id, name))


class AuditConfig(_Strict):
    enable: list[str] = Field(default_factory=list)
    disable: list[str] = Field(default_factory=list)
    severity: dict[str, Literal["error", "warning", "info"]] = Field(default_factory=dict)
    thresholds: dict[str, dict[str, Any]] = Field(default_factory=dict)
    suppress: list[Suppression] = Field(default_factory=list)
    packages: list[str] | None = None
    rule_namespaces: list[str] = Field(default_factory=list)

    @classmethod
    def from_vars(cls, featureops_vars: Any) -> AuditConfig:
        """Parse ``vars.featureops`` (the ``audit`` key; other keys belong to others)."""
        if featureops_vars is None:
            return cls()
        if not isinstance(featureops_vars, Mapping):
            raise AuditConfigError(f"dbt_project.yml: vars.featureops must be a mapping, got "
                                   f"{type(featureops_vars).__name__}")
        block = featureops_vars.get("audit")
        if block is None:
            return cls()
        try:
            return cls.model_validate(block)
        except ValidationError as error:
            item = error.errors()[0]
            where = ".".join(str(p) for p in item["loc"])
            message = ("unknown key (see docs/audit.md)" if item["type"] == "extra_forbidden"
                       else item["msg"])
            raise AuditConfigError(f"{CONFIG_PATH}.{where}: {message}") from None

    def check_against(self, registry: RuleRegistry) -> None:
        """Every rule id and threshold named here must exist, with a value of the right type."""
        named = [("enable", r) for r in self.enable] + [("disable", r) for r in self.disable]
        named += [("severity", r) for r in self.severity]
        named += [("thresholds", r) for r in self.thresholds]
        named += [(f"suppress.{i}.rule", s.rule) for i, s in enumerate(self.suppress)
                  if s.rule != "*"]
        for where, rule_id in named:
            if rule_id not in registry:
                raise AuditConfigError(
                    f"{CONFIG_PATH}.{where}: unknown rule `{rule_id}`; run `featureops audit "
                    f"--list-rules` for the ids")
        for rule_id, values in self.thresholds.items():
            defaults = registry.get(rule_id).params
            for key, value in values.items():
                if key not in defaults:
                    known = ", ".join(defaults) or "none"
                    raise AuditConfigError(
                        f"{CONFIG_PATH}.thresholds.{rule_id}.{key}: unknown threshold "
                        f"(this rule has: {known})")
                if not _same_kind(value, defaults[key]):
                    raise AuditConfigError(
                        f"{CONFIG_PATH}.thresholds.{rule_id}.{key}: must be "
                        f"{type(defaults[key]).__name__}, got {value!r}")

    def is_enabled(self, rule_id: str, by_default: bool) -> bool:
        if rule_id in self.disable:
            return False
        return by_default or rule_id in self.enable

    def params_for(self, rule_id: str, defaults: Mapping[str, Any]) -> dict[str, Any]:
        return {**defaults, **self.thresholds.get(rule_id, {})}


def _same_kind(value: Any, default: Any) -> bool:
    if isinstance(default, bool):
        return isinstance(value, bool)
    if isinstance(default, (int, float)):
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if isinstance(default, (list, tuple)):
        return isinstance(value, list)
    return isinstance(value, type(default))
