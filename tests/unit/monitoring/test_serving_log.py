"""Where monitoring reads the serving log, and the loader's format check."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from featureops.monitoring.errors import MonitoringError
from featureops.monitoring.serving_log import load_serving_log, serving_log_dir, serving_log_files
from featureops.project import Project


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Project:
    (tmp_path / "dbt_project.yml").write_text("name: p\n")
    for name in ("FEATUREOPS_SERVING_LOG_DIR", "FEATUREOPS_DUCKDB_PATH"):
        monkeypatch.delenv(name, raising=False)
    return Project.locate(tmp_path)


def test_the_default_is_beside_the_default_warehouse(project: Project) -> None:
    assert serving_log_dir(project) == project.project_dir / "data" / "serving_log"


def test_a_warehouse_elsewhere_has_its_own_log(project: Project, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FEATUREOPS_DUCKDB_PATH", str(tmp_path / "scratch" / "wh.duckdb"))
    assert serving_log_dir(project) == tmp_path / "scratch" / "serving_log"


def test_the_servers_setting_wins_and_the_variable_wins_over_it(
        project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    (project.project_dir / "featureops.yml").write_text("serving:\n  log_dir: logs/served\n")
    assert serving_log_dir(project) == project.project_dir / "logs" / "served"
    monkeypatch.setenv("FEATUREOPS_SERVING_LOG_DIR", "/srv/log")
    assert serving_log_dir(project) == Path("/srv/log")


def test_only_complete_log_files_are_read(tmp_path: Path) -> None:
    (tmp_path / "serving_log_20261101T000000_0123abcd.parquet").write_bytes(b"")
    (tmp_path / ".serving_log_20261101T000001_4567abcd.parquet.tmp").write_bytes(b"")
    (tmp_path / "notes.txt").write_text("")
    assert [p.name for p in serving_log_files(tmp_path)] == [
        "serving_log_20261101T000000_0123abcd.parquet"]
    assert serving_log_files(tmp_path / "missing") == []


def test_a_file_of_another_format_is_refused_by_name(tmp_path: Path) -> None:
    bad = tmp_path / "serving_log_20261101T000000_0123abcd.parquet"
    pq.write_table(pa.table({"request_id": ["r"], "value": [1.0]}), bad)
    with pytest.raises(MonitoringError, match="serving_log_20261101T000000_0123abcd.parquet: "
                                              "not a serving-log file"):
        load_serving_log(tmp_path, "host=unused", schema="raw", progress=False)
