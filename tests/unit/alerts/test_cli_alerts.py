"""--alert/--no-alert on `featureops sla` and `featureops monitor` (default from the
settings): a violation reaches the receiver once, a second run within suppress_for is quiet,
a fixed view sends "resolved"; a failed delivery is a warning that keeps the exit code
unless alerts.fail_on_delivery_error."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import pytest
import yaml

from featureops.cli import run
from featureops.testing import ManifestBuilder
from tests.unit.alerts.conftest import SLACK, WEBHOOK, Receiver, monitoring_summary

NOW = datetime(2026, 11, 5, 12, 0)


@pytest.fixture
def project(tmp_path: Path, receiver: Receiver, monkeypatch: pytest.MonkeyPatch) -> Path:
    """feat_fresh and feat_late (sla freshness 1h) in a DuckDB file `dev.duckdb`; feat_late's
    newest row is 3 hours old at NOW. Alerts go to the receiver's /hook and /slack."""
    monkeypatch.setenv("HOOK_URL", f"{receiver.url}/hook")
    monkeypatch.setenv("SLACK_URL", f"{receiver.url}/slack")
    b = ManifestBuilder("shop")
    for name in ("feat_fresh", "feat_late"):
        b.feature_view(name, block={"sla": {"freshness": "1h"}, "online": False})
    (tmp_path / "target").mkdir()
    (tmp_path / "target/manifest.json").write_text(json.dumps(b.build()))
    (tmp_path / "dbt_project.yml").write_text(yaml.safe_dump({"name": "shop"}))
    _alerts(tmp_path, channels=[WEBHOOK, SLACK])
    _newest(tmp_path, {"feat_fresh": NOW - timedelta(minutes=10),
                       "feat_late": NOW - timedelta(hours=3)})
    return tmp_path


def _alerts(project_dir: Path, **block: object) -> None:
    (project_dir / "featureops.yml").write_text(yaml.safe_dump({"alerts": block}))


def _newest(project_dir: Path, newest: dict[str, datetime]) -> None:
    with duckdb.connect(str(project_dir / "dev.duckdb")) as conn:
        for table, moment in newest.items():
            conn.execute(f"create or replace table main.{table} as select 1::bigint as "
                         f"user_id, ?::timestamp as event_at, 1.0 as amount_sum_7d", [moment])


def sla(project_dir: Path, *extra: str) -> int:
    return run(["sla", "--project-dir", str(project_dir), "--warehouse",
                str(project_dir / "dev.duckdb"), "--no-online", "--no-record", "--now",
                NOW.isoformat(), "--json", *extra])


def test_sla_violations_reach_the_channels_once_then_resolve(project: Path,
                                                            receiver: Receiver,
                                                            capsys) -> None:
    assert sla(project) == 1  # feat_late's freshness is critical: the exit code is the check's
    err = capsys.readouterr().err
    assert "alerts: 2 message(s) sent, 0 standing problem(s) suppressed" in err
    [hook] = receiver.bodies("/hook")
    assert (hook["table"], hook["status"], hook["level"]) == ("feat_late", "firing", "critical")
    assert [p["check"] for p in hook["problems"]] == ["freshness_warehouse"]
    assert receiver.bodies("/slack")[0]["text"].startswith("CRITICAL feat_late")

    assert sla(project) == 1  # the next build: still late, nobody paged again
    assert "0 message(s) sent, 2 standing problem(s) suppressed" in capsys.readouterr().err
    assert len(receiver.received) == 2

    _newest(project, {"feat_late": NOW - timedelta(minutes=5)})
    assert sla(project) == 0
    resolved = receiver.bodies("/hook")[-1]
    assert (resolved["table"], resolved["status"]) == ("feat_late", "resolved")
    assert [r["check"] for r in resolved["resolved"]] == ["freshness_warehouse"]


def test_no_alert_sends_nothing_and_alert_needs_channels(project: Path, receiver: Receiver,
                                                         capsys) -> None:
    assert sla(project, "--no-alert") == 1
    assert receiver.received == [] and "alerts:" not in capsys.readouterr().err
    _alerts(project, enabled=False, channels=[WEBHOOK])
    assert sla(project) == 1 and receiver.received == []  # off by default in the settings
    assert sla(project, "--alert") == 1 and len(receiver.received) == 1
    _alerts(project)
    assert sla(project, "--alert") == 2
    assert "--alert: no alert channels are configured" in capsys.readouterr().err


def test_a_failed_delivery_warns_and_keeps_the_exit_code_unless_configured(
        project: Path, receiver: Receiver, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    monkeypatch.delenv("HOOK_URL")
    _alerts(project, channels=[WEBHOOK])
    assert sla(project) == 1
    err = capsys.readouterr().err
    assert ("warning: alerts: webhook (webhook): feat_late not delivered: environment "
            "variable HOOK_URL is not set\n") in err and "Traceback" not in err
    _alerts(project, channels=[WEBHOOK], fail_on_delivery_error=True)
    assert sla(project) == 2


def test_invalid_alert_settings_are_one_line(project: Path, capsys) -> None:
    _alerts(project, channels=[{"type": "slack", "url": "https://hooks.slack.com/x"}])
    assert sla(project) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "url_env" in err
    assert sla(project, "--no-alert") == 1  # turned off, the block is not even read


def test_monitor_findings_reach_the_channels_grouped_per_table(
        project: Path, receiver: Receiver, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    from contextlib import nullcontext

    from featureops.monitoring import parts, summary, warehouse

    monkeypatch.setattr(parts, "built_parts", lambda _: frozenset({"quality"}))
    monkeypatch.setattr(warehouse, "open_warehouse", lambda _: nullcontext())
    monkeypatch.setattr(summary, "summarize", lambda *_: monitoring_summary())
    _alerts(project, channels=[WEBHOOK])
    assert run(["monitor", "--project-dir", str(project), "--json"]) == 1
    assert json.loads(capsys.readouterr().out)["level"] == "critical"  # stdout stays JSON
    bodies = {b["table"]: b for b in receiver.bodies("/hook")}
    assert {t: [p["check"] for p in b["problems"]] for t, b in bodies.items()} == {
        "feat_a": ["freshness_sla"], "feat_b": ["data_tests"]}
    assert bodies["feat_a"]["source"] == "monitor"
    assert run(["monitor", "--project-dir", str(project), "--exit-zero"]) == 0
    assert len(receiver.received) == 2  # suppressed on the second run
