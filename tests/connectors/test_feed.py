"""Live feeds on a real server: one synthesis heard by several listeners; late joiners, slow listeners."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from websockets.client import ClientProtocol
from websockets.exceptions import ConnectionClosed
from websockets.frames import Close, Frame, Opcode
from websockets.sync.client import ClientConnection, connect
from websockets.uri import parse_uri

from connectors.feed import FeedHub
from tests.connectors.connectors_helpers import Stack, make_settings, stack
from tests.integrator.servekit import decode, wait_for

SENTENCES = 80
TEXT = " ".join(f"Sentence {i} of the live reading goes on for a little while." for i in range(SENTENCES))


@pytest.fixture(scope="module")
def live() -> Iterator[Stack]:
    with stack(make_settings(feeds={"listener_queue": 16}), slow_delay_s=0.01) as s:
        yield s


@dataclass
class Heard:
    """What one listener received: JSON messages and, per progress message, the audio after it."""

    messages: list[dict[str, Any]] = field(default_factory=list)
    audio: bytearray = field(default_factory=bytearray)
    audio_at: dict[int, int] = field(default_factory=dict)  # sentence -> byte offset where it starts
    closed: ConnectionClosed | None = None

    def take(self, ws: ClientConnection) -> None:
        try:
            while True:
                message = ws.recv()
                if isinstance(message, bytes):
                    self.audio += message
                    continue
                msg = json.loads(message)
                self.messages.append(msg)
                if msg["type"] == "progress":
                    self.audio_at[msg["sentence"]] = len(self.audio)
                if msg["type"] in ("done", "error"):
                    return
        except ConnectionClosed as exc:
            self.closed = exc

    def types(self) -> list[str]:
        return [m["type"] for m in self.messages]

    def sentences(self) -> list[int]:
        return [m["sentence"] for m in self.messages if m["type"] == "progress"]


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


def listen(url: str, heard: Heard) -> threading.Thread:
    ws = connect(url, max_size=None)
    thread = threading.Thread(target=lambda: (heard.take(ws), ws.close()), daemon=True)
    thread.start()
    return thread


def test_three_listeners_one_synthesis_a_late_joiner_and_a_dropped_slow_one(live: Stack) -> None:
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

    # The late joiner started at the sentence being spoken when it joined, at that sentence's first byte.
    assert late.types()[:3] == ["subscribed", "start", "progress"] and late.types()[-1] == "done"
    first = late.sentences()[0]
    assert first >= joined_during and late.sentences() == list(range(first, SENTENCES))
    assert (
        late.messages[2]["offset_ms"]
        == next(m for m in fast.messages if m.get("sentence") == first)["offset_ms"]
    )
    assert bytes(late.audio) == bytes(fast.audio[fast.audio_at[first] :])

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
    from connectors.feed import RedisFeedBridge, RedisFeedPublisher

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


@pytest.fixture(scope="module")
def redis_url() -> Iterator[str]:
    import shutil
    import subprocess

    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed (apt-get install redis-server)")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                break
        except OSError:
            if time.monotonic() > deadline:
                proc.kill()
                raise
            time.sleep(0.05)
    yield f"redis://127.0.0.1:{port}/0"
    proc.terminate()
    proc.wait(10)


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
