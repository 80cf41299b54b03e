"""The rule registry: the built-in rules (every module of ``featureops.audit.rules``) and
rules from user namespaces (any importable module or package), with duplicate ids refused."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterable, Iterator
from types import ModuleType

from featureops.audit.rule import Rule
from featureops.exceptions import FeatureopsError

BUILTIN_NAMESPACE = "featureops.audit.rules"


class DuplicateRuleError(FeatureopsError):
    """Two rules have the same id."""


class RuleNamespaceError(FeatureopsError):
    """A configured rule namespace cannot be imported."""


class RuleRegistry:
    def __init__(self) -> None:
        self._rules: dict[str, Rule] = {}

    @classmethod
    def with_namespaces(cls, namespaces: Iterable[str] = ()) -> RuleRegistry:
        registry = cls()
        for namespace in (BUILTIN_NAMESPACE, *namespaces):
            registry.discover(namespace)
        return registry

    def register(self, rule: Rule) -> None:
        existing = self._rules.get(rule.id)
        if existing is not None and existing is not rule:
            raise DuplicateRuleError(
                f"audit rule id `{rule.id}` is defined twice ({existing.module} and "
                f"{rule.module}); rename one of the rule functions"
            )
        self._rules[rule.id] = rule

    def discover(self, namespace: str) -> None:
        """Register every module-level Rule of a module, or of every module of a package."""
        try:
            root = importlib.import_module(namespace)
        except ImportError as error:
            raise RuleNamespaceError(
                f"audit rule namespace `{namespace}` cannot be imported ({error}); check "
                f"vars.featureops.audit.rule_namespaces in dbt_project.yml and that the module "
                f"is on PYTHONPATH"
            ) from None
        for module in _modules(root):
            for value in vars(module).values():
                if isinstance(value, Rule):
                    self.register(value)

    def __iter__(self) -> Iterator[Rule]:
        return iter(sorted(self._rules.values(), key=lambda r: (r.target, r.id)))

    def __contains__(self, rule_id: object) -> bool:
        return rule_id in self._rules

    def __len__(self) -> int:
        return len(self._rules)

    def get(self, rule_id: str) -> Rule:
        return self._rules[rule_id]

    @property
    def ids(self) -> list[str]:
        return sorted(self._rules)


def _modules(root: ModuleType) -> Iterator[ModuleType]:
    yield root
    for info in sorted(pkgutil.walk_packages(getattr(root, "__path__", []),
                                             prefix=f"{root.__name__}."),
                       key=lambda i: i.name):
        yield importlib.import_module(info.name)
