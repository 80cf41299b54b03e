"""A recommendation and the formatting of the numbers it quotes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Recommendation:
    """What one rule concluded for one subject, with the numbers it used.

    ``numbers`` holds the inputs in base units (seconds, bytes, per second; None when
    unknown), ``unknown`` why each missing one is missing, ``would_change`` what would
    turn the recommendation into another one."""

    subject: str  # a view name, "online store" or "warehouse"
    topic: str  # architecture | online_store | warehouse_engine
    choice: str
    rule: str
    reason: str
    would_change: str
    numbers: dict[str, Any] = field(default_factory=dict)
    unknown: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"subject": self.subject, "topic": self.topic, "choice": self.choice,
                "rule": self.rule, "reason": self.reason, "would_change": self.would_change,
                "numbers": {k: _plain(v) for k, v in self.numbers.items()},
                "unknown": dict(self.unknown)}


def _plain(value: Any) -> Any:
    """Floats rounded to 6 significant digits, so JSON does not carry float noise."""
    if isinstance(value, float):
        return float(f"{value:.6g}")
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def seconds_text(seconds: float) -> str:
    """``3600`` -> ``1h``, ``5400`` -> ``1h30m``, ``0.0004`` -> ``0.4 ms``."""
    if seconds < 1:
        return f"{seconds * 1000:.3g} ms"
    whole = round(seconds)
    parts = []
    for unit, size in (("d", 86_400), ("h", 3_600), ("m", 60), ("s", 1)):
        count, whole = divmod(whole, size)
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts[:2])


def bytes_text(count: float) -> str:
    for unit, size in (("TiB", 1024 ** 4), ("GiB", 1024 ** 3), ("MiB", 1024 ** 2),
                       ("KiB", 1024)):
        if count >= size:
            return f"{count / size:.3g} {unit}"
    return f"{count:.0f} B"


def rate_text(per_second: float) -> str:
    """A rate in the unit that reads best: ``0.0064`` -> ``23/h``."""
    for unit, size in (("s", 1), ("min", 60), ("h", 3_600), ("d", 86_400)):
        if per_second * size >= 1:
            return f"{per_second * size:.3g}/{unit}"
    return f"{per_second * 86_400:.3g}/d"
