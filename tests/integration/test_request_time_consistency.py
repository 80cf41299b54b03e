"""`featureops consistency` on request-time views, on the dbt-built example: every request
of int_transactions__requests sent through the serving path returns the
feat_transaction__context row dbt built; a manifest whose compiled SQL computes a value
differently is reported INCONSISTENT with the view and feature named; what the store serves
of the chained feature is reported beside it (the users outside feat_user__profile's ttl)."""

from __future__ import annotations

import json

import duckdb
import pytest

from featureops.cli import run
from featureops.online import check_consistency, materialize
from featureops.project import Project
from tests.integration.online_support import END, sqlite_store

pytestmark = pytest.mark.slow

VIEW = "feat_transaction__context"
CHAINED = "feat_user__profile:home_country_code"
ALL = "1000000"  # a sample larger than the example: every request, so counts are exact


@pytest.fixture(scope="module")
def setup(duckdb_build, tmp_path_factory):
    """The session build, feat_user__profile materialized at END into a SQLite store, and a
    project directory whose featureops.yml names that store (for the CLI)."""
    root = tmp_path_factory.mktemp("rt_consistency")
    store_path = root / "online.db"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("FEATUREOPS_DUCKDB_PATH", str(duckdb_build.duckdb_path))
        patch.delenv("FEATUREOPS_ONLINE_STORE", raising=False)
        project = Project.locate(duckdb_build.project_dir, duckdb_build.manifest_path)
        store = sqlite_store(store_path)
        materialize(project, select=["feat_user__profile"], end_time=END, store=store,
                    progress=False)
        store.close()
        (root / "featureops.yml").write_text(f"online_store:\n  type: sqlite\n"
                                             f"  path: {store_path}\n")
        (root / "dbt_project.yml").write_text("name: featureops\nprofile: featureops\n")
        yield root


def _warehouse(build, sql: str) -> int:
    with duckdb.connect(str(build.duckdb_path), read_only=True) as conn:
        return conn.execute(sql).fetchone()[0]


def _altered_manifest(build, path, replacements: dict[str, str]):
    """The build's manifest with the view's compiled SQL edited: what serving would run
    if the SQL changed and dbt did not rebuild the table."""
    manifest = json.loads(build.manifest_path.read_text())
    (node,) = [n for n in manifest["nodes"].values() if n["name"] == VIEW]
    for old, new in replacements.items():
        assert node["compiled_code"].count(old) == 1, old
        node["compiled_code"] = node["compiled_code"].replace(old, new)
    path.write_text(json.dumps(manifest))
    return path


