"""Dataset versions of training sets written from the example project's build: the
same set written twice is one version; its Parquet footer and the registry say what it
was built from (docs/reproducibility.md)."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

from featureops.cli import cli
from featureops.datasets.content import file_relation, hash_rows
from featureops.datasets.identity import read_file_version, version_id
from featureops.datasets.registry import DatasetRegistry

SPINE = "train_fraud_detection__spine"
EXPOSURE = "fraud_detection_model"


def project_args(build) -> list[str]:
    return ["--project-dir", str(build.project_dir), "--manifest", str(build.manifest_path),
            "--warehouse", str(build.duckdb_path)]


def write_training_set(build, out: Path, registry: Path, *extra: str,
                       spine: str = SPINE) -> dict:
    result = CliRunner().invoke(cli, [
        "training-set", "--spine", spine, "--exposure", EXPOSURE,
        "--timestamp-column", "event_at", "--full-feature-names", "--label", "is_fraud",
        "--registry", str(registry), "--out", str(out), "--json", *extra,
        *project_args(build)])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)["dataset_version"]


@pytest.fixture(scope="module")
def registry(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("datasets") / "registry"


@pytest.fixture(scope="module")
def first(duckdb_build, registry, tmp_path_factory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("sets") / "fraud.parquet"
    return out, write_training_set(duckdb_build, out, registry)


def test_the_same_set_written_twice_is_one_version(duckdb_build, registry, first,
                                                   tmp_path) -> None:
    path, version = first
    assert version["new"] is True
    entry_text = (registry / f"{version['version']}.json").read_text()
    again = write_training_set(duckdb_build, tmp_path / "again.parquet", registry)
    assert again["version"] == version["version"] and again["new"] is False
    assert DatasetRegistry(registry).versions() == [version["version"]]
    entry = json.loads((registry / f"{version['version']}.json").read_text())
    assert entry["files"] == sorted([str(path.resolve()), str((tmp_path / "again.parquet")
                                                                .resolve())])
    # Writing it again changed nothing but the list of files.
    assert {k: v for k, v in entry.items() if k != "files"} == {
        k: v for k, v in json.loads(entry_text).items() if k != "files"}


def test_the_file_carries_its_version(duckdb_build, first) -> None:
    path, summary = first
    recorded = read_file_version(path)
    assert recorded.version == summary["version"]
    # Recomputed from the rows, independently of the writer: the same hashes.
    with duckdb.connect() as conn:
        hashes = hash_rows(conn, file_relation(str(path)), recorded.spine_columns)
        rows = conn.execute(f"select count(*) from {file_relation(str(path))}").fetchone()[0]
    assert (hashes.content_hash, hashes.spine_hash) == (recorded.content_hash,
                                                        recorded.spine_hash)
    assert recorded.rows == rows > 15_000
    assert recorded.version == version_id(recorded.content_hash, recorded.spine_hash,
                                          recorded.definition_hash, recorded.contracts)
    assert recorded.key_columns == ["transaction_id", "user_id", "merchant_id", "event_at"]
    assert recorded.exposure == EXPOSURE and recorded.labels == ["is_fraud"]
    assert recorded.spine_source == {"kind": "model", "name": SPINE}
    manifest = duckdb_build.manifest
    assert recorded.dbt["invocation_id"] == manifest.invocation_id
    run_results = json.loads((duckdb_build.target_dir / "run_results.json").read_text())
    assert recorded.dbt["run_invocation_id"] == run_results["metadata"]["invocation_id"]
    # Every view the exposure reads, with its registered contract and its SQL written
    # against ref()/source() rather than the warehouse's relation names.
    views = {view["view"]: view for view in recorded.definition["views"]}
    assert set(views) == {name.split(":")[0] for name in recorded.features.values()}
    assert recorded.contracts == {name: 1 for name in views}
    assert views["feat_user__spend_windows"]["ttl"] == "30d"
    for name, sql in recorded.sql.items():
        node = manifest.find_model(name)
        assert node.compiled_code and str(duckdb_build.duckdb_path.stem) in node.compiled_code
        assert duckdb_build.duckdb_path.stem not in sql and "ref('" in sql
