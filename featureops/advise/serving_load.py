"""Read load on the feature server from its Prometheus ``/metrics``: two scrapes some
seconds apart, so rates are deltas over a known time (a single scrape's counters have no
time base). Latency percentiles are the upper bounds of the histogram buckets they fall
in, so they read "at most"."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from featureops.advise.settings import AdviseConfigError

READ_ENDPOINTS = ("/features", "/similar")
PUSH_ENDPOINT = "/push/{view}"
REQUESTS = "featureops_requests_total"
LATENCY_BUCKETS = "featureops_request_duration_seconds_bucket"


@dataclass(frozen=True)
class Scrape:
    """The request counters and latency buckets of one scrape."""

    requests: dict[tuple[str, str], float]  # (endpoint, code) -> count
    buckets: dict[tuple[str, float], float]  # (endpoint, le) -> cumulative count


@dataclass(frozen=True)
class ServingLoad:
    read_qps: float | None = None
    write_qps: float | None = None
    latency_p50_seconds: float | None = None
    latency_p99_seconds: float | None = None
    unknown: dict[str, str] = field(default_factory=dict)


def parse_scrape(text: str) -> Scrape:
    """The counters advise reads from Prometheus text; a one-line error if it is not that."""
    from prometheus_client.parser import text_string_to_metric_families

    requests: dict[tuple[str, str], float] = {}
    buckets: dict[tuple[str, float], float] = {}
    try:
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                endpoint = sample.labels.get("endpoint", "")
                if sample.name == REQUESTS:
                    key = (endpoint, sample.labels.get("code", ""))
                    requests[key] = requests.get(key, 0.0) + float(sample.value)
                elif sample.name == LATENCY_BUCKETS:
                    bound = (endpoint, float(sample.labels.get("le", "+Inf")))
                    buckets[bound] = buckets.get(bound, 0.0) + float(sample.value)
    except (ValueError, TypeError) as error:
        raise AdviseConfigError(f"the metrics are not Prometheus text: {error}") from None
    return Scrape(requests, buckets)


def load_between(first: Scrape, second: Scrape, seconds: float) -> ServingLoad:
    """Rates and latency percentiles of what happened between two scrapes."""
    if seconds <= 0:
        raise ValueError("scrapes must be some time apart")
    deltas = {key: second.requests.get(key, 0.0) - first.requests.get(key, 0.0)
              for key in set(first.requests) | set(second.requests)}
    if any(delta < 0 for delta in deltas.values()):
        why = "the server's counters went back between the scrapes (it restarted)"
        return ServingLoad(unknown={"read_qps": why, "write_qps": why, "latency": why})
    reads = sum(d for (endpoint, _), d in deltas.items() if endpoint in READ_ENDPOINTS)
    pushes = sum(d for (endpoint, _), d in deltas.items() if endpoint == PUSH_ENDPOINT)
    bounds: dict[float, float] = {}
    for (endpoint, le), count in second.buckets.items():
        if endpoint in READ_ENDPOINTS:
            bounds[le] = bounds.get(le, 0.0) + count - first.buckets.get((endpoint, le), 0.0)
    unknown: dict[str, str] = {}
    p50 = _quantile(bounds, 0.5, unknown, "latency_p50")
    p99 = _quantile(bounds, 0.99, unknown, "latency_p99")
    return ServingLoad(reads / seconds, pushes / seconds, p50, p99, unknown)


def _quantile(bounds: dict[float, float], q: float, unknown: dict[str, str],
              name: str) -> float | None:
    """Upper bound of the bucket holding quantile ``q`` of the cumulative counts."""
    total = bounds.get(math.inf, 0.0)
    if total <= 0:
        unknown[name] = "no lookup was answered between the scrapes"
        return None
    for le in sorted(bounds):
        if bounds[le] >= q * total:
            if math.isinf(le):
                unknown[name] = "above the largest latency bucket"
                return None
            return le
    raise AssertionError("unreachable: the +Inf bucket holds every request")


def measure_load(url: str, seconds: float,
                 fetch: Callable[[str], str] | None = None,
                 sleep: Callable[[float], None] = time.sleep) -> ServingLoad:
    """Scrape ``url`` twice, ``seconds`` apart (token: FEATUREOPS_SERVE_TOKEN)."""
    if fetch is None:
        from featureops.sla import fetch_metrics as fetch  # the same GET `sla` makes
    first, first_at = _timed(fetch, url)
    sleep(seconds)
    second, second_at = _timed(fetch, url)
    return load_between(first, second, second_at - first_at)


def _timed(fetch: Callable[[str], str], url: str) -> tuple[Scrape, float]:
    """A scrape and the middle of the time it took (the counters' moment, near enough)."""
    started = time.monotonic()
    text = fetch(url)
    return parse_scrape(text), (started + time.monotonic()) / 2
