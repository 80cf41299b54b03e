"""Headless Chromium for the HTML report tests: Debian's /usr/bin/chromium driven by
Playwright (a test tool's own browser download cannot work here: no internet).

`.ci/run` installs the chromium package when it is missing. Without it, browser tests skip,
or fail under FEATUREOPS_REQUIRE_SERVICES=1 like the other service-backed tests.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
# Screenshots of the reports land here, kept as test artifacts.
ARTIFACTS_DIR = Path(__file__).resolve().parents[1] / "artifacts" / "screenshots"


def chromium_path() -> str:
    """The system Chromium, or skip (fail under FEATUREOPS_REQUIRE_SERVICES=1)."""
    found = os.environ.get("FEATUREOPS_CHROMIUM") or shutil.which("chromium") or (
        "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
    if found is None:
        reason = "Debian's chromium is not installed (apt-get install chromium)"
        if os.environ.get("FEATUREOPS_REQUIRE_SERVICES") == "1":
            pytest.fail(f"{reason} (FEATUREOPS_REQUIRE_SERVICES=1, so this is a failure)")
        pytest.skip(reason)
    return found


@contextmanager
def browser_page() -> Iterator[Any]:
    """A Playwright page in headless system Chromium; blocks every non-file request, so a
    report that reaches for the network fails its test instead of hanging."""
    from playwright.sync_api import sync_playwright

    executable = chromium_path()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS,
                                             headless=True)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.route("**/*", lambda route: route.continue_()
                       if route.request.url.startswith(("file:", "data:", "blob:", "about:"))
                       else route.abort())
            yield page
        finally:
            browser.close()


def save_screenshot(page: Any, name: str) -> Path:
    ARTIFACTS_DIR.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS_DIR / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
