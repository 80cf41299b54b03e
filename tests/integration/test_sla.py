"""`featureops sla` on the example project's build: freshness against an independent reading
of the warehouse, online freshness from a store the test writes, completeness against a
previous build in the history, availability from the server's Prometheus metrics, exit
codes, criticality and the violation history."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import duckdb
import pytest
import yaml

from featureops.catalog import FeatureCatalog
from featureops.cli import run
from featureops.contracts.rules import model_rules
from featureops.contracts.validation import RecordValidator
from featureops.manifest import Manifest
from featureops.online.push import push_records
from featureops.project import Project
from featureops.serving.metrics import ServingMetrics
from featureops.sla import SlaHistory, SlaSettings, Sources, evaluate
from featureops.testing.manifests import ManifestBuilder
from tests.conftest import REPO_ROOT

pytestmark = pytest.mark.slow
NOW = datetime(2026, 11, 1, 6, 0, tzinfo=timezone.utc)


@pytest.fixture
def project(duckdb_build, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Project:
    config = {"online_store": {"type": "sqlite", "path": str(tmp_path / "online.db")},
              "sla": {"min_completeness": 0.9, "min_availability": 0.99,
                      "history": str(tmp_path / "sla.jsonl")}}
    (tmp_path / "featureops.yml").write_text(yaml.safe_dump(config))
    monkeypatch.delenv("FEATUREOPS_ONLINE_STORE", raising=False)
    return Project(tmp_path, duckdb_build.manifest_path)


def metrics_file(path: Path, ok: int, failed: int, client_errors: int = 0) -> Path:
    metrics = ServingMetrics()
    metrics.requests.labels("/features", "200").inc(ok)
    metrics.requests.labels("/features", "503").inc(failed)
    metrics.requests.labels("/features", "400").inc(client_errors)  # client errors count as up
    metrics.requests.labels("/health", "503").inc(1000)  # not a lookup: ignored
    path.write_bytes(metrics.render())
    return path


def sla_json(project: Project, duckdb_build, capsys, *extra: str) -> tuple[int, dict]:
    code = run(["sla", "--project-dir", str(project.project_dir), "-m",
                str(project.manifest_path), "--warehouse", str(duckdb_build.duckdb_path),
                "--now", NOW.strftime("%Y-%m-%dT%H:%M:%S"), "--json", *extra])
    return code, json.loads(capsys.readouterr().out)


def by_key(report: dict) -> dict[tuple[str, str], dict]:
    return {(r["view"], r["sla"]): r for r in report["results"]}


def test_warehouse_freshness_matches_an_independent_reading(project, duckdb_build,
                                                            capsys) -> None:
    code, report = sla_json(project, duckdb_build, capsys, "--no-online", "--no-record")
    results = by_key(report)
    catalog = FeatureCatalog.from_manifest(project.manifest)
    conn = duckdb.connect(str(duckdb_build.duckdb_path), read_only=True)
    expected_broken = set()
    try:
        for view in catalog.views.values():
            newest = conn.execute(f"select max(event_at) from main.{view.name}").fetchone()[0]
            age = NOW - newest.replace(tzinfo=timezone.utc)
            broken = age > view.spec.sla.freshness_delta
            assert results[(view.name, "freshness_warehouse")]["status"] == (
                "violated" if broken else "ok"), view.name
            if broken:
                expected_broken.add(view.name)
    finally:
        conn.close()
    # The data ends at midnight; at 06:00 the 1h views are late, the 1d views and the
    # merchant profile (30d SLA, last onboarding two weeks old) are fine.
    assert expected_broken == {"feat_user__spend_windows", "feat_transaction__context"}
    assert code == 1 and report["ok"] is False


def _push(project: Project, view_name: str, records: list[dict]) -> None:
    view = FeatureCatalog.from_manifest(project.manifest).view(view_name)
    validator = RecordValidator(model_rules(project.manifest, view.model))
    rows = [validator.validate(record).row for record in records]
    push_records(project, view, validator.to_arrow(rows))


def test_online_freshness_reads_the_live_version(project, duckdb_build, capsys) -> None:
    _push(project, "feat_user__profile", [
        {"user_id": 1, "event_at": "2026-10-30T12:00:00", "card_tier": "gold"},
        {"user_id": 2, "event_at": "2026-10-31T12:00:00", "card_tier": "gold"}])
    _push(project, "feat_merchant__risk_windows", [
        {"merchant_id": 3, "event_at": "2026-10-29T00:00:00", "transaction_count_7d": 1,
         "amount_usd_sum_7d": 1.0, "transaction_count_30d": 1, "amount_usd_sum_30d": 1.0,
         "chargeback_count_30d": 0}])
    code, report = sla_json(project, duckdb_build, capsys, "--no-record")
    results = by_key(report)
    fresh = results[("feat_user__profile", "freshness_online")]
    assert (fresh["status"], fresh["observed"]) == ("ok", "18h0m")
    late = results[("feat_merchant__risk_windows", "freshness_online")]
    assert (late["status"], late["observed"]) == ("violated", "3d6h")
    never = results[("feat_user__spend_windows", "freshness_online")]
    assert never["status"] == "unknown" and "never materialized" in never["detail"]
    assert ("feat_transaction__context", "freshness_online") not in results  # offline view
    assert code == 1


def test_completeness_compares_with_the_previous_build(project, duckdb_build, capsys,
                                                       tmp_path: Path) -> None:
    history = tmp_path / "sla.jsonl"
    previous = {"kind": "build", "recorded_at": "2026-10-31T00:00:00+00:00",
                "invocation_id": "previous-build", "built_at": "2026-10-31T00:00:00"}
    history.write_text(
        json.dumps({**previous, "view": "feat_user__profile", "rows": 2000}) + "\n"
        + json.dumps({**previous, "view": "feat_user__spend_windows", "rows": 100_000}) + "\n")
    code, report = sla_json(project, duckdb_build, capsys, "--no-online")
    results = by_key(report)
    assert results[("feat_user__profile", "completeness")]["status"] == "ok"
    shrunk = results[("feat_user__spend_windows", "completeness")]
    assert shrunk["status"] == "violated" and shrunk["critical"]
    assert shrunk["observed"] == "49.8%"  # 49,787 rows against 100,000
    assert results[("feat_merchant__profile", "completeness")]["status"] == "unknown"
    entries = [json.loads(line) for line in history.read_text().splitlines()]
    builds = [e for e in entries if e["kind"] == "build" and e["invocation_id"] != "previous-build"]
    violations = [e for e in entries if e["kind"] == "violation"]
    assert len(builds) == 5  # this build of each view, recorded once
    assert {(v["view"], v["sla"]) for v in violations} >= {
        ("feat_user__spend_windows", "completeness")}
    assert all(v["recorded_at"] == NOW.isoformat() for v in violations)
    sla_json(project, duckdb_build, capsys, "--no-online")
    again = [json.loads(line) for line in history.read_text().splitlines()]
    assert len([e for e in again if e["kind"] == "build"]) == len(builds) + 2


@pytest.mark.parametrize("ok,failed,status", [(9_950, 50, "ok"), (9_000, 1_000, "violated")])
def test_availability_from_prometheus_metrics(project, duckdb_build, capsys, tmp_path: Path,
                                              ok: int, failed: int, status: str) -> None:
    path = metrics_file(tmp_path / "metrics.txt", ok, failed, client_errors=500)
    code, report = sla_json(project, duckdb_build, capsys, "--no-online", "--no-record",
                            "--metrics", str(path))
    availability = by_key(report)[("feat_user__profile", "availability")]
    assert availability["status"] == status
    expected = (ok + 500) / (ok + failed + 500)
    assert availability["observed"] == f"{expected:.3%}"


def test_only_active_views_make_a_violation_critical() -> None:
    builder = ManifestBuilder("shop")
    for name, status in (("feat_a", "active"), ("feat_b", "experimental")):
        builder.feature_view(name, block={"status": status, "sla": {"freshness": "1h"}})
    catalog = FeatureCatalog.from_manifest(Manifest.from_dict(builder.build()))
    stale = NOW - timedelta(hours=2)
    sources = Sources(newest_in_warehouse=lambda view: stale)
    report = evaluate(catalog, sources, SlaSettings(), now=NOW)
    freshness = {r.view: r for r in report.results if r.sla == "freshness_warehouse"}
    assert freshness["feat_a"].status == freshness["feat_b"].status == "violated"
    assert [r.view for r in report.critical_violations] == ["feat_a"]


def test_history_file_rejects_corruption(tmp_path: Path) -> None:
    path = tmp_path / "sla.jsonl"
    path.write_text('{"kind": "build"}\nnot json\n')
    with pytest.raises(Exception, match=r"sla\.jsonl:2: not a JSON line"):
        SlaHistory(path).entries()


def test_postgres_warehouse_gives_the_same_freshness(postgres_build, duckdb_build, project,
                                                     capsys, monkeypatch) -> None:
    _, on_duckdb = sla_json(project, duckdb_build, capsys, "--no-online", "--no-record")
    for name, value in postgres_build.env.items():  # the target dbt built with
        monkeypatch.setenv(name, value)
    code = run(["sla", "--project-dir", str(project.project_dir), "-m",
                str(postgres_build.manifest_path), "--profiles-dir", str(REPO_ROOT),
                "--profile", "fraud_example", "--no-online", "--no-record", "--now",
                NOW.strftime("%Y-%m-%dT%H:%M:%S"), "--json"])
    on_postgres = json.loads(capsys.readouterr().out)
    assert code == 1
    freshness = [(r["view"], r["status"], r["observed"]) for r in on_postgres["results"]
                 if r["sla"] == "freshness_warehouse"]
    assert freshness == [(r["view"], r["status"], r["observed"]) for r in on_duckdb["results"]
                         if r["sla"] == "freshness_warehouse"]
    # Postgres reports rows_affected, so completeness needs no count(*) there.
    completeness = by_key(on_postgres)[("feat_user__profile", "completeness")]
    assert completeness["observed"] == "2,000 rows"
