"""Monitoring: the results of the dbt monitors (models/monitoring/, macros/monitoring/) read
back, summarized, rendered, and a serving-workload replay for the skew monitors.

The public names are loaded on first use, so importing featureops stays fast (the report
needs matplotlib, the summary pandas)::

    from featureops.monitoring import open_warehouse, summarize, render_report
"""

from __future__ import annotations

from featureops._lazy import lazy_exports

_EXPORTS = {
    "DriftSpec": "featureops.monitoring.replay",
    "MonitoringError": "featureops.monitoring.errors",
    "MonitoringSummary": "featureops.monitoring.summary",
    "load_serving_log": "featureops.monitoring.serving_log",
    "open_warehouse": "featureops.monitoring.warehouse",
    "render_report": "featureops.monitoring.report",
    "replay_serving_traffic": "featureops.monitoring.replay",
    "serving_log_dir": "featureops.monitoring.serving_log",
    "summarize": "featureops.monitoring.summary",
}

__all__ = sorted(_EXPORTS)

__getattr__ = lazy_exports(__name__, _EXPORTS)
