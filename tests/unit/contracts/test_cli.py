"""`featureops contracts ...` through the CLI: exit codes (0 ok, 1 violation, 2 user error
with one line on stderr), tables and JSON, on hand-made manifests."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from featureops.cli import run
from featureops.testing.manifests import ManifestBuilder

COLUMNS = {
    "user_id": {"data_type": "bigint", "constraints": [{"type": "not_null"}]},
    "event_at": {"data_type": "timestamp", "constraints": [{"type": "not_null"}]},
    "spend_7d": {"data_type": "double precision", "description": "Spend over 7 days."},
}


def write_manifest(path: Path, columns: dict, mode: str = "backward") -> Path:
    builder = ManifestBuilder("shop")
    builder.feature_view("feat_users", columns=columns, block={"compatibility": mode})
    builder.test("accepted_range", "feat_users", column="spend_7d", namespace="featureops",
                 kwargs={"min_value": 0})
    path.write_text(json.dumps(builder.build()))
    return path


@pytest.fixture
def registered(tmp_path: Path) -> tuple[Path, Path]:
    manifest = write_manifest(tmp_path / "v1.json", COLUMNS)
    registry = tmp_path / "registry"
    assert run(["contracts", "register", "-m", str(manifest), "--registry", str(registry)]) == 0
    return manifest, registry


def test_register_check_history_show(registered, tmp_path: Path, capsys) -> None:
    manifest, registry = registered
    capsys.readouterr()
    assert run(["contracts", "check", "-m", str(manifest), "--registry", str(registry)]) == 0
    assert "1 contract(s) checked" in capsys.readouterr().out
    widened = {**COLUMNS, "extra": {"data_type": "integer"}}
    v2 = write_manifest(tmp_path / "v2.json", widened)
    assert run(["contracts", "register", "-m", str(v2), "--registry", str(registry)]) == 0
    capsys.readouterr()
    assert run(["contracts", "history", "feat_users", "-m", str(v2), "--registry",
                str(registry), "--json"]) == 0
    history = json.loads(capsys.readouterr().out)
    assert [v["version"] for v in history["versions"]] == [1, 2]
    assert history["versions"][1]["changes"] == "extra: column_added (- -> integer null)"
    assert run(["contracts", "show", "feat_users", "--version", "1", "-m", str(v2),
                "--registry", str(registry)]) == 0
    shown = capsys.readouterr().out
    assert "registry v1" in shown and "spend_7d" in shown and "extra" not in shown


def test_check_exits_1_with_a_table_and_json_of_violations(registered, tmp_path: Path,
                                                           capsys) -> None:
    manifest, registry = registered
    narrowed = {**COLUMNS, "user_id": {"data_type": "integer",
                                       "constraints": [{"type": "not_null"}]}}
    edited = write_manifest(tmp_path / "edited.json", narrowed)
    capsys.readouterr()
    assert run(["contracts", "check", "-m", str(edited), "--registry", str(registry)]) == 1
    out = capsys.readouterr().out
    assert "Contract violations" in out and "type_narrowed" in out and "backward" in out
    assert run(["contracts", "check", "-m", str(edited), "--registry", str(registry),
                "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert [(v["column"], v["rule"], v["old"], v["new"]) for v in report["violations"]] == [
        ("user_id", "type_narrowed", "bigint", "integer")]
    assert report["unregistered"] == ["feat_users"]
    assert run(["contracts", "register", "-m", str(edited), "--registry", str(registry)]) == 1
    assert "refused" in capsys.readouterr().out
    assert run(["contracts", "check", "-m", str(edited), "--baseline", str(manifest)]) == 1


def test_require_registered_fails_on_an_unregistered_compatible_change(
        registered, tmp_path: Path, capsys) -> None:
    _, registry = registered
    added = write_manifest(tmp_path / "added.json", {**COLUMNS, "x": {"data_type": "text"}})
    assert run(["contracts", "check", "-m", str(added), "--registry", str(registry)]) == 0
    assert run(["contracts", "check", "-m", str(added), "--registry", str(registry),
                "--require-registered"]) == 1
    assert "run `featureops contracts register`" in capsys.readouterr().out


def test_user_errors_are_one_line_and_exit_2(registered, tmp_path: Path, capsys) -> None:
    manifest, registry = registered
    capsys.readouterr()
    assert run(["contracts", "show", "feat_nope", "-m", str(manifest), "--registry",
                str(registry)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: model 'feat_nope' is not in the registry") and \
        err.count("\n") == 1
    bad_mode = write_manifest(tmp_path / "bad.json", COLUMNS, mode="sideways")
    assert run(["contracts", "check", "-m", str(bad_mode), "--registry", str(registry)]) == 2
    assert "is not a mode" in capsys.readouterr().err
    (registry / "feat_users.json").write_text("[]")
    assert run(["contracts", "check", "-m", str(manifest), "--registry", str(registry)]) == 2
    assert "feat_users.json: not a registry file" in capsys.readouterr().err


def test_export_prints_schemas(registered, capsys) -> None:
    manifest, _ = registered
    capsys.readouterr()
    assert run(["contracts", "export", "-m", str(manifest)]) == 0
    schema = json.loads(capsys.readouterr().out)["feat_users"]
    assert schema["properties"]["spend_7d"] == {
        "description": "Spend over 7 days.", "type": ["number", "null"], "minimum": 0}
