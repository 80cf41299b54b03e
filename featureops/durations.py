"""Durations as written in meta.featureops (``ttl: 7d``, ``sla: {freshness: 1h}``).

One syntax everywhere, shared with the ``interval_literal`` dbt macro: a positive
integer followed by s, m, h, d or w. Minutes are ``m``; months are not offered
because their length varies.
"""

from __future__ import annotations

import re
from datetime import timedelta

DURATION_PATTERN = re.compile(r"([1-9][0-9]*)([smhdw])")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86_400, "w": 604_800}


def parse_duration(text: str) -> timedelta:
    """Parse ``'7d'`` into ``timedelta(days=7)``; raise ValueError on anything else."""
    match = DURATION_PATTERN.fullmatch(str(text).strip())
    if match is None:
        raise ValueError(
            f"'{text}' is not a duration: use a positive integer and one of "
            "s, m, h, d, w (for example 90s, 15m, 1h, 7d, 2w)"
        )
    count, unit = match.groups()
    return timedelta(seconds=int(count) * _UNIT_SECONDS[unit])


def format_duration(value: timedelta) -> str:
    """The shortest exact featureops spelling of a timedelta (``timedelta(hours=48)`` -> 2d)."""
    seconds = int(value.total_seconds())
    if seconds <= 0 or seconds != value.total_seconds():
        raise ValueError(f"{value!r} is not a positive whole number of seconds")
    for unit in ("w", "d", "h", "m", "s"):
        if seconds % _UNIT_SECONDS[unit] == 0:
            return f"{seconds // _UNIT_SECONDS[unit]}{unit}"
    raise AssertionError("unreachable: every whole second count is divisible by 1")
