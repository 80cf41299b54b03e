"""Independent NumPy/SciPy computations of the monitoring statistics, the oracles the SQL
macros are checked against: quantile bins as numpy computes them, bins (lower, upper],
PSI with empty shares replaced by epsilon, scipy's Jensen-Shannon distance (base 2) and
two-sample KS statistic, z-scores against the buckets before each one."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.spatial.distance import jensenshannon
from scipy.stats import ks_2samp

EPSILON = 1e-4
#: The floor of the z-score's denominator per metric (see macros/monitoring/metric_anomalies).
RESOLUTION = {"row_count": 1.0, "distinct_count": 1.0, "null_rate": 0.001}


@dataclass(frozen=True)
class Comparison:
    psi: float
    jensen_shannon: float
    ks_statistic: float | None
    mean_shift_sd: float | None
    edges: np.ndarray | None
    reference_shares: np.ndarray
    current_shares: np.ndarray


def compare_numeric(reference: np.ndarray, current: np.ndarray, bins: int = 10,
                    epsilon: float = EPSILON) -> Comparison:
    reference = reference[~np.isnan(reference)]
    current = current[~np.isnan(current)]
    edges = np.unique(np.quantile(reference, [i / bins for i in range(1, bins)]))
    p = np.bincount(np.searchsorted(edges, reference), minlength=len(edges) + 1)
    q = np.bincount(np.searchsorted(edges, current), minlength=len(edges) + 1)
    shift = (current.mean() - reference.mean()) / reference.std(ddof=1)
    return _scored(p, q, epsilon, float(ks_2samp(reference, current).statistic), shift, edges)


def compare_categories(reference: Sequence[object], current: Sequence[object],
                       epsilon: float = EPSILON) -> Comparison:
    reference = [v for v in reference if v is not None]
    current = [v for v in current if v is not None]
    categories = sorted(set(reference) | set(current))
    p = np.array([reference.count(c) for c in categories])
    q = np.array([current.count(c) for c in categories])
    return _scored(p, q, epsilon, None, None, None)


def _scored(p: np.ndarray, q: np.ndarray, epsilon: float, ks: float | None,
            shift: float | None, edges: np.ndarray | None) -> Comparison:
    p, q = p / p.sum(), q / q.sum()
    p_smooth, q_smooth = np.where(p > 0, p, epsilon), np.where(q > 0, q, epsilon)
    psi = float(np.sum((q_smooth - p_smooth) * np.log(q_smooth / p_smooth)))
    return Comparison(psi, float(jensenshannon(p, q, base=2)), ks,
                      None if shift is None else float(shift), edges, p, q)


def z_scores(values: Sequence[float], metric: str, window: int = 14,
             minimum: int = 7) -> list[float | None]:
    """Each value against the `window` values before it (never itself)."""
    resolution = RESOLUTION.get(metric, 1e-9)
    scores: list[float | None] = []
    for index, value in enumerate(values):
        baseline = np.array(values[max(0, index - window):index])
        if len(baseline) < minimum:
            scores.append(None)
            continue
        scale = max(baseline.std(ddof=1), abs(baseline.mean()) * 1e-6, resolution)
        scores.append(float((value - baseline.mean()) / scale))
    return scores


def level(value: float, warning: float, critical: float) -> str:
    return "critical" if value >= critical else "warning" if value >= warning else "ok"
