"""The CLI contract: exit codes (0 ok, 1 check failed, 2 user error with one line on stderr,
no traceback), JSON output, --project-dir/--manifest on any dbt project."""

from __future__ import annotations

import importlib
import json
from pathlib import Path

import pytest

from featureops.cli import run
from tests import factories as f
from tests.conftest import SHARED_MANIFESTS


@pytest.fixture
def manifest_file(tmp_path: Path) -> Path:
    view = f.model("feat_user__spend", meta=f.VALID_VIEW_META)
    service = f.exposure("fraud", [view["unique_id"]], features=["feat_user__spend"])
    path = tmp_path / "manifest.json"
    path.write_text(json.dumps(f.manifest(view, exposures=(service,))))
    return path


def test_list_json(manifest_file: Path, capsys) -> None:
    assert run(["list", "--manifest", str(manifest_file), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    (view,) = data["feature_views"]
    assert view["name"] == "feat_user__spend" and view["consumers"] == ["fraud"]
    assert data["feature_services"][0]["features"] == ["feat_user__spend:spend_sum_7d"]


def test_describe_table_and_json(manifest_file: Path, capsys) -> None:
    assert run(["describe", "feat_user__spend", "-m", str(manifest_file)]) == 0
    out = capsys.readouterr().out
    assert "spend_sum_7d" in out and "entities: user_id" in out
    assert run(["describe", "feat_user__spend", "-m", str(manifest_file), "--json"]) == 0
    detail = json.loads(capsys.readouterr().out)
    assert detail["spec"]["ttl"] == "7d" and detail["features"][0]["data_type"] == "double"


def test_unknown_view_is_a_one_line_error(manifest_file: Path, capsys) -> None:
    assert run(["describe", "feat_user_spend", "-m", str(manifest_file)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("error: no feature view named")
    assert "did you mean 'feat_user__spend'" in err and "Traceback" not in err


def test_missing_manifest_points_to_dbt_parse(tmp_path: Path, capsys) -> None:
    assert run(["list", "--project-dir", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and str(tmp_path / "target" / "manifest.json") in err


def test_validate_exit_codes(manifest_file: Path, tmp_path: Path, capsys) -> None:
    assert run(["validate", "-m", str(manifest_file)]) == 0
    assert ("1 feature view(s), 1 feature service(s), 0 training set(s): 0 error(s)"
            in capsys.readouterr().out)
    broken = json.loads(manifest_file.read_text())
    node = broken["nodes"]["model.proj.feat_user__spend"]
    node["config"]["meta"]["featureops"]["ttl"] = "7 days"
    broken_file = tmp_path / "broken.json"
    broken_file.write_text(json.dumps(broken))
    assert run(["validate", "-m", str(broken_file)]) == 1
    captured = capsys.readouterr()
    assert ("error: models/features/_features__models.yml: model 'feat_user__spend': "
            "meta.featureops.ttl: '7 days' is not a duration") in captured.err
    assert run(["validate", "-m", str(broken_file), "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["ok"] is False and report["problems"][0]["field"] == "meta.featureops.ttl"


@pytest.mark.parametrize("name", ["billiam-duckdb", "tpch-snowflake", "hubspot-bigquery",
                                  "across-postgres", "sa-demo-snowflake"])
def test_catalog_commands_run_on_other_projects(name: str, capsys) -> None:
    path = SHARED_MANIFESTS / name / "manifest.json"
    if not path.exists():
        pytest.skip(f"{path} is not present")
    assert run(["validate", "-m", str(path)]) == 0
    assert "0 feature view(s)" in capsys.readouterr().out
    assert run(["list", "-m", str(path), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["feature_views"] == []


@pytest.mark.parametrize(("options", "lowered"), [([], [10]), (["--nice", "3"], [3]),
                                                  (["--nice", "0"], [])])
def test_materialize_lowers_its_cpu_priority(manifest_file: Path, monkeypatch, options,
                                             lowered) -> None:
    """A batch job must not take the CPU from a feature server on the same machine."""
    calls: list[int] = []
    monkeypatch.setattr("os.nice", calls.append)  # never lower the test run's own priority
    module = importlib.import_module("featureops.online.materialize")  # the package
    monkeypatch.setattr(module, "materialize", lambda *a, **k: [])  # exports a same-named one
    assert run(["materialize", "-m", str(manifest_file), "--json", *options]) == 0
    assert calls == lowered
