"""What alerts are made of: the problems one check run found, and the checks it judged.

A *problem* is one check failing on one table (``sla/feat_user__profile/freshness_online``):
its key is stable from run to run, which is what suppression and "resolved" rest on. An
:class:`Evaluation` is one run of one source (``monitor``, ``sla``, ``server``): its
problems, and the keys it *judged* (ok or not). Only a judged key can resolve: a check
that could not measure this time (insufficient data, store down) says nothing either way.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

SOURCES = ("monitor", "sla", "server")


def problem_key(source: str, table: str, check: str) -> str:
    return f"{source}/{table}/{check}"


@dataclass(frozen=True)
class Problem:
    source: str
    table: str
    check: str
    level: str  # warning | critical
    summary: str  # one line, plain text
    details: Mapping[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> str:
        return problem_key(self.source, self.table, self.check)


@dataclass(frozen=True)
class Evaluation:
    source: str
    problems: tuple[Problem, ...] = ()
    judged: frozenset[str] = frozenset()

    @classmethod
    def of(cls, source: str, problems: Iterable[Problem], judged: Iterable[str]) -> Evaluation:
        problems = tuple(problems)
        return cls(source, problems, frozenset(judged) | {p.key for p in problems})
