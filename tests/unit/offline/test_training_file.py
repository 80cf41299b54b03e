"""The featureops metadata of a training-set file: written by TrainingSetJob.to_parquet,
read back by `featureops leakage --training-set FILE`, and a one-line error (exit 2) for
any file that is not a featureops training set."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from featureops.cli import run
from featureops.offline.errors import TrainingSetError
from featureops.offline.retrieval import plan_training_set
from featureops.offline.training_file import (
    METADATA_KEY,
    TrainingFileError,
    read_training_file,
)


@pytest.fixture
def written(mini_project, tmp_path: Path) -> Path:
    """A training set of the mini project, written with its metadata."""
    out = tmp_path / "train.parquet"
    with plan_training_set(mini_project.spine_table(), ["user_stats", "merchant_risk:risk"],
                           labels=["label"], project=mini_project.project,
                           warehouse=mini_project.warehouse) as job:
        job.to_parquet(out)
    return out


def test_the_file_records_what_it_was_built_from(written: Path) -> None:
    record = json.loads(pq.read_schema(written).metadata[METADATA_KEY.encode()])
    assert record["spec"]["features"] == ["user_stats", "merchant_risk:risk"]
    assert record["spec"]["timestamp"] == "event_timestamp"
    assert record["labels"] == ["label"] and record["project"] == "mini"
    assert record["spine_columns"] == ["user_id", "merchant_id", "event_timestamp", "label"]
    assert record["features"] == {"spend": "user_stats:spend", "visits": "user_stats:visits",
                                  "risk": "merchant_risk:risk"}
    file = read_training_file(written)
    assert file.table.num_rows == 160 and file.labels == ["label"]


def test_a_label_must_be_a_spine_column(mini_project) -> None:
    with pytest.raises(TrainingSetError, match="label column 'is_fraud' is not a column of "
                                               "the spine"):
        plan_training_set(mini_project.spine_table(), ["user_stats"], labels=["is_fraud"],
                          project=mini_project.project, warehouse=mini_project.warehouse)


def rewrite(source: Path, target: Path, metadata: bytes | None = None,
            drop: str | None = None) -> Path:
    table = pq.read_table(source)
    if drop:
        table = table.drop_columns([drop])
    if metadata is not None:
        table = table.replace_schema_metadata({METADATA_KEY: metadata})
    pq.write_table(table, target)
    return target


def broken_files(written: Path, folder: Path) -> dict[str, tuple[Path, str]]:
    """name -> (file, the one-line error it must give)."""
    garbage = folder / "garbage.parquet"
    garbage.write_text("user_id,label\n1,true\n")
    plain = folder / "plain.parquet"
    pq.write_table(pa.table({"user_id": [1]}), plain)
    record = json.loads(pq.read_schema(written).metadata[METADATA_KEY.encode()])
    return {
        "missing": (folder / "nowhere.parquet", "nowhere.parquet: no such file"),
        "not parquet": (garbage, "garbage.parquet: not a Parquet file"),
        "no metadata": (plain, "plain.parquet: not a featureops training set (its Parquet "
                               f"metadata has no {METADATA_KEY}; write one with "
                               "`featureops training-set`)"),
        "not json": (rewrite(written, folder / "json.parquet", b"{oops"),
                     f"json.parquet: {METADATA_KEY}: not JSON"),
        "newer": (rewrite(written, folder / "newer.parquet",
                          json.dumps({**record, "format": 9}).encode()),
                  f"newer.parquet: {METADATA_KEY}: format 9 is newer"),
        "bad field": (rewrite(written, folder / "field.parquet",
                              json.dumps({**record, "labels": "label"}).encode()),
                      f"field.parquet: {METADATA_KEY}.labels:"),
        "column gone": (rewrite(written, folder / "gone.parquet", drop="risk"),
                        f"gone.parquet: column 'risk' named by its {METADATA_KEY} metadata "
                        "is not in the file"),
    }


def test_a_file_that_is_not_a_featureops_training_set_is_one_line(written: Path,
                                                                     tmp_path: Path) -> None:
    for name, (path, expected) in broken_files(written, tmp_path).items():
        with pytest.raises(TrainingFileError) as error:
            read_training_file(path)
        assert expected in str(error.value), name
        assert str(error.value).startswith(str(path)), name


def test_leakage_on_a_broken_file_exits_2_with_one_line(written: Path, tmp_path: Path,
                                                        mini_project, capsys) -> None:
    for name, (path, expected) in broken_files(written, tmp_path).items():
        code = run(["leakage", "--training-set", str(path), "--project-dir",
                    str(mini_project.root), "--manifest",
                    str(mini_project.project.manifest_path), "--warehouse",
                    str(mini_project.warehouse)])
        err = capsys.readouterr().err.strip()
        assert code == 2, name
        assert expected in err and len(err.splitlines()) == 1, (name, err)
