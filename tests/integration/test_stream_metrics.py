"""/metrics reports the freshness of streamed features (issue #14 item 5): per streaming
view, the seconds from its stream watermark (newest event applied) and from its live batch
version's boundary to now, equal to what the events and the materialized version say, and
following new events within a reading interval, on SQLite and Redis."""

from __future__ import annotations

import time
from datetime import timezone

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from featureops.online.materialize import materialize
from featureops.online.sdk import OnlineFeatureClient
from featureops.serving.app import create_app
from featureops.serving.metrics_streams import REFRESH_SECONDS
from featureops.serving.settings import ServingSettings
from featureops.streaming.state import open_state
from tests.integration.online_support import project_for
from tests.integration.stream_serving_support import VIEW, micros, online_store, view_rows

pytestmark = pytest.mark.slow


@pytest.fixture(params=["sqlite", "redis"])
def store(request, tmp_path):
    yield from online_store(request.param, tmp_path)


def _gauges(http: TestClient) -> dict[str, float]:
    text = http.get("/metrics").text
    return {f"{sample.name}{sample.labels.get('view', '')}": sample.value
            for family in text_string_to_metric_families(text)
            if family.name.startswith("featureops_stream_") for sample in family.samples}


def _reading_after(http: TestClient, since: float) -> dict[str, float]:
    """The gauges once a reading newer than ``since`` (time.time()) is reported."""
    deadline = time.monotonic() + 20 * REFRESH_SECONDS
    while time.monotonic() < deadline:
        gauges = _gauges(http)
        age = gauges["featureops_stream_freshness_reading_age_seconds"]
        if 0 <= age <= time.time() - since:
            return gauges
        time.sleep(0.1)
    raise AssertionError(f"no reading of the stream state since {since}: {gauges}")


def test_metrics_report_watermark_and_boundary_ages(duckdb_build, monkeypatch, store,
                                                    tmp_path):
    project = project_for(duckdb_build, monkeypatch)
    view, inputs, _ = view_rows(duckdb_build, project)
    times = [micros(t) for t in inputs.column("event_at").to_pylist()]
    cut = int(len(times) * 0.9)
    end = inputs.column("event_at")[cut].as_py().replace(tzinfo=timezone.utc)
    materialize(project, store=store, select=[VIEW], end_time=end, progress=False)
    boundary = max(t for t in times if t <= micros(end)) + 1
    state = open_state(project, store.config)
    client = OnlineFeatureClient(project, store=store)
    app = create_app(project, client=client, serving_log=False, tokens=(),
                     settings=ServingSettings(log_dir=str(tmp_path / "log")))
    lag = f"featureops_stream_freshness_lag_seconds{VIEW}"
    try:
        with TestClient(app) as http:
            gauges = _reading_after(http, time.time())
            assert lag not in gauges  # no event streamed yet: no watermark to be behind
            assert gauges[f"featureops_stream_batch_boundary_age_seconds{VIEW}"] == \
                pytest.approx(time.time() - boundary / 1e6, abs=5)
            for upto in (cut + 1000, len(times)):
                state.apply(view, inputs.slice(cut, upto - cut))
                gauges = _reading_after(http, time.time())
                assert gauges[lag] == pytest.approx(time.time() - times[upto - 1] / 1e6, abs=5)
    finally:
        state.close()
        client.close()
