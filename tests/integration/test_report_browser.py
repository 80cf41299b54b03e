"""`featureops report`: the dashboard of the planted build, opened in headless Chromium
(Debian's, no network), with a screenshot in artifacts/screenshots/."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from featureops.cli import run
from tests.browser import browser_page, save_screenshot
from tests.conftest import MONITORING_DRIFT, REPO_ROOT, BuiltProject

pytestmark = pytest.mark.slow

DRIFTED = MONITORING_DRIFT.split("=")[0]


def _report(built: BuiltProject, out: Path, capsys, *extra: str) -> str:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("FEATUREOPS_DUCKDB_PATH", str(built.duckdb_path))
        code = run(["report", "--project-dir", str(REPO_ROOT), "--manifest",
                    str(built.manifest_path), "--out", str(out), *extra])
    output = capsys.readouterr().out
    assert code == 0, output
    return output


@pytest.fixture(scope="module")
def planted_report(monitored_build: BuiltProject,
                   tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("report")
    (folder / "lineage.html").write_text("<!DOCTYPE html><title>lineage</title>")
    out = folder / "monitoring.html"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("FEATUREOPS_DUCKDB_PATH", str(monitored_build.duckdb_path))
        assert run(["report", "--project-dir", str(REPO_ROOT), "--manifest",
                    str(monitored_build.manifest_path), "--out", str(out),
                    "--lineage-page", str(folder / "lineage.html")]) == 0
    return out


def test_the_report_is_self_contained(planted_report: Path) -> None:
    html = planted_report.read_text(encoding="utf-8")
    assert "<script" not in html  # no JavaScript at all, so nothing to fetch either
    assert not re.search(r'(?:src|href)="(?:https?:)?//', html)
    assert html.count("<svg") >= 20  # charts and sparklines are inline


def test_the_report_in_chromium_shows_health_skew_and_links_the_lineage(
        planted_report: Path) -> None:
    requested: list[str] = []
    with browser_page() as page:
        page.on("request", lambda request: requested.append(request.url))
        page.goto(planted_report.as_uri())
        assert "featureops" in page.title()
        health = page.locator("#health-table tbody tr")
        tables = {health.nth(i).get_attribute("data-table"): health.nth(i).get_attribute(
            "data-level") for i in range(health.count())}
        assert tables["feat_user__spend_windows"] == "critical"
        assert tables["feat_transaction__context"] == "critical"  # the volume drop
        drifted = page.locator(f'#skew tr[data-feature="{DRIFTED}"]')
        assert drifted.count() == 1 and drifted.get_attribute("data-level") == "critical"
        assert page.locator("#skew svg").count() >= 3  # PSI bars, PSI per day, overlays
        assert page.locator("#findings-table tbody tr.critical").count() >= 4
        assert page.locator("#tests-table tbody tr").count() >= 7  # one per test kind
        save_screenshot(page, "monitoring_report")
        page.click("#lineage-link")
        page.wait_for_load_state()
        assert page.url.endswith("/lineage.html")
    assert requested and all(url.startswith("file:") for url in requested), requested


def test_the_stable_report_says_ok(duckdb_build: BuiltProject, tmp_path: Path,
                                   capsys) -> None:
    out = tmp_path / "stable.html"
    output = _report(duckdb_build, out, capsys, "--lineage-page", str(tmp_path / "none.html"))
    assert "(ok, 0 findings)" in output and str(out) in output
    html = out.read_text(encoding="utf-8")
    assert 'class="chip ok">ok</span></h1>' in html.replace("\n", "")
    assert "No warnings or critical findings." in html
    assert "lineage graph (not generated yet)" in html
    assert "No served traffic in the serving window" in html
