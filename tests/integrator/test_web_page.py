"""The web page in headless Chromium (Debian's package, driven by playwright): it plays streamed audio
through Web Audio, shows progress and errors in words, downloads a file ffprobe decodes, and sends the
chosen speaking style and intensity."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, Page, Route, WebSocket, sync_playwright

from tests.integrator.servekit import Running, duration_s, probe
from tts_engine.prosody.expression import Expression
from tts_engine.types import SynthesisOptions

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--autoplay-policy=no-user-gesture-required",
]
ZH = "今天下午三点开会，请大家准时参加。会议将讨论新产品的发布计划。"

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium")


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    # Playwright's string predicates are eval'd in the page, which the page's CSP forbids; the CSP
    # itself is checked in security/test_page_csp.py.
    context = browser.new_context(accept_downloads=True, bypass_csp=True)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield page
    context.close()
    assert errors == [], f"JavaScript errors: {errors}"


def stats(page: Page) -> dict[str, float]:
    return dict(page.evaluate("({...window.voxflowStats})"))


def test_play_streams_chinese_and_audio_is_heard(server: Running, page: Page) -> None:
    p = page
    p.goto(f"{server.url}/")
    p.wait_for_function("document.querySelectorAll('#voice option').length === 4")
    p.locator("#text").fill("")
    p.locator("#text").press_sequentially(ZH)
    p.locator("#voice").select_option("tone-slow")
    p.click("#play")
    p.wait_for_function(
        "window.voxflowStats.samplesReceived > 8000 && window.voxflowStats.peak > 0.05", timeout=15000
    )
    started = stats(p)["contextTime"]
    p.wait_for_function(f"window.voxflowStats.contextTime > {started + 0.5}", timeout=15000)
    assert stats(p)["state"] == "playing"
    assert p.text_content("#sentence") in (
        "今天下午三点开会，请大家准时参加。",
        "会议将讨论新产品的发布计划。",
    )
    assert p.text_content("#error") == ""
    p.wait_for_function("document.getElementById('status').textContent === 'Done.'", timeout=30000)
    received = stats(p)["samplesReceived"]
    rate = p.evaluate("Math.min(48000, Math.round(new AudioContext().sampleRate))")
    want = server.engine.synthesize(ZH, "tone-slow").duration_s
    assert received / rate == pytest.approx(want, abs=0.01)


def test_stop_cancels_and_download_gives_a_decodable_file(
    server: Running, page: Page, tmp_path: Path
) -> None:
    p = page
    p.goto(f"{server.url}/")
    p.wait_for_function("document.querySelectorAll('#voice option').length === 4")
    p.locator("#text").fill(ZH * 8)
    p.locator("#voice").select_option("tone-slow")
    p.click("#play")
    p.wait_for_function("window.voxflowStats.samplesReceived > 0", timeout=15000)
    p.click("#stop")
    assert p.text_content("#status") == "Stopped."
    assert stats(p)["state"] == "idle"

    p.locator("#text").fill(ZH)
    for fmt in ("mp3", "wav"):
        with p.expect_download() as download:
            p.click(f"#download-{fmt}")
        path = tmp_path / f"page.{fmt}"
        download.value.save_as(path)
        data = path.read_bytes()
        assert probe(data)["codec"] == ("mp3" if fmt == "mp3" else "pcm_s16le")
        want = server.engine.synthesize(ZH, "tone-slow").duration_s
        assert duration_s(data) == pytest.approx(want, abs=0.08)


def test_errors_are_shown_in_words_and_the_key_field_unlocks_the_page(
    start_server: Callable[..., Running], page: Page
) -> None:
    server = start_server(api_keys=["page-key"])
    p = page
    p.goto(f"{server.url}/")
    p.wait_for_function("document.getElementById('error').textContent.includes('API key')")
    p.fill("#api-key", "page-key")
    p.click("#save-key")
    p.wait_for_function("document.querySelectorAll('#voice option').length === 4")
    assert p.evaluate("localStorage.getItem('voxflow.apiKey')") == "page-key"
    p.locator("#text").fill("……")
    p.click("#play")
    p.wait_for_function("document.getElementById('error').textContent.includes('nothing to speak')")
    p.locator("#text").fill("你好。")
    p.click("#play")
    p.wait_for_function("window.voxflowStats.samplesReceived > 0 && window.voxflowStats.peak > 0.05")


LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1", "[::1]"})


def test_docs_render_the_operations_with_no_network_beyond_loopback(
    server: Running, browser: Browser
) -> None:
    context = browser.new_context()
    outside: list[str] = []

    def loopback_only(route: Route) -> None:
        if urlsplit(route.request.url).hostname in LOOPBACK:
            route.continue_()
        else:  # as on a machine with no internet: the request fails
            outside.append(route.request.url)
            route.abort("internetdisconnected")

    context.route("**/*", loopback_only)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        page.goto(f"{server.url}/docs")
        page.wait_for_selector(".opblock-summary-path", timeout=15000)
        paths = set(page.locator(".opblock-summary-path").all_text_contents())
        assert {"/v1/tts", "/v1/audio/speech", "/v1/voices", "/v1/jobs"} <= {p.strip() for p in paths}
        # An operation opens and shows its request body schema: the UI works, not just its shell.
        page.locator("#operations-speech-synthesize_v1_tts_post .opblock-summary").click()
        page.wait_for_selector("#operations-speech-synthesize_v1_tts_post .opblock-body", timeout=5000)
    finally:
        context.close()
    assert outside == [], f"/docs reached beyond loopback: {outside}"
    assert errors == [], f"JavaScript errors: {errors}"


def play_and_wait(p: Page, sent: list[dict[str, Any]]) -> float:
    """Press Play, wait for Done; the seconds of audio the page received."""
    before = stats(p)["samplesReceived"]
    count = len(sent)
    p.click("#play")
    p.wait_for_function("document.getElementById('status').textContent === 'Done.'", timeout=30000)
    assert len(sent) == count + 1
    rate = sent[-1]["sample_rate"]
    return float((stats(p)["samplesReceived"] - before) / rate)


def test_the_style_menu_and_intensity_slider_reach_the_voice(server: Running, page: Page) -> None:
    p = page
    sent: list[dict[str, Any]] = []

    def watch(ws: WebSocket) -> None:
        ws.on("framesent", lambda frame: sent.append(json.loads(frame)) if isinstance(frame, str) else None)

    p.on("websocket", watch)
    p.goto(f"{server.url}/")
    p.wait_for_function("document.querySelectorAll('#style option').length >= 7")
    labels = p.locator("#style option").all_text_contents()
    assert "sad 悲伤" in labels and "cheerful 开心" in labels
    assert p.locator("#intensity").is_disabled()  # neutral has nothing to scale
    p.locator("#text").fill(ZH)
    p.locator("#voice").select_option("tone-zh")
    plain = play_and_wait(p, sent)
    assert "style" not in sent[-1]

    p.locator("#style").select_option("sad")
    p.locator("#intensity").fill("60")
    assert p.text_content("#intensity-value") == "60 %"
    sad = play_and_wait(p, sent)
    assert (sent[-1]["style"], sent[-1]["intensity"]) == ("sad", 0.6)
    # Slower by the style's rate and pauses: as long as the engine makes it for that request.
    want = server.engine.synthesize(ZH, "tone-zh", SynthesisOptions(expression=Expression("sad", 0.6)))
    assert sad == pytest.approx(want.duration_s, abs=0.01)
    assert sad > 1.05 * plain


def test_a_style_the_server_does_not_know_is_shown_in_words(server: Running, page: Page) -> None:
    p = page
    p.goto(f"{server.url}/")
    p.wait_for_function("document.querySelectorAll('#style option').length >= 7")
    # A menu filled from an older server: the style is gone by the time Play is pressed.
    p.evaluate("document.getElementById('style').add(new Option('sleepy', 'sleepy'))")
    p.locator("#style").select_option("sleepy")
    p.locator("#text").fill(ZH)
    p.click("#play")
    p.wait_for_function("document.getElementById('error').textContent.includes(\"unknown style 'sleepy'\")")
    assert stats(p)["samplesReceived"] == 0
