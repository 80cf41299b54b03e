"""Files featureops writes are complete or absent, and get the mode the umask gives any new
file (0644 under 022), never mkstemp's owner-only 0600."""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Callable, Iterator
from pathlib import Path

import pyarrow as pa
import pytest

from featureops.cli import run
from featureops.contracts.push import DeadLetter
from featureops.contracts.registry import ModelHistory, Registry
from featureops.engines.duckdb_engine import DuckDBEngine
from featureops.files import replacing, write_text_atomic
from tests.unit.lineage.conftest import shop_builder


@pytest.fixture(params=[0o022, 0o027])
def umask(request: pytest.FixtureRequest) -> Iterator[int]:
    previous = os.umask(request.param)
    try:
        yield request.param
    finally:
        os.umask(previous)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def files_in(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_a_new_file_gets_the_umask_mode(tmp_path: Path, umask: int) -> None:
    target = tmp_path / "deep" / "report.html"
    write_text_atomic(target, "<p>é</p>\r\n")
    assert target.read_bytes() == "<p>é</p>\r\n".encode()
    assert mode(target) == 0o666 & ~umask
    assert files_in(target.parent) == ["report.html"]


def test_rewriting_a_file_keeps_its_mode(tmp_path: Path, umask: int) -> None:
    target = tmp_path / "models.yml"
    target.write_text("old")
    target.chmod(0o600)
    write_text_atomic(target, "new")
    assert target.read_text() == "new" and mode(target) == 0o600


def test_a_failed_write_leaves_the_old_file_and_no_partial(tmp_path: Path) -> None:
    target = tmp_path / "registry.json"
    target.write_text("old")
    with pytest.raises(RuntimeError), replacing(target) as partial:
        partial.write_text("half")
        raise RuntimeError("crash mid-write")
    assert target.read_text() == "old" and files_in(tmp_path) == ["registry.json"]


def _registry(root: Path) -> Path:
    return Registry(root / "contracts" / "registry").write(ModelHistory("feat_user__spend"))


def _lineage_html(root: Path) -> Path:
    (root / "manifest.json").write_text(json.dumps(shop_builder().build()))
    out = root / "reports" / "lineage.html"
    assert run(["lineage", "stg_orders", "--format", "html", "--out", str(out),
                "--manifest", str(root / "manifest.json"), "--project-dir", str(root)]) == 0
    return out


def _audit_report(root: Path) -> Path:
    (root / "manifest.json").write_text(json.dumps(shop_builder().build()))
    (root / "dbt_project.yml").write_text("name: shop\n")
    out = root / "reports" / "audit.md"
    run(["audit", "--project-dir", str(root), "-m", str(root / "manifest.json"),
         "--format", "markdown", "--out", str(out)])
    return out


def _training_set(root: Path) -> Path:
    out = root / "training" / "set.parquet"
    with DuckDBEngine(None) as engine:  # training sets are written by the engine
        engine.register("spine", pa.table({"user_id": [1, 2]}))
        engine.to_parquet("select * from spine", out)
    return out


def _dead_letters(root: Path) -> Path:
    path = root / "dead_letter" / "feat_user__spend.jsonl"
    DeadLetter(path).append([{"error": "user_id: missing"}])
    return path


def _adopted_packages(root: Path) -> Path:
    from featureops.init import adopt_existing

    (root / "dbt_project.yml").write_text("name: rides\nprofile: rides\n")
    adopt_existing(root)
    return root / "packages.yml"


@pytest.mark.parametrize("write", [_registry, _lineage_html, _audit_report, _training_set,
                                   _dead_letters, _adopted_packages],
                         ids=lambda write: write.__name__[1:])
def test_every_writer_honours_the_umask(tmp_path: Path, umask: int,
                                        write: Callable[[Path], Path]) -> None:
    written = write(tmp_path)
    assert written.is_file() and written.stat().st_size > 0
    assert mode(written) == 0o666 & ~umask
    assert not [p for p in tmp_path.rglob("*") if p.name.endswith(".partial")]


def test_init_existing_keeps_the_mode_of_the_project_file_it_edits(tmp_path: Path) -> None:
    from featureops.init import adopt_existing

    project_file = tmp_path / "dbt_project.yml"
    project_file.write_text("name: rides\nprofile: rides\n")
    project_file.chmod(0o600)
    adopt_existing(tmp_path)
    assert "featureops" in project_file.read_text() and mode(project_file) == 0o600
