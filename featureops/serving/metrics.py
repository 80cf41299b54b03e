"""Prometheus metrics of the feature server (one registry per app, so tests and several
apps in one process do not share counters)."""

from __future__ import annotations

import time
from collections import Counter as Tally
from typing import TYPE_CHECKING, Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

if TYPE_CHECKING:
    from featureops.online.sdk import OnlineColumns

# Sub-millisecond buckets: lookups take tens to hundreds of microseconds.
LATENCY_BUCKETS = (0.0001, 0.00025, 0.0005, 0.00075, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05,
                   0.1, 0.25, 0.5, 1.0, 2.5)


class ServingMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.latency = Histogram(
            "featureops_request_duration_seconds", "Request latency by endpoint.",
            ["endpoint"], buckets=LATENCY_BUCKETS, registry=self.registry)
        self.requests = Counter(
            "featureops_requests", "Requests by endpoint and HTTP status.",
            ["endpoint", "code"], registry=self.registry)
        self.errors = Counter(
            "featureops_request_errors", "Failed requests by endpoint and reason.",
            ["endpoint", "reason"], registry=self.registry)
        # labels bounded by the project's views x four statuses: values come from resolved
        # feature references only (an unknown feature is a 400 before anything is counted)
        self.values = Counter(
            "featureops_feature_values", "Feature values served, by view and status "
            "(present, not_found, outside_ttl, stale).",
            ["view", "status"], registry=self.registry)
        self._value_children: dict[tuple[str, str], Any] = {}
        self._request_children: dict[tuple[str, int], tuple[Any, Any]] = {}
        self.log_dropped = Counter(
            "featureops_serving_log_dropped", "Responses left out of the serving log because "
            "its queue was full (the writer could not keep up).", registry=self.registry)
        self.store_up = Gauge(
            "featureops_store_up", "1 while the online store answers, 0 while it does not.",
            registry=self.registry)
        self.store_up.set(1)

    def count_columns(self, answer: OnlineColumns) -> None:
        """Count one answer's values per view and status. A view's columns share one
        statuses list, so each view's statuses are tallied once."""
        totals: dict[tuple[str, str], int] = {}
        tallied: Any = None
        counts: Any = ()
        for view, column in zip(answer.feature_views, answer.columns, strict=True):
            statuses = column.statuses
            if statuses is not tallied:
                tallied = statuses
                counts = (((statuses[0], 1),) if len(statuses) == 1
                          else Tally(statuses).items())
            for status, count in counts:
                key = (view, status)
                totals[key] = totals.get(key, 0) + count
        for labels, count in totals.items():
            child = self._value_children.get(labels)
            if child is None:
                child = self._value_children[labels] = self.values.labels(*labels)
            child.inc(count)

    def record_request(self, endpoint: str, code: int, seconds: float) -> None:
        """One answered request: its latency, its status, and its error reason if any."""
        children = self._request_children.get((endpoint, code))
        if children is None:  # labels() is not free
            children = (self.latency.labels(endpoint), self.requests.labels(endpoint, str(code)))
            self._request_children[(endpoint, code)] = children
        children[0].observe(seconds)
        children[1].inc()
        if code >= 400:
            reason = _REASONS.get(code, "internal" if code >= 500 else "client_error")
            self.errors.labels(endpoint, reason).inc()

    def render(self) -> bytes:
        return generate_latest(self.registry)


_REASONS = {400: "bad_request", 401: "unauthorized", 404: "not_found", 405: "bad_method",
            413: "too_large", 422: "invalid", 499: "client_closed", 503: "store_unavailable"}


class MetricsMiddleware:
    """Pure ASGI middleware: latency histogram and status counters per route template."""

    def __init__(self, app: Any, metrics: ServingMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = [500]

        async def record_status(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, record_status)
        finally:
            route = scope.get("route")
            self.metrics.record_request(getattr(route, "path", None) or "unmatched", status[0],
                                        time.perf_counter() - started)
