"""Charts of the monitoring report, rendered to inline SVG (no network, no JavaScript):
matplotlib for the charts, hand-written SVG for the small sparklines of the metric tables."""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from datetime import datetime

import matplotlib
from matplotlib.figure import Figure

COLORS = {"ok": "#2e7d32", "warning": "#ef8f00", "critical": "#c62828",
          "unchecked": "#9e9e9e", "insufficient_data": "#0277bd", "neutral": "#546e7a",
          "training": "#1565c0", "serving": "#ef6c00"}
_RC = {"svg.fonttype": "none", "svg.hashsalt": "featureops", "font.size": 9,
       "axes.spines.top": False, "axes.spines.right": False}


def to_svg(figure: Figure) -> str:
    """The figure as an inline <svg> element (no XML prolog, deterministic ids)."""
    buffer = io.StringIO()
    with matplotlib.rc_context(_RC):
        figure.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    text = buffer.getvalue()
    return text[text.index("<svg"):]


def new_figure(width: float, height: float) -> Figure:
    with matplotlib.rc_context(_RC):
        return Figure(figsize=(width, height), layout="constrained")


def threshold_bars(labels: Sequence[str], values: Sequence[float], levels: Sequence[str], *,
                   warn: float | None, critical: float | None, xlabel: str,
                   log: bool = False) -> str:
    """Horizontal bars (one per label) colored by level, with the warning and critical
    thresholds as dashed lines."""
    figure = new_figure(7.5, 0.9 + 0.24 * max(len(labels), 1))
    with matplotlib.rc_context(_RC):
        axes = figure.add_subplot()
        positions = range(len(labels))
        axes.barh(list(positions), [max(v, 1e-6) if log else v for v in values],
                  color=[COLORS[level] for level in levels])
        axes.set_yticks(list(positions), labels=list(labels))
        axes.invert_yaxis()
        for bound, level in ((warn, "warning"), (critical, "critical")):
            if bound is not None:
                axes.axvline(bound, color=COLORS[level], linestyle="--", linewidth=1,
                             label=f"{level} {bound:g}")
        if log:
            axes.set_xscale("log")
        axes.set_xlabel(xlabel)
        if warn is not None or critical is not None:
            axes.legend(loc="lower right", frameon=False)
    return to_svg(figure)


def volume_panels(series: dict[str, dict[str, list]], sensitivity: float) -> str:
    """Daily row counts per table with the expected band (training mean +/- sensitivity
    standard deviations of the buckets before each day)."""
    count = max(len(series), 1)
    columns = 2
    rows = math.ceil(count / columns)
    figure = new_figure(10, 2.3 * rows)
    with matplotlib.rc_context(_RC):
        for index, (table, data) in enumerate(series.items()):
            axes = figure.add_subplot(rows, columns, index + 1)
            days, values = data["bucket_start"], data["metric_value"]
            lower = [None if m is None or s is None else m - sensitivity * s
                     for m, s in zip(data["training_mean"], data["training_stddev"], strict=True)]
            upper = [None if m is None or s is None else m + sensitivity * s
                     for m, s in zip(data["training_mean"], data["training_stddev"], strict=True)]
            banded = [i for i, value in enumerate(lower) if value is not None]
            if banded:
                axes.fill_between([days[i] for i in banded], [lower[i] for i in banded],
                                  [upper[i] for i in banded], color=COLORS["training"],
                                  alpha=0.15, linewidth=0, label=f"expected (±{sensitivity:g}σ)")
            axes.plot(days, values, color=COLORS["neutral"], marker="o", markersize=2.5,
                      linewidth=1.2, label="rows per day")
            if days:
                axes.plot(days[-1:], values[-1:], "o", color=COLORS[data["level"]],
                          markersize=6)
            axes.set_title(table, fontsize=9, loc="left")
            axes.tick_params(axis="x", labelrotation=30, labelsize=7)
            if index == 0:
                axes.legend(frameon=False, fontsize=7, loc="lower left")
    return to_svg(figure)


def psi_by_day(series: dict[str, tuple[list[datetime], list[float], str]], warn: float,
               critical: float) -> str:
    """PSI of every served feature per serving day; flagged features in color, the rest
    grey and unlabelled."""
    figure = new_figure(10, 3.6)
    with matplotlib.rc_context(_RC):
        axes = figure.add_subplot()
        for label, (days, values, level) in sorted(series.items(),
                                                   key=lambda item: item[1][2] != "ok"):
            flagged = level != "ok"
            axes.plot(days, values, marker="o" if flagged else None, markersize=3,
                      linewidth=2 if flagged else 0.8,
                      color=COLORS[level] if flagged else "#b0bec5",
                      label=label if flagged else None, zorder=3 if flagged else 1)
        axes.axhline(warn, color=COLORS["warning"], linestyle="--", linewidth=1)
        axes.axhline(critical, color=COLORS["critical"], linestyle="--", linewidth=1)
        axes.set_ylabel("PSI, training vs served that day")
        axes.tick_params(axis="x", labelrotation=20)
        if any(level != "ok" for _, _, level in series.values()):
            axes.legend(frameon=False, fontsize=8, loc="upper left")
    return to_svg(figure)


def distribution_overlay(labels: Sequence[str], reference: Sequence[float],
                         current: Sequence[float], title: str,
                         names: tuple[str, str] = ("training", "serving")) -> str:
    """Side-by-side bars of both sides' shares per bin."""
    figure = new_figure(4.8, 2.6)
    with matplotlib.rc_context(_RC):
        axes = figure.add_subplot()
        positions = list(range(len(labels)))
        axes.bar([p - 0.2 for p in positions], reference, width=0.4, color=COLORS["training"],
                 label=names[0])
        axes.bar([p + 0.2 for p in positions], current, width=0.4, color=COLORS["serving"],
                 label=names[1])
        axes.set_xticks(positions, labels=list(labels), rotation=45, ha="right", fontsize=7)
        axes.set_ylabel("share")
        axes.set_title(title, fontsize=9, loc="left")
        axes.legend(frameon=False, fontsize=7)
    return to_svg(figure)


def sparkline(values: Sequence[float | None], level: str = "ok", width: int = 90,
              height: int = 22) -> str:
    """A tiny inline SVG line of the values; the last point marked in the level's color."""
    points = [(i, v) for i, v in enumerate(values) if v is not None and math.isfinite(v)]
    if len(points) < 2:
        return f'<svg class="spark" width="{width}" height="{height}"></svg>'
    low = min(v for _, v in points)
    high = max(v for _, v in points)
    span = (high - low) or 1.0
    last = len(values) - 1 or 1

    def xy(i: int, v: float) -> tuple[float, float]:
        return (2 + (width - 4) * i / last, height - 2 - (height - 4) * (v - low) / span)

    path = " ".join(f"{x:.1f},{y:.1f}" for x, y in (xy(i, v) for i, v in points))
    end_x, end_y = xy(*points[-1])
    return (f'<svg class="spark" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}" role="img">'
            f'<polyline fill="none" stroke="{COLORS["neutral"]}" stroke-width="1.2" '
            f'points="{path}"/><circle cx="{end_x:.1f}" cy="{end_y:.1f}" r="2.5" '
            f'fill="{COLORS[level]}"/></svg>')
