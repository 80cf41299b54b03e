"""The `featureops init` command: exit codes, one-line errors, what it prints."""

from __future__ import annotations

from pathlib import Path

import yaml

from featureops.cli import run


def test_init_creates_a_starter_and_prints_next_steps(tmp_path: Path, capsys) -> None:
    assert run(["init", str(tmp_path / "shop"), "--seed", "3"]) == 0
    out = capsys.readouterr().out
    assert "starter project 'shop'" in out and "dbt deps && dbt build" in out
    assert yaml.safe_load((tmp_path / "shop" / "dbt_project.yml").read_text())["name"] == "shop"


def test_init_errors_are_one_line(tmp_path: Path, capsys) -> None:
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x.txt").write_text("x")
    cases = [
        (["init", str(tmp_path / "full")], f"error: {tmp_path / 'full'}: folder is not empty"),
        (["init"], "Error: give the DIRECTORY to create"),
        (["init", "--existing", str(tmp_path / "full")], "not a dbt project"),
        (["init", "--existing", "--name", "x", str(tmp_path)], "--name is for a new project"),
        (["init", str(tmp_path / "new"), "--name", "Bad"], "--name 'Bad'"),
    ]
    for argv, expected in cases:
        assert run(argv) == 2, argv
        err = capsys.readouterr().err.strip()
        assert expected in err and "Traceback" not in err, (argv, err)
        assert len([line for line in err.splitlines() if line.startswith(("error", "Error"))]) == 1
    assert not (tmp_path / "new").exists()


def test_init_existing_twice(tmp_path: Path, capsys, monkeypatch) -> None:
    (tmp_path / "dbt_project.yml").write_text("name: rides\nprofile: rides\n")
    monkeypatch.chdir(tmp_path)
    assert run(["init", "--existing"]) == 0
    first = capsys.readouterr().out
    assert "changed packages.yml" in first and "kind: feature_view" in first
    assert "dbt deps" in first
    assert run(["init", "--existing"]) == 0
    second = capsys.readouterr().out
    assert "Nothing to change" in second and "changed" not in second
