"""Errors of the monitoring commands (one line each, naming what is wrong and what to do)."""

from __future__ import annotations

from featureops.exceptions import FeatureopsError


class MonitoringError(FeatureopsError):
    """Monitoring cannot run: missing artifacts or warehouse, bad options or input."""
