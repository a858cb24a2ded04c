"""The web page works under its own Content-Security-Policy in headless Chromium: it plays over the
WebSocket and downloads over fetch without one violation, and it refuses to be framed."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, sync_playwright

from tests.integrator.servekit import Running

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
        "--autoplay-policy=no-user-gesture-required"]  # fmt: skip

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium")

# Registered before the page's own script runs, so a violation at load is seen too.
COLLECT_VIOLATIONS = """
window.cspViolations = [];
document.addEventListener("securitypolicyviolation",
  (e) => window.cspViolations.push(`${e.violatedDirective} ${e.blockedURI}`));
"""


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        yield browser
        browser.close()


def test_the_page_plays_and_downloads_without_a_csp_violation(
    server: Running, browser: Browser, tmp_path: Path
) -> None:
    context = browser.new_context(accept_downloads=True)
    page = context.new_page()
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text))
    page.add_init_script(COLLECT_VIOLATIONS)
    try:
        response = page.goto(f"{server.url}/")
        assert response is not None and "default-src 'none'" in response.headers["content-security-policy"]
        # Predicates as functions: a string is eval'd in the page, which this very CSP forbids.
        page.wait_for_function("() => document.querySelectorAll('#voice option').length === 4")  # fetch
        page.locator("#text").fill("你好。今天开会。")
        page.locator("#voice").select_option("tone-zh")
        page.click("#play")  # WebSocket to the page's own origin
        done = "() => document.getElementById('status').textContent === 'Done.'"
        page.wait_for_function(done, timeout=30000)
        assert page.evaluate("() => window.voxflowStats.samplesReceived") > 0
        with page.expect_download() as download:
            page.click("#download-wav")
        download.value.save_as(tmp_path / "page.wav")
        assert (tmp_path / "page.wav").read_bytes()[:4] == b"RIFF"
        assert page.evaluate("() => window.cspViolations") == []
        assert not [line for line in console if "Content Security Policy" in line]
    finally:
        context.close()


def test_the_page_cannot_be_framed(server: Running, browser: Browser, tmp_path: Path) -> None:
    context = browser.new_context()
    page = context.new_page()
    try:
        # A page from another origin (a file) frames ours: frame-ancestors 'none' leaves the frame empty.
        host = tmp_path / "host.html"
        host.write_text(f'<iframe id="f" src="{server.url}/" onload="this.dataset.loaded = 1"></iframe>')
        page.goto(host.as_uri())
        page.wait_for_function("() => document.getElementById('f').dataset.loaded === '1'")
        assert page.frame_locator("#f").locator("#play").count() == 0
        assert [f.url for f in page.frames if f != page.main_frame] != [f"{server.url}/"]
    finally:
        context.close()
