"""`featureops advise` on the example project's build: the recommendations docs/advise.md
predicts (spend windows with a 1 h SLA -> batch + speed layer; the profiles and merchant
risk -> batch; the request-time view -> request_time; SQLite; DuckDB), the numbers they
quote checked against independent readings of the warehouse, the store and
run_results.json, and the recommendations changing when the SLA or the load changes."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import apsw
import duckdb
import pytest
import yaml

from featureops.cli import run
from featureops.online import materialize
from featureops.project import Project
from featureops.serving.metrics import ServingMetrics
from tests.integration.online_support import END, drop_prefix
from tests.integration.test_postgres_target import (  # noqa: F401 - both_targets: a fixture
    both_targets,
    cli_args,
    project_dir,
)

pytestmark = pytest.mark.slow
SPEND = "feat_user__spend_windows"


@pytest.fixture(scope="module")
def project(duckdb_build, tmp_path_factory: pytest.TempPathFactory) -> Project:
    """The build, with a private SQLite store holding every online view."""
    work = tmp_path_factory.mktemp("advise")
    config = {"online_store": {"type": "sqlite", "path": str(work / "online.db")},
              "sla": {"history": str(work / "sla.jsonl")},
              "serving": {"log_dir": str(work / "serving_log")}}
    (work / "featureops.yml").write_text(yaml.safe_dump(config))
    project = Project(work, duckdb_build.manifest_path)
    materialize(project, end_time=END, progress=False, warehouse=duckdb_build.duckdb_path)
    return project


def advise(project: Project, duckdb_build, capsys, *extra: str,
           manifest: Path | None = None) -> dict:
    code = run(["advise", "--project-dir", str(project.project_dir), "-m",
                str(manifest or project.manifest_path), "--warehouse",
                str(duckdb_build.duckdb_path), "--run-results",
                str(duckdb_build.target_dir / "run_results.json"), "--format", "json", *extra])
    out = capsys.readouterr().out
    assert code == 0, out
    return json.loads(out)


def by_view(report: dict) -> dict[str, dict]:
    return {r["subject"]: r for r in report["architecture"]}


def test_the_example_gets_what_the_docs_predict(project, duckdb_build, capsys) -> None:
    report = advise(project, duckdb_build, capsys)
    views = by_view(report)
    assert {name: (r["choice"], r["rule"]) for name, r in views.items()} == {
        "feat_merchant__profile": ("batch", "architecture.batch_keeps_sla"),
        "feat_merchant__risk_windows": ("batch", "architecture.batch_keeps_sla"),
        "feat_transaction__context": ("request_time", "architecture.request_time"),
        "feat_user__profile": ("batch", "architecture.batch_keeps_sla"),
        SPEND: ("batch+speed_layer", "architecture.speed_layer"),
    }
    spend = views[SPEND]["numbers"]
    assert spend["can_stream"] is True and spend["sla_seconds"] == 3600
    assert views["feat_merchant__profile"]["numbers"]["can_stream"] is False
    assert spend["trained_on"] == ["train_fraud_detection__transactions"]
    assert "late_share" in views[SPEND]["unknown"]  # no created_timestamp: stated
    assert (report["online_store"]["choice"], report["warehouse_engine"]["choice"]) == (
        "sqlite", "duckdb")
    assert report["inputs"]["serving_metrics"]["available"] is False
    assert "read_qps" in report["online_store"]["unknown"]


def test_quoted_numbers_match_independent_readings(project, duckdb_build, capsys) -> None:
    report = advise(project, duckdb_build, capsys)
    results = json.loads((duckdb_build.target_dir / "run_results.json").read_text())
    spend = by_view(report)[SPEND]["numbers"]
    assert spend["build_seconds"] == pytest.approx(results["elapsed_time"], rel=1e-5)
    conn = duckdb.connect(str(duckdb_build.duckdb_path), read_only=True)
    try:
        newest, oldest = conn.execute(f"select max(event_at), min(event_at) from main.{SPEND}"
                                      ).fetchone()
        start = max(newest - timedelta(days=7), oldest)
        (rows,) = conn.execute(f"select count(*) from main.{SPEND} where event_at > ?",
                               [start]).fetchone()
        # the store's entities: users with a row in (END - ttl, END]
        (users,) = conn.execute(
            f"select count(distinct user_id) from main.{SPEND} where event_at > ? "
            "and event_at <= ?", [END.replace(tzinfo=None) - timedelta(days=30),
                                  END.replace(tzinfo=None)]).fetchone()
        (size,) = conn.execute("select total_blocks * block_size from pragma_database_size()"
                               ).fetchone()
    finally:
        conn.close()
    assert spend["rows_per_second"] == pytest.approx(
        rows / (newest - start).total_seconds(), rel=1e-5)
    store = report["online_store"]["numbers"]
    # the example's one streaming view: each of its events is one stream write
    assert store["stream_write_qps"] == pytest.approx(spend["rows_per_second"], rel=1e-12)
    sizes = {v["view"]: v for v in store["views"]}
    assert sizes[SPEND]["entities"] == users
    db = apsw.Connection(str(project.project_dir / "online.db"), flags=apsw.SQLITE_OPEN_READONLY)
    (version,) = db.execute("select version from featureops_live where view = ?",
                            (SPEND,)).fetchone()
    records = db.execute(f'select entity_key, value from "fo__{SPEND}__{version}"').fetchall()
    assert len(records) == users
    assert sizes[SPEND]["bytes_per_entity"] == pytest.approx(
        sum(len(k) + len(v) for k, v in records) / users, rel=1e-5)
    assert store["entities"] == sum(v["entities"] for v in store["views"])
    assert report["warehouse_engine"]["numbers"]["database_bytes"] == size
    slowest = sorted(((r["execution_time"], r["unique_id"].rsplit(".", 1)[-1])
                      for r in results["results"] if r["unique_id"].startswith("model.")),
                     reverse=True)[:3]
    assert [m["model"] for m in report["warehouse_engine"]["numbers"]["slowest_models"]] == [
        name for _, name in slowest]


def test_same_inputs_same_bytes_and_other_formats(project, duckdb_build, capsys) -> None:
    argv = ["advise", "--project-dir", str(project.project_dir), "-m",
            str(project.manifest_path), "--warehouse", str(duckdb_build.duckdb_path)]
    outputs = []
    for _ in range(2):
        assert run([*argv, "--format", "json"]) == 0
        outputs.append(capsys.readouterr().out)
    assert outputs[0] == outputs[1]
    assert run([*argv, "--format", "markdown", SPEND]) == 0
    markdown = capsys.readouterr().out
    assert f"| {SPEND} | **batch+speed_layer** | `architecture.speed_layer` |" in markdown
    assert "feat_user__profile |" not in markdown  # only the selected view's architecture
    assert run([*argv, SPEND]) == 0
    assert "batch+speed_layer" in capsys.readouterr().out


def changed_sla(manifest: Path, out: Path, view: str, freshness: str) -> Path:
    data = json.loads(manifest.read_text())
    node = data["nodes"][f"model.fraud_example.{view}"]
    for meta in (node["meta"], node["config"]["meta"]):
        meta["featureops"]["sla"] = {"freshness": freshness}
    out.write_text(json.dumps(data))
    return out


def test_a_looser_sla_turns_the_speed_layer_into_batch(project, duckdb_build, capsys,
                                                       tmp_path: Path) -> None:
    manifest = changed_sla(project.manifest_path, tmp_path / "manifest.json", SPEND, "2h")
    spend = by_view(advise(project, duckdb_build, capsys, manifest=manifest))[SPEND]
    assert (spend["choice"], spend["rule"]) == ("batch", "architecture.batch_keeps_sla")
    # 24 new rows an hour: a 2-minute SLA gets under one row per period, which no pipeline
    # can keep young
    manifest = changed_sla(project.manifest_path, tmp_path / "manifest.json", SPEND, "2m")
    spend = by_view(advise(project, duckdb_build, capsys, manifest=manifest))[SPEND]
    assert spend["rule"] == "architecture.rows_rarer_than_sla"
    assert spend["numbers"]["rows_per_sla"] < 1


class _GrowingMetrics(BaseHTTPRequestHandler):
    """/metrics whose lookup counter grows by ``per_scrape`` at every scrape."""

    metrics: ServingMetrics
    per_scrape = 0

    def do_GET(self) -> None:  # noqa: N802 - the http.server hook name
        counter = self.metrics.requests.labels("/features", "200")
        counter.inc(self.per_scrape)
        for _ in range(100):
            self.metrics.latency.labels("/features").observe(0.0004)
        self.send_response(200)
        self.end_headers()  # HTTP/1.0: the body ends when the connection closes
        self.wfile.write(self.metrics.render())

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def metrics_server() -> Iterator[tuple[str, type[_GrowingMetrics]]]:
    handler = type("Handler", (_GrowingMetrics,), {"metrics": ServingMetrics()})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/metrics", handler
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize(("per_scrape", "choice", "shards"), [
    (1_000, "sqlite", None),  # ~1,000 reads/s over 1 s
    (5_000, "redis", 1),  # over SQLite's 2,000/s
    (75_000, "redis_cluster", 2),  # over one node's 50,000/s
])
def test_read_load_changes_the_store(project, duckdb_build, capsys, metrics_server,
                                     per_scrape: int, choice: str, shards: int | None) -> None:
    url, handler = metrics_server
    handler.per_scrape = per_scrape
    started = datetime.now()
    store = advise(project, duckdb_build, capsys, "--metrics-url", url,
                   "--metrics-seconds", "1")["online_store"]
    elapsed = (datetime.now() - started).total_seconds()
    assert store["choice"] == choice
    assert per_scrape / elapsed <= store["numbers"]["read_qps"] <= per_scrape
    assert store["numbers"]["latency_p99_seconds_at_most"] == 0.0005
    assert store["numbers"].get("shards") == shards


def test_an_unreachable_server_leaves_the_load_unknown(project, duckdb_build, capsys) -> None:
    report = advise(project, duckdb_build, capsys, "--metrics-url",
                    "http://127.0.0.1:1/metrics")
    assert report["inputs"]["serving_metrics"]["available"] is False
    assert "cannot read metrics from http://127.0.0.1:1/metrics" in \
        report["online_store"]["unknown"]["read_qps"]
    assert report["online_store"]["numbers"]["read_qps"] is None
    assert report["online_store"]["choice"] == "sqlite"


def test_redis_sizes_and_the_projection_from_sqlite(project, duckdb_build, capsys,
                                                    tmp_path: Path) -> None:
    """The same views in Redis: the sampled MEMORY USAGE per key matches the mean over
    every key, and the projection advise makes from the SQLite store comes within 10 % of
    what Redis really uses (the calibration of redis_key_overhead_bytes)."""
    from featureops.online.config import open_online_store
    from tests.services import require_redis

    require_redis()
    prefix = f"fo_advise_{uuid.uuid4().hex[:8]}"
    (tmp_path / "featureops.yml").write_text(yaml.safe_dump(
        {"online_store": {"type": "redis", "key_prefix": prefix}}))
    in_redis = Project(tmp_path, duckdb_build.manifest_path)
    store = open_online_store(in_redis)
    try:
        materialize(in_redis, end_time=END, progress=False, store=store,
                    warehouse=duckdb_build.duckdb_path)
        measured = {v["view"]: v for v in advise(in_redis, duckdb_build, capsys)[
            "online_store"]["numbers"]["views"]}
        projected = {v["view"]: v for v in advise(project, duckdb_build, capsys)[
            "online_store"]["numbers"]["views"]}
        for view, size in measured.items():
            version = store.live_state(view).version
            keys = list(store.client.scan_iter(match=f"{prefix}:{view}:{version}:*",
                                               count=10_000))
            usage = sum(store.client.memory_usage(k, samples=0) for k in keys)
            assert size["measured_in"] == "redis"
            assert size["entities"] == len(keys) == projected[view]["entities"]
            assert size["projected_redis_bytes"] == pytest.approx(usage * 1.2, rel=0.05)
            # the SQLite projection names keys with the default prefix, not this test's
            name_difference = len(f"featureops:{project.manifest.project_name}") - len(prefix)
            from_sqlite = projected[view]["projected_redis_bytes"] / 1.2 \
                - len(keys) * name_difference
            assert from_sqlite == pytest.approx(usage, rel=0.10), view
    finally:
        drop_prefix(store)


def test_sla_history_and_serving_log_feed_the_views(project, duckdb_build, capsys,
                                                    tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    from featureops.serving.log import SCHEMA

    history = tmp_path / "history.jsonl"
    history.write_text("".join(json.dumps(
        {"kind": "violation", "recorded_at": "2026-11-01T06:00:00+00:00",
         "view": "feat_merchant__profile", "sla": sla, "status": "violated"}) + "\n"
        for sla in ("freshness_warehouse", "freshness_online", "completeness")))
    served = datetime(2026, 11, 1, 12)
    ages = [60.0 * minutes for minutes in range(1, 101)]
    rows = [{"request_id": str(i), "served_at": served, "service": None,
             "feature_view": SPEND, "feature": "amount_usd_sum_1h",
             "entity_key": '{"user_id":1}', "value_double": 1.0, "value_text": None,
             "status": "present", "event_at": served - timedelta(seconds=age)}
            for i, age in enumerate(ages)]
    log = tmp_path / "log"
    log.mkdir()
    pq.write_table(pa.Table.from_pylist(rows, schema=SCHEMA), log / "serving_log_1_a.parquet")
    report = advise(project, duckdb_build, capsys, "--history", str(history),
                    "--serving-log", str(log))
    views = by_view(report)
    merchant = views["feat_merchant__profile"]
    assert (merchant["choice"], merchant["rule"]) == ("batch",
                                                      "architecture.batch_misses_schedule")
    assert merchant["numbers"]["freshness_violations"] == 2
    # quantile_cont of 1..100 minutes at 0.95: 95.05 minutes
    assert views[SPEND]["numbers"]["served_age_p95_seconds"] == pytest.approx(95.05 * 60)
    assert "served_age_p95_seconds" in views["feat_user__profile"]["unknown"]
    assert report["inputs"]["sla_history"] == {"available": True, "detail": str(history)}


def test_thresholds_come_from_the_settings(project, duckdb_build, capsys,
                                           tmp_path: Path) -> None:
    (tmp_path / "featureops.yml").write_text(yaml.safe_dump({
        "online_store": {"type": "sqlite", "path": str(project.project_dir / "online.db")},
        "advise": {"batch_interval": "15m", "sqlite_max_bytes": 1000}}))
    report = advise(Project(tmp_path, duckdb_build.manifest_path), duckdb_build, capsys)
    spend = by_view(report)[SPEND]
    assert report["thresholds"]["batch_interval"] == "15m"
    assert spend["numbers"]["batch_staleness_seconds"] == pytest.approx(
        900 + spend["numbers"]["build_seconds"])
    assert spend["choice"] == ("batch" if spend["numbers"]["batch_staleness_seconds"] <= 3600
                               else "batch+speed_layer")
    assert report["online_store"]["choice"] == "redis"  # records over 1,000 bytes


def test_a_bad_threshold_is_one_line_naming_file_and_field(duckdb_build, capsys,
                                                           tmp_path: Path) -> None:
    (tmp_path / "featureops.yml").write_text("advise:\n  batch_interval: 1 hour\n")
    code = run(["advise", "--project-dir", str(tmp_path), "-m",
                str(duckdb_build.manifest_path), "--no-online"])
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert err.startswith(f"error: {tmp_path / 'featureops.yml'}: advise.batch_interval: ")
    assert "not a duration" in err and len(err.splitlines()) == 1


def test_postgres_warehouse_gives_the_same_architecture(both_targets, tmp_path: Path,  # noqa: F811
                                                        capsys) -> None:
    """The same data built on Postgres: the same row rates and recommendations, the
    engine named after the manifest's adapter and sized by Postgres."""
    root = project_dir(tmp_path / "project")
    reports = {}
    for target in ("dev", "postgres"):
        assert run(["advise", *cli_args(both_targets, target, root), "--no-online",
                    "--format", "json"]) == 0
        reports[target] = json.loads(capsys.readouterr().out)
    duck, postgres = (by_view(reports[t]) for t in ("dev", "postgres"))
    assert {v: r["choice"] for v, r in postgres.items()} == {
        v: r["choice"] for v, r in duck.items()}
    for view, result in duck.items():
        rate = result["numbers"]["rows_per_second"]  # None for the request-time view
        assert postgres[view]["numbers"]["rows_per_second"] == (
            rate if rate is None else pytest.approx(rate, rel=1e-9)), view
    engine = reports["postgres"]["warehouse_engine"]
    assert engine["choice"] == "postgres" and engine["numbers"]["database_bytes"] > 0
    assert reports["postgres"]["inputs"]["warehouse"]["detail"].startswith("Postgres")
