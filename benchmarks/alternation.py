"""Same-run comparisons that shifting load on the machine cannot bias: the implementations
run round by round in rotating order (each takes every position in turn), and each ratio is
taken within one round, between runs that were close in time."""

from __future__ import annotations

import statistics
from collections.abc import Callable, Mapping, Sequence
from typing import TypeVar

_T = TypeVar("_T")


def round_order(kinds: Sequence[str], round_index: int) -> list[str]:
    """The order of round ``round_index``: ``kinds`` rotated left by the round's number."""
    if not kinds:
        raise ValueError("nothing to alternate")
    shift = round_index % len(kinds)
    return [*kinds[shift:], *kinds[:shift]]


def alternate(runs: Mapping[str, Callable[[], _T]], rounds: int) -> dict[str, list[_T]]:
    """Each run's results, one per round, the runs called in ``round_order`` each round."""
    if rounds < 1:
        raise ValueError("at least one round is needed")
    results: dict[str, list[_T]] = {kind: [] for kind in runs}
    for number in range(rounds):
        for kind in round_order(list(runs), number):
            results[kind].append(runs[kind]())
    return results


def round_ratios(numerators: Sequence[float], denominators: Sequence[float]) -> list[float]:
    """Per round, numerator / denominator (the two lists hold one value per round)."""
    return [a / b for a, b in zip(numerators, denominators, strict=True)]


def describe_ratios(ratios: Sequence[float]) -> str:
    """``median 1.31x (rounds 1.28x, 1.31x, 1.40x)``."""
    rounds = ", ".join(f"{ratio:.2f}x" for ratio in ratios)
    return f"median {statistics.median(ratios):.2f}x (rounds {rounds})"
