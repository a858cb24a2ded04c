"""Live feeds on a real server: one synthesis heard by several listeners; late joiners hear the replay
window, slow listeners are dropped."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from websockets.client import ClientProtocol
from websockets.exceptions import ConnectionClosed
from websockets.frames import Close, Frame, Opcode
from websockets.sync.client import connect
from websockets.uri import parse_uri

from connectors.feeds import FeedHub
from tests.connectors.connectors_helpers import Stack, make_settings, stack
from tests.connectors.feeds.feeds_helpers import Heard, listen
from tests.integrator.servekit import decode, wait_for

SENTENCES = 80
TEXT = " ".join(f"Sentence {i} of the live reading goes on for a little while." for i in range(SENTENCES))


@pytest.fixture(scope="module")
def live() -> Iterator[Stack]:
    # A window longer than the reading: a late joiner hears all of it (trimming: test_replay.py and
    # test_feed_processes.py).
    with stack(make_settings(feeds={"listener_queue": 16, "replay_s": 3600}), slow_delay_s=0.01) as s:
        yield s


class SlowListener:
    """A client that does not read at all until asked: a raw socket with a tiny receive buffer (client
    libraries read into memory in the background), with websockets' sans-I/O protocol as the parser."""

    def __init__(self, url: str) -> None:
        self.protocol = ClientProtocol(parse_uri(url), max_size=None)
        uri = parse_uri(url)
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        self.sock.connect((uri.host, uri.port))
        self.protocol.send_request(self.protocol.connect())
        self.sock.sendall(b"".join(self.protocol.data_to_send()))
        while (
            not isinstance(self.protocol.handshake_exc, Exception)
            and self.protocol.state.name == "CONNECTING"
        ):
            self.protocol.receive_data(self.sock.recv(4096))
        assert self.protocol.state.name == "OPEN"

    def read_all(self) -> tuple[list[dict[str, Any]], int, Close | None]:
        texts: list[dict[str, Any]] = []
        audio = 0
        self.sock.settimeout(30)
        while True:
            for event in self.protocol.events_received():
                if isinstance(event, Frame) and event.opcode is Opcode.TEXT:
                    texts.append(json.loads(event.data))
                elif isinstance(event, Frame) and event.opcode is Opcode.BINARY:
                    audio += len(event.data)
                elif isinstance(event, Frame) and event.opcode is Opcode.CLOSE:
                    self.sock.close()
                    return texts, audio, Close.parse(event.data)
            data = self.sock.recv(1 << 16)
            if not data:
                self.sock.close()
                return texts, audio, None
            self.protocol.receive_data(data)


def test_one_synthesis_heard_live_by_all_from_the_start_by_late_joiners_a_slow_one_dropped(
    live: Stack,
) -> None:
    url = live.running.ws_url + "/v1/feeds/lobby"
    fast = Heard()
    fast_thread = listen(url, fast)
    slow = SlowListener(url)
    wait_for(lambda: len(fast.messages) >= 1, what="the fast listener's subscription")

    with live.client(key=None) as client:
        job = client.post(
            "/v1/jobs", json={"texts": [TEXT], "voice": "tone-slow", "format": "mp3", "feed": "lobby"}
        ).json()
    wait_for(lambda: len(fast.sentences()) >= 10, what="the reading to get going")
    joined_during = fast.sentences()[-1]  # the sentence being spoken (or a later one) when the late one joins
    late = Heard()
    late_thread = listen(url, late)
    fast_thread.join(30)
    late_thread.join(30)
    done = live.wait(job["id"])
    assert done["status"] == "succeeded"
    after = Heard()  # opens the feed once the reading is over
    listen(url, after).join(30)

    # The fast listener heard the whole job, sentence after sentence, exactly as the stream protocol says.
    assert fast.types()[:3] == ["subscribed", "start", "progress"] and fast.types()[-1] == "done"
    start, end = fast.messages[1], fast.messages[-1]
    assert (start["request_id"], start["format"], start["voice"]) == (job["id"], "pcm", "tone-slow")
    assert fast.sentences() == list(range(SENTENCES))
    heard_ms = 1000 * len(fast.audio) / 2 / start["sample_rate"]
    assert abs(heard_ms - end["duration_ms"]) < 1
    with live.client(key=None) as client:
        artifact = client.get(f"/v1/jobs/{job['id']}/audio").content
    samples, rate = decode(artifact)
    assert (
        abs(len(samples) / rate * 1000 - heard_ms) < 150
    )  # the file is the same synthesis (mp3 padding aside)

    # The late joiner (sentence >= 10 was being spoken) and the one who came after the end heard the
    # reading from its start, byte for byte, then the end, as the first listener did.
    assert joined_during >= 9
    for heard in (late, after):
        assert heard.messages[1:] == fast.messages[1:]
        assert bytes(heard.audio) == bytes(fast.audio)

    # The slow one was dropped: what it finally reads is cut short and closed with 1013, without a done.
    texts, audio, close = slow.read_all()
    assert texts[0]["type"] == "subscribed" and "done" not in [t["type"] for t in texts]
    assert close is not None and close.code == 1013 and "too slow" in close.reason
    assert 0 < audio < len(fast.audio)


