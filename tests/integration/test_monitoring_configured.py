"""Monitoring is configured, not copied (vars.featureops.monitoring): a bad setting is one
compile error naming its key; off, the featureops package builds no monitoring model or test
and `featureops monitor` says monitoring is off; on for a single view of fresh data (four
days, first build), the quality monitors are built alone and the anomaly checks say
"insufficient data" instead of "ok". Each case is a copy of the example with its own
warehouse and target folder."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from featureops.cli import run
from featureops.datagen import generate
from featureops.manifest import load_manifest
from tests.conftest import BuiltProject, copy_project

pytestmark = pytest.mark.slow

VIEW = "feat_transaction__context"
FRESH_DAYS = 4  # data from 2026-10-28 to the pinned "now", 2026-11-01


def _configured_copy(folder: Path, monitoring: dict[str, Any], raw_dir: Path) -> BuiltProject:
    """A copy of the example whose dbt_project.yml has this monitoring block."""
    project_dir = copy_project(folder / "project")
    settings_path = project_dir / "dbt_project.yml"
    settings = yaml.safe_load(settings_path.read_text(encoding="utf-8"))
    settings["vars"]["featureops"]["monitoring"] = monitoring
    settings_path.write_text(yaml.safe_dump(settings, sort_keys=False), encoding="utf-8")
    warehouse = folder / "warehouse.duckdb"
    return BuiltProject(project_dir=project_dir, raw_dir=raw_dir, target_dir=folder / "target",
                        duckdb_path=warehouse,
                        env={"FEATUREOPS_TARGET": "dev", "FEATUREOPS_DUCKDB_PATH": str(warehouse)},
                        vars_arg=f"{{featureops_raw_dir: '{raw_dir}'}}")


def _featureops(built: BuiltProject, capsys, *args: str) -> tuple[int, str]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("FEATUREOPS_DUCKDB_PATH", str(built.duckdb_path))
        code = run([*args, "--project-dir", str(built.project_dir), "--manifest",
                    str(built.manifest_path)])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def test_monitoring_off_builds_nothing_and_monitor_says_so(tmp_path: Path, capsys) -> None:
    built = _configured_copy(tmp_path, {"enabled": False, "monitored": [VIEW]}, tmp_path)
    listed = built.dbt("ls", "--select", "package:featureops", "--output", "json",
                       "--output-keys", "unique_id")
    # nothing of the package but its on-run-start hook (an operation ls does not list)
    assert ("does not match any enabled nodes" in listed.stdout
            or "No nodes selected!" in listed.stdout), listed.stdout
    assert '"unique_id"' not in listed.stdout  # no model, test or source of the package
    manifest = load_manifest(built.manifest_path)
    # dbt keeps the tests of disabled models among the nodes, disabled too; the package's
    # on-run-start hook is an operation node and stays (it builds nothing).
    assert not [uid for uid, node in [*manifest.nodes.items(), *manifest.sources.items()]
                if uid.split(".")[1] == "featureops" and not uid.startswith("operation.")
                and getattr(node, "enabled", True)]
    assert "model.featureops.monitoring__quality_metrics" in manifest.disabled_ids
    assert "source.featureops.featureops_serving.serving_log" in manifest.disabled_ids

    code, output = _featureops(built, capsys, "monitor")
    assert code == 2 and "monitoring is off" in output and "enabled: true" in output
    assert len(output.strip().splitlines()) == 1 and "Traceback" not in output


@pytest.mark.parametrize("monitoring, message", [
    ("{enabled: true, drift: [{name: d, model: feat_user__profile, "
     "reference_window: [35d, 7x], current_window: [7d, null]}]}",
     "vars.featureops.monitoring.drift[0].reference_window[1]: '7x' is not a duration"),
    ("{enabled: true, monitored: [feat_user__profile], "
     "tests: {volume_anomaly: [{model_name: feat_user__profil}]}}",
     "vars.featureops.monitoring.tests.volume_anomaly[0].model_name: 'feat_user__profil' is "
     "not a monitored model (monitored: feat_user__profile)"),
])
def test_a_bad_setting_is_one_compile_error_naming_the_key(tmp_path: Path, monitoring: str,
                                                           message: str) -> None:
    built = _configured_copy(tmp_path, {"enabled": False}, tmp_path)
    built.vars_arg = f"{{featureops: {{monitoring: {monitoring}}}}}"
    parsed = built.dbt("parse", check=False)
    output = parsed.stdout + parsed.stderr
    (line,) = [line.strip() for line in output.splitlines() if message in line]
    assert parsed.returncode != 0
    assert line.startswith(message) and line.endswith("(see docs/monitoring.md)")


@pytest.fixture(scope="module")
def fresh_quality_build(tmp_path_factory: pytest.TempPathFactory) -> BuiltProject:
    """Quality monitoring of one view only, built once on four days of data."""
    folder = tmp_path_factory.mktemp("fresh_quality")
    raw_dir = folder / "raw"
    generate(raw_dir, n_transactions=3_000, days=FRESH_DAYS, progress=False)
    # Only one view on purpose: the coverage warning about the others is turned off.
    built = _configured_copy(folder, {"enabled": True, "monitored": [VIEW],
                                      "tests": {"monitoring_coverage": []}}, raw_dir)
    # The view, what it reads and the package's monitoring models; tests that also read
    # other feature views stay out (cautious), they are not built here.
    built.dbt("build", "--select", "+package:featureops", "--indirect-selection", "cautious")
    return built


def test_only_the_quality_monitors_of_the_configured_view_are_built(fresh_quality_build) -> None:
    results = json.loads((fresh_quality_build.target_dir / "run_results.json").read_text())
    package = {r["unique_id"].split(".")[2] for r in results["results"]
               if r["unique_id"].startswith("model.featureops.")}
    assert package == {"monitoring__quality_metrics", "monitoring__anomalies",
                       "monitoring__freshness", "monitoring__schema_changes"}
    assert all(r["status"] in ("success", "pass", "warn") for r in results["results"])


def test_fresh_data_is_insufficient_data_not_ok(fresh_quality_build, capsys) -> None:
    code, output = _featureops(fresh_quality_build, capsys, "monitor", "--json")
    assert code == 0, output  # not judged is no failure
    data = json.loads(output)
    assert data["parts"] == {"quality": "measured", "drift": "not_configured",
                             "skew": "not_configured"}
    checks = {t["table"]: t["checks"] for t in data["tables"]}[VIEW]
    # Three complete days of data: the latest has two before it, not the 7 the defaults need.
    assert checks["volume"] == checks["columns"] == "insufficient_data"
    assert checks["freshness"] == "ok" and checks["drift"] == "not_configured"
    volume = [f for f in data["insufficient_data"] if f["check_name"] == "volume_anomaly"]
    assert [(f["model_name"], f["metric_name"]) for f in volume] == [(VIEW, "row_count")]
    assert volume[0]["detail"] == "insufficient data: 2 of 7 buckets of history needed"
    assert data["findings"] == [] and data["level"] == "insufficient_data"

    code, output = _featureops(fresh_quality_build, capsys, "monitor")
    lines = output.splitlines()
    assert code == 0 and "drift: not configured; skew: not configured" in output
    assert any(line.startswith("insufficient data  volume_anomaly  " + VIEW) for line in lines)


def test_the_report_shows_insufficient_data_and_what_is_not_configured(
        fresh_quality_build, tmp_path, capsys) -> None:
    out = tmp_path / "monitoring.html"
    code, output = _featureops(fresh_quality_build, capsys, "report", "--out", str(out))
    assert code == 0, output
    html = out.read_text(encoding="utf-8")
    assert 'id="insufficient-table"' in html and f'data-table="{VIEW}"' in html
    assert "Not configured: declare drift checks" in html
    assert "vars.featureops.monitoring.skew.training_sets" in html
    # still self-contained: nothing fetched, nothing run
    assert not re.search(r'(src|href)="https?://', html) and "<script" not in html
