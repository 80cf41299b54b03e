"""`featureops audit` through the CLI: exit codes, formats, dbt_project.yml settings."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from featureops.cli import run
from tests.unit.audit.conftest import clean_builder
from tests.unit.audit.test_runner import broken


def write_project(tmp_path: Path, builder, audit_vars: str = "") -> list[str]:
    (tmp_path / "manifest.json").write_text(json.dumps(builder.build()))
    (tmp_path / "dbt_project.yml").write_text(
        "name: shop\nvars:\n  featureops_raw_dir: data/raw\n" + audit_vars)
    return ["--project-dir", str(tmp_path), "-m", str(tmp_path / "manifest.json"),
            "--as-of", "2026-11-27"]


def test_clean_project_exits_0(tmp_path: Path, capsys) -> None:
    assert run(["audit", *write_project(tmp_path, clean_builder())]) == 0
    assert "audit passed: 0 error(s), 0 warning(s)" in capsys.readouterr().out


def test_error_findings_exit_1_and_every_format_renders(tmp_path: Path, capsys) -> None:
    args = write_project(tmp_path, broken())
    assert run(["audit", *args]) == 1
    assert "audit FAILED" in capsys.readouterr().out
    assert run(["audit", *args, "--format", "json"]) == 1
    assert json.loads(capsys.readouterr().out)["passed"] is False
    assert run(["audit", *args, "--format", "junit"]) == 1
    assert capsys.readouterr().out.startswith("<?xml")
    out = tmp_path / "reports" / "audit.md"
    assert run(["audit", *args, "--format", "markdown", "--out", str(out)]) == 1
    assert out.read_text().startswith("# Audit of `shop`")
    assert "audit FAILED" in capsys.readouterr().out


def test_settings_from_dbt_project_yml(tmp_path: Path, capsys) -> None:
    settings = ("  featureops:\n    audit:\n      severity:\n"
                "        feature_view_missing_owner: warning\n      suppress:\n"
                "        - rule: feature_view_missing_ttl\n          resource: feat_user__spend\n"
                "          reason: ttl decided in RISK-42\n")
    assert run(["audit", *write_project(tmp_path, broken(), settings), "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [f["severity"] for f in data["findings"]] == ["warning"]
    assert data["suppressed"][0]["suppressed"] == "ttl decided in RISK-42"


def test_invalid_settings_exit_2_with_one_line(tmp_path: Path, capsys) -> None:
    settings = "  featureops:\n    audit:\n      disable: [no_such_rule]\n"
    assert run(["audit", *write_project(tmp_path, clean_builder(), settings)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "unknown rule `no_such_rule`" in err


def test_rule_filter_and_list_rules(tmp_path: Path, capsys) -> None:
    args = write_project(tmp_path, broken())
    assert run(["audit", *args, "--rule", "feature_view_missing_ttl"]) == 0
    assert run(["audit", *args, "--rule", "bogus"]) == 2
    capsys.readouterr()
    assert run(["audit", "--list-rules", "--project-dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "feature_view_review_overdue" in out and "max_age_days=90" in out


@pytest.mark.parametrize("flag", [["--all-packages"], ["--package", "vendor"]])
def test_package_selection(tmp_path: Path, flag: list[str], capsys) -> None:
    b = clean_builder()
    b.model("vendored", package="vendor")
    assert run(["audit", *write_project(tmp_path, b), *flag, "--format", "json"]) == 0
    names = {f["name"] for f in json.loads(capsys.readouterr().out)["findings"]}
    assert "vendored" in names


def test_a_report_too_long_for_a_table_prints_plain_lines(tmp_path: Path, capsys,
                                                          monkeypatch) -> None:
    from featureops.audit import formats

    args = write_project(tmp_path, broken())
    monkeypatch.setattr(formats, "TABLE_MAX_ROWS", 1)
    assert run(["audit", *args]) == 1
    out = capsys.readouterr().out
    assert "\nerror\tfeature_view_missing_owner\tfeat_user__spend\thas no owner" in out
    assert "┃" not in out and "│" not in out  # no table drawn
    assert out.splitlines()[-1].startswith("audit FAILED: 1 error(s), 1 warning(s)")
    monkeypatch.setattr(formats, "TABLE_MAX_ROWS", 500)
    assert run(["audit", *args]) == 1
    assert "│" in capsys.readouterr().out
