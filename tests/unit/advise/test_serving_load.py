"""Read load from two /metrics scrapes of a real ServingMetrics registry: rates are the
counter deltas over the time between scrapes, percentiles the bounds of the buckets that
hold them (checked against the observations the test made)."""

from __future__ import annotations

import pytest

from featureops.advise.serving_load import load_between, measure_load, parse_scrape
from featureops.advise.settings import AdviseConfigError
from featureops.serving.metrics import ServingMetrics


def scrape(metrics: ServingMetrics):
    return parse_scrape(metrics.render().decode())


def test_rates_and_percentiles_are_deltas_between_scrapes() -> None:
    metrics = ServingMetrics()
    for _ in range(500):  # before the first scrape: not counted
        metrics.record_request("/features", 200, 0.2)
    first = scrape(metrics)
    for index in range(1000):
        metrics.record_request("/features", 200, 0.0003 if index < 980 else 0.004)
    for _ in range(100):
        metrics.record_request("/similar", 503, 0.0003)
        metrics.record_request("/push/{view}", 200, 0.001)
    metrics.record_request("/health", 200, 0.0001)  # not a lookup
    load = load_between(first, scrape(metrics), 10.0)
    assert load.read_qps == pytest.approx(110.0)  # 1,100 lookups, failed ones included
    assert load.write_qps == pytest.approx(10.0)
    assert load.latency_p50_seconds == 0.0005  # 0.3 ms lies in the (0.25, 0.5] ms bucket
    # 1,080 of 1,100 at 0.3 ms is 98.2 %: the 99th percentile is in the 4 ms bucket (<= 5)
    assert load.latency_p99_seconds == 0.005
    assert load.unknown == {}


def test_no_lookups_leaves_latency_unknown() -> None:
    metrics = ServingMetrics()
    first = scrape(metrics)
    load = load_between(first, scrape(metrics), 5.0)
    assert load.read_qps == 0.0
    assert load.latency_p99_seconds is None
    assert "no lookup" in load.unknown["latency_p99"]


def test_a_restarted_server_is_not_a_negative_rate() -> None:
    before = ServingMetrics()
    before.record_request("/features", 200, 0.001)
    load = load_between(scrape(before), scrape(ServingMetrics()), 5.0)
    assert load.read_qps is None and "restarted" in load.unknown["read_qps"]


def test_measure_load_scrapes_twice_with_the_time_between() -> None:
    metrics = ServingMetrics()
    clock = []

    def fetch(url: str) -> str:
        assert url == "http://server/metrics"
        clock.append(url)
        for _ in range(50):
            metrics.record_request("/features", 200, 0.0001)
        return metrics.render().decode()

    load = measure_load("http://server/metrics", 0.2, fetch=fetch)
    assert len(clock) == 2
    assert 50 / 0.4 < load.read_qps <= 50 / 0.2  # 50 lookups over at least 0.2 s


def test_text_that_is_not_prometheus_is_one_line() -> None:
    with pytest.raises(AdviseConfigError, match="not Prometheus text"):
        parse_scrape("featureops_requests_total{endpoint=\n")
