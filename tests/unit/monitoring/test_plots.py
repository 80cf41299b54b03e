"""Charts render to inline, deterministic SVG."""

from __future__ import annotations

from datetime import datetime, timedelta

from featureops.monitoring import plots


def test_threshold_bars_are_inline_and_deterministic() -> None:
    def draw() -> str:
        return plots.threshold_bars(["a", "b"], [0.05, 0.4], ["ok", "critical"], warn=0.1,
                                    critical=0.25, xlabel="PSI")
    svg = draw()
    assert svg.startswith("<svg") and "<?xml" not in svg
    assert 'href="http' not in svg  # xmlns names are not fetched; links would be
    assert plots.COLORS["critical"] in svg and svg == draw()


def test_volume_and_psi_charts_render() -> None:
    days = [datetime(2026, 10, 1) + timedelta(days=i) for i in range(5)]
    volume = plots.volume_panels({"feat_a": {
        "bucket_start": days, "metric_value": [10, 11, 9, 10, 2],
        "training_mean": [None, None, 10.0, 10.0, 10.0],
        "training_stddev": [None, None, 1.0, 0.8, 0.8], "level": "critical"}}, 3)
    psi = plots.psi_by_day({"v:f": (days, [0.0, 0.1, 0.2, 0.3, 0.4], "critical"),
                            "v:g": (days, [0.01] * 5, "ok")}, 0.1, 0.25)
    overlay = plots.distribution_overlay(["(-inf, 1]", "(1, inf]"], [0.5, 0.5], [0.2, 0.8], "t")
    for svg in (volume, psi, overlay):
        assert svg.startswith("<svg") and svg.rstrip().endswith("</svg>")


def test_sparkline_marks_the_last_point_and_survives_gaps() -> None:
    line = plots.sparkline([1.0, None, 3.0, 2.0], "warning")
    assert line.count("<polyline") == 1 and plots.COLORS["warning"] in line
    assert "nan" not in line
    flat = plots.sparkline([5.0, 5.0, 5.0])
    assert "<polyline" in flat  # a constant series is a flat line, not a division by zero
    assert "<polyline" not in plots.sparkline([None, 1.0]) + plots.sparkline([])