def test_an_invalid_channel_is_refused(live: Stack) -> None:
    with connect(live.running.ws_url + "/v1/feeds/no%20spaces") as ws:
        message = json.loads(ws.recv())
        with pytest.raises(ConnectionClosed) as closed:
            ws.recv()
    assert (
        message["code"] == "invalid_channel"
        and closed.value.rcvd is not None
        and closed.value.rcvd.code == 1008
    )


def test_jobs_on_one_channel_are_heard_one_after_another() -> None:
    hub = FeedHub(listener_queue=64)

    async def scenario() -> list[Any]:
        listener = hub.subscribe("c", asyncio.get_running_loop())
        a = hub.open("c", "a", sample_rate=16000, voice="v")
        b = hub.open("c", "b", sample_rate=16000, voice="v")  # starts while a plays: waits its turn
        a.sentence(0, "A one.", 0.0)
        b.sentence(0, "B one.", 0.0)
        b.audio(b"bb")
        a.audio(b"aa")
        b.end(10.0)
        a.end(10.0)
        got = []
        while len(got) < 8:
            got.append(await asyncio.wait_for(listener.get(), 1))
        return [m if isinstance(m, bytes) else (m["type"], m["request_id"]) for m in got]

    assert asyncio.run(scenario()) == [
        ("start", "a"),
        ("progress", "a"),
        b"aa",
        ("done", "a"),
        ("start", "b"),
        ("progress", "b"),
        b"bb",
        ("done", "b"),
    ]


def test_feeds_cross_machines_through_redis(redis_url: str) -> None:
    from connectors.feeds import RedisFeedBridge, RedisFeedPublisher

    hub = FeedHub()
    bridge = RedisFeedBridge(hub, redis_url).start()
    try:
        assert bridge.subscribed.wait(10)

        async def scenario() -> list[Any]:
            listener = hub.subscribe("radio", asyncio.get_running_loop())
            writer = RedisFeedPublisher(redis_url).open("radio", "j1", sample_rate=22050, voice="v")
            writer.sentence(0, "Hello.", 0.0)
            writer.audio(b"\x01\x02")
            writer.end(1.0)
            return [await asyncio.wait_for(listener.get(), 5) for _ in range(4)]

        got = asyncio.run(scenario())
    finally:
        bridge.stop()
    assert [m["type"] if isinstance(m, dict) else m for m in got] == [
        "start",
        "progress",
        b"\x01\x02",
        "done",
    ]
    assert got[0]["sample_rate"] == 22050


CHROMIUM = Path("/usr/bin/chromium")


@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium")
def test_the_web_page_listens_to_a_feed_and_plays_it(live: Stack) -> None:
    from playwright.sync_api import sync_playwright

    from tests.integrator.test_web_page import ARGS

    text = "The feed is live. Everyone hears the same voice."
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        page = browser.new_context(
            bypass_csp=True
        ).new_page()  # the CSP forbids playwright's eval'd predicates
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(f"{live.url}/")
        page.locator("#feed-channel").fill("radio")
        page.click("#feed-listen")
        page.wait_for_function(
            "document.getElementById('feed-status').textContent.startsWith('Listening to radio')"
        )
        with live.client(key=None) as client:
            client.post("/v1/jobs", json={"texts": [text], "voice": "tone-slow", "feed": "radio"})
        page.wait_for_function("window.voxflowStats.feed.peak > 0.05", timeout=15000)
        started = page.evaluate("window.voxflowStats.contextTime")
        page.wait_for_function(f"window.voxflowStats.contextTime > {started + 0.3}", timeout=15000)
        page.wait_for_function(
            "document.getElementById('feed-status').textContent.startsWith('Job finished')"
        )
        feed = page.evaluate("({...window.voxflowStats.feed})")
        page.click("#feed-stop")
        status = page.text_content("#feed-status")
        browser.close()
    assert errors == []
    assert feed["jobs"] == 1 and feed["lastSentence"] in (
        "The feed is live.",
        "Everyone hears the same voice.",
    )
    assert feed["samplesReceived"] / 16000 == pytest.approx(
        live.engine.synthesize(text, "tone-slow").duration_s, abs=0.01
    )
    assert status == "Not listening."
