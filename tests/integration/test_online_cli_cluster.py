"""The online commands on a Redis Cluster chosen in featureops.yml (`cluster: true`): the
same materialize, lookup, consistency and online-status as on one node, no other change
to the project."""

from __future__ import annotations

import json
import uuid

import pytest

from featureops.cli import run
from tests.integration.online_support import drop_prefix, redis_store

pytestmark = pytest.mark.slow
SELECT = ["feat_user__profile", "feat_merchant__risk_windows"]
SELECT_ARGS = [word for view in SELECT for word in ("--select", view)]


def test_the_online_commands_on_a_cluster_from_the_config_file(duckdb_build, monkeypatch,
                                                                tmp_path, redis_cluster,
                                                                capsys):
    prefix = f"fo_cli_{uuid.uuid4().hex[:8]}"
    (tmp_path / "featureops.yml").write_text(
        f"online_store:\n  type: redis\n  cluster: true\n  key_prefix: {prefix}\n"
        f"  url_env: {redis_cluster}\n")
    (tmp_path / "dbt_project.yml").write_text("name: featureops\nprofile: featureops\n")
    monkeypatch.setenv("FEATUREOPS_DUCKDB_PATH", str(duckdb_build.duckdb_path))
    monkeypatch.delenv("FEATUREOPS_ONLINE_STORE", raising=False)
    args = ["--project-dir", str(tmp_path), "--manifest", str(duckdb_build.manifest_path)]
    try:
        assert run(["materialize", *args, *SELECT_ARGS, "--end-time", "2026-11-01",
                    "--quiet"]) == 0
        capsys.readouterr()
        assert run(["lookup", *args, "-f", "feat_user__profile", "--entity", "user_id=42",
                    "--as-of", "2026-11-01", "--json"]) == 0
        (row,) = json.loads(capsys.readouterr().out)
        assert row["features"]["feat_user__profile:card_tier"]["status"] == "present"
        assert run(["consistency", *args, *SELECT_ARGS, "--sample", "200"]) == 0
        assert "consistent" in capsys.readouterr().out
        assert run(["online-status", *args, "--json"]) == 0
        status = json.loads(capsys.readouterr().out)
        assert {v["view"] for v in status["views"] if v["version"]} == set(SELECT)
        assert "Redis Cluster at 127.0.0.1" in json.dumps(status)
        assert run(["materialize", *args, *SELECT_ARGS, "--incremental",
                    "--end-time", "2026-11-01", "--json"]) == 0
        assert {r["mode"] for r in json.loads(capsys.readouterr().out)} == {"up_to_date"}
    finally:
        drop_prefix(redis_store(prefix=prefix, url_env=redis_cluster, cluster=True))
