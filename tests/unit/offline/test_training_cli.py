"""`featureops training-set` and `featureops leakage` through click: output, exit codes,
one-line errors."""

from __future__ import annotations

import json

import pyarrow.parquet as pq
from click.testing import CliRunner

from featureops.cli import run
from tests.unit.offline.oracle import point_in_time


def project_args(mini) -> list[str]:
    return ["--project-dir", str(mini.root), "--manifest", str(mini.project.manifest_path),
            "--warehouse", str(mini.warehouse)]


def test_training_set_writes_parquet_and_a_summary(mini_project, tmp_path, capsys) -> None:
    spine = tmp_path / "spine.parquet"
    pq.write_table(mini_project.spine_table(), spine)
    out = tmp_path / "out" / "training.parquet"
    code = run(["training-set", *project_args(mini_project), "--spine", str(spine),
                "--features", "user_stats:spend", "pair_affinity", "--out", str(out), "--json"])
    assert code == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["rows"] == len(mini_project.spine)
    assert [v["view"] for v in summary["views"]] == ["user_stats", "pair_affinity"]
    rows = pq.read_table(out).to_pylist()
    views = [mini_project.views["pair_affinity"]]
    assert [r["affinity"] for r in rows] == [
        r["affinity"] for r in point_in_time(mini_project.spine, "event_timestamp", views)]
    assert summary["views"][1]["rows_with_values"] == sum(r["affinity"] is not None
                                                          for r in rows)


def test_training_set_errors_exit_2_with_one_line(mini_project, tmp_path, capsys) -> None:
    code = run(["training-set", *project_args(mini_project), "--spine", "labels",
                "--features", "user_stats,merchant_risk", "--out", str(tmp_path / "x.parquet")])
    assert code == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and "full_feature_names" in err and "\n" not in err
    assert not (tmp_path / "x.parquet").exists()


def test_leakage_command_on_a_project_without_training_sets(mini_project) -> None:
    from featureops.cli import cli

    result = CliRunner().invoke(cli, ["leakage", *project_args(mini_project)])
    assert result.exit_code == 0, result.output
    assert "0 training set(s), 0 feature view(s) with windows: 0 error(s)" in result.output