def test_the_example_is_consistent_and_reports_the_chained_feature(setup, duckdb_build,
                                                                  capsys) -> None:
    args = ["--project-dir", str(setup), "--manifest", str(duckdb_build.manifest_path)]
    assert run(["consistency", *args, "--select", VIEW, "--sample", ALL, "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    (view,) = report["views"]
    assert report["ok"] and view["view"] == VIEW and view["kind"] == "request_time"
    assert view["mismatches"] == [] and view["problem"] == "" and view["skipped"] == ""
    assert view["sampled"] == _warehouse(duckdb_build,
                                         "select count(*) from int_transactions__requests")
    # Independent count of the requests whose user the store does not serve: their only
    # profile is older than feat_user__profile's ttl (3650 days) at END, so materialize
    # left them out.
    expired = _warehouse(duckdb_build, f"""
        select count(*) from int_transactions__requests where user_id in (
            select user_id from feat_user__profile group by user_id
            having max(event_at) <= timestamp '{END:%Y-%m-%d %H:%M:%S}' - interval 3650 day)""")
    (chained,) = view["chained"]
    assert chained["feature"] == CHAINED and expired > 0
    assert chained["not_served"] == {"not_found": expired}
    assert chained["served_different"] == 0
    assert chained["served_equal"] == view["sampled"] - expired
    # the text form: consistent, with the chained feature's availability stated
    assert run(["consistency", *args, "--select", VIEW, "--sample", "300"]) == 0
    out = capsys.readouterr().out
    assert "consistent" in out and "INCONSISTENT" not in out
    assert f"{VIEW}: chained {CHAINED} served as the input model has it for" in out


def test_a_value_computed_differently_is_named(setup, duckdb_build, tmp_path,
                                              capsys) -> None:
    """The night now ends at 07:00 (rows at hour 6 differ) and amounts are off by one
    part in a million (every converted amount differs: the tolerance is 1e-9)."""
    manifest = _altered_manifest(duckdb_build, tmp_path / "manifest.json", {
        "extract(hour from requests.event_at) < 6": "extract(hour from requests.event_at) < 7",
        "requests.amount * currency_rates.usd_rate": "requests.amount * currency_rates.usd_rate"
                                                     " * 1.000001"})
    args = ["--project-dir", str(setup), "--manifest", str(manifest), "--select", VIEW]
    assert run(["consistency", *args, "--sample", ALL, "--json"]) == 1
    (view,) = json.loads(capsys.readouterr().out)["views"]
    by_feature: dict[str, int] = {}
    for mismatch in view["mismatches"]:
        assert mismatch["view"] == VIEW
        by_feature[mismatch["feature"]] = by_feature.get(mismatch["feature"], 0) + 1
    assert by_feature == {
        "is_night": _warehouse(duckdb_build, f"select count(*) from {VIEW} "
                                             "where hour(event_at) = 6"),
        "amount_usd": _warehouse(duckdb_build, f"select count(*) from {VIEW} "
                                               "where amount_usd <> 0")}
    night = next(m for m in view["mismatches"] if m["feature"] == "is_night")
    assert night["online"] is True and night["offline"] is False
    assert run(["consistency", *args, "--sample", "300"]) == 1
    out = capsys.readouterr().out
    assert "INCONSISTENT" in out and f"{VIEW} {{'transaction_id': " in out
    assert "amount_usd: computed" in out and "!= dbt-built" in out
    assert f"{VIEW}: " in out and " mismatches (" in out and "is_night " in out


def _check(setup, build, **options):
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("FEATUREOPS_DUCKDB_PATH", str(build.duckdb_path))
        project = Project.locate(build.project_dir, build.manifest_path)
        store = sqlite_store(setup / "online.db")
        try:
            return check_consistency(project, store=store, **options)
        finally:
            store.close()


def test_an_executor_answering_one_wrong_value_is_caught(setup, duckdb_build,
                                                         monkeypatch) -> None:
    """The executor itself (whichever engine serves) computing a value wrongly: one
    is_card_not_present flipped in the first answer is the one mismatch reported."""
    from featureops.request_time.executor import RequestTimeExecutor

    run_columns = RequestTimeExecutor.run_columns
    flipped: list[dict] = []

    def wrong_once(self, columns, inline=False):
        answer = run_columns(self, columns, inline)
        if not flipped:
            answer["is_card_not_present"][0] = not answer["is_card_not_present"][0]
            flipped.append({"transaction_id": answer["transaction_id"][0]})
        return answer

    monkeypatch.setattr(RequestTimeExecutor, "run_columns", wrong_once)
    (view,) = _check(setup, duckdb_build, sample=300, select=[VIEW]).views
    assert not view.ok and view.sampled == 300
    assert [(m.view, m.entity, m.feature) for m in view.mismatches] == [
        (VIEW, flipped[0], "is_card_not_present")]


def test_selecting_stored_and_request_time_views(setup, duckdb_build) -> None:
    report = _check(setup, duckdb_build, sample=50, select=["feat_user__profile", VIEW])
    assert [(v.view, v.kind) for v in report.views] == [
        ("feat_user__profile", "stored"), (VIEW, "request_time")]
    assert report.ok and [v.sampled for v in report.views] == [50, 50]
