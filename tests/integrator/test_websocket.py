"""The /v1/tts/stream protocol through the websockets client: many requests, text in pieces, cancel,
disconnect, backpressure, busy voices and garbage."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from tests.integrator.servekit import Running, decode, duration_s, probe, settled_count, wait_for
from tts_engine.types import SynthesisOptions

LONG = "。".join(f"这是第{i}句用来测试的话" for i in range(40)) + "。"


@contextmanager
def socket(server: Running, query: str = "", **kw: Any) -> Iterator[ClientConnection]:
    ws: ClientConnection = connect(f"{server.ws_url}/v1/tts/stream{query}", open_timeout=10, **kw)
    with ws:
        yield ws


def send(ws: ClientConnection, **message: Any) -> None:
    ws.send(json.dumps(message))


def recv_json(ws: ClientConnection, timeout: float = 10) -> dict[str, Any]:
    """The next text message (binary frames before it are skipped)."""
    while True:
        message = ws.recv(timeout)
        if isinstance(message, str):
            return dict(json.loads(message))


def end_of(ws: ClientConnection, request_id: str, timeout: float = 10) -> dict[str, Any]:
    """The request's done or error, skipping what comes before it."""
    while True:
        event = recv_json(ws, timeout)
        if event["type"] in ("done", "error") and event.get("request_id") == request_id:
            return event


def first_audio(ws: ClientConnection, timeout: float = 10) -> bytes:
    """Skip text messages up to the first binary frame."""
    while isinstance(message := ws.recv(timeout), str):
        assert json.loads(message)["type"] in ("start", "progress")
    return message


@dataclass
class Result:
    start: dict[str, Any] | None = None
    audio: bytearray = field(default_factory=bytearray)
    progress: list[dict[str, Any]] = field(default_factory=list)
    end: dict[str, Any] | None = None
    frames: int = 0


def collect(
    ws: ClientConnection, ids: list[str], timeout: float = 30, started: str | None = None
) -> dict[str, Result]:
    """Read until every request in ``ids`` has its done or error; binary frames go to the request
    whose start came last (the protocol's rule). ``started``: a request whose start was read already."""
    results = {i: Result() for i in ids}
    current = started
    deadline = time.monotonic() + timeout
    while any(r.end is None for r in results.values()):
        message = ws.recv(max(0.1, deadline - time.monotonic()))
        if isinstance(message, bytes):
            assert current is not None, "audio outside a request"
            results[current].audio += message
            results[current].frames += 1
            continue
        event = json.loads(message)
        result = results[event["request_id"]]
        if event["type"] == "start":
            assert current is None, "a start before the previous request ended"
            current = event["request_id"]
            result.start = event
        elif event["type"] == "progress":
            assert event["request_id"] == current
            result.progress.append(event)
        elif event["type"] in ("done", "error"):
            if event["request_id"] == current:
                current = None
            result.end = event
    return results


def expected_s(server: Running, text: str, voice: str, **options: Any) -> float:
    return server.engine.synthesize(text, voice, SynthesisOptions(**options)).duration_s


def test_many_requests_on_one_connection_run_in_order(server: Running) -> None:
    texts = {"a": "第一个请求。它有两句话。", "b": "The second request.", "c": "第三个。"}
    with socket(server) as ws:
        for request_id, text in texts.items():
            send(ws, type="synthesize", request_id=request_id, text=text)
        results = collect(ws, list(texts))
    for request_id, text in texts.items():
        result = results[request_id]
        assert result.start is not None and result.end is not None
        assert result.end["type"] == "done" and result.end["cancelled"] is False
        rate = result.start["sample_rate"]
        assert result.start["format"] == "pcm"
        assert len(result.audio) == 2 * round(result.end["duration_ms"] * rate / 1000)
        assert result.end["duration_ms"] / 1000 == pytest.approx(
            expected_s(server, text, result.start["voice"]), abs=0.002
        )
    assert results["b"].start and results["b"].start["voice"] == "tone-en"
    progress = results["a"].progress
    assert [p["sentence"] for p in progress] == [0, 1]
    assert progress[0]["offset_ms"] == 0 and progress[1]["offset_ms"] > 0
    assert "两句话" in progress[1]["text"]


@pytest.mark.parametrize("fmt", ["opus", "mp3"])
def test_compressed_formats_decode(server: Running, fmt: str) -> None:
    text = "The quick brown fox. It jumps over the lazy dog."
    with socket(server) as ws:
        send(ws, type="synthesize", request_id="x", text=text, format=fmt, speed=1.25)
        result = collect(ws, ["x"])["x"]
    assert result.start and result.start["format"] == fmt
    assert probe(bytes(result.audio))["codec"] == ("opus" if fmt == "opus" else "mp3")
    assert duration_s(bytes(result.audio)) == pytest.approx(
        expected_s(server, text, "tone-en", speed=1.25), abs=0.06
    )


def test_ping_answers_pong_with_its_id(server: Running) -> None:
    with socket(server) as ws:
        send(ws, type="ping", id=7)
        assert recv_json(ws) == {"type": "pong", "id": 7}


def test_appended_text_is_spoken_sentence_by_sentence_before_flush(server: Running) -> None:
    sentences = ["今天的会议很重要。", "我们讨论下个季度的计划。", "最后一句没有句号"]
    with socket(server) as ws:
        send(ws, type="synthesize", request_id="llm", incremental=True)
        for token in ["今天的", "会议很", "重要。", "我们"]:
            send(ws, type="append", request_id="llm", text=token)
        # The first sentence is complete: its audio comes without a flush.
        start = recv_json(ws)
        assert start["type"] == "start" and start["voice"] == "tone-zh"
        assert recv_json(ws) == {
            "type": "progress",
            "request_id": "llm",
            "sentence": 0,
            "text": sentences[0],
            "offset_ms": 0.0,
        }
        first = ws.recv(10)
        assert isinstance(first, bytes)
        for token in ["讨论下个", "季度的计划。", "最后一句", "没有句号"]:
            send(ws, type="append", request_id="llm", text=token)
        send(ws, type="flush", request_id="llm")
        rest = collect(ws, ["llm"], started="llm")["llm"]
    audio = first + bytes(rest.audio)
    assert rest.end and rest.end["type"] == "done"
    want = sum(expected_s(server, s, "tone-zh") for s in sentences)
    assert rest.end["duration_ms"] / 1000 == pytest.approx(want, abs=0.002)
    assert len(audio) == 2 * round(want * start["sample_rate"])
    assert [p["sentence"] for p in rest.progress] == [1, 2]
    assert rest.progress[-1]["text"] == "最后一句没有句号"


def test_incremental_errors(server: Running) -> None:
    with socket(server) as ws:
        send(ws, type="append", request_id="ghost", text="hi")
        assert recv_json(ws)["code"] == "unknown_request"
        send(ws, type="synthesize", request_id="whole", text="一句话。")
        send(ws, type="append", request_id="whole", text="more")
        # the request may start before the refused append is answered: both orders are right
        started = None
        while (event := recv_json(ws))["type"] != "error":
            assert event["type"] in ("start", "progress") and event["request_id"] == "whole"
            started = "whole"
        assert event["code"] == "not_incremental"
        assert collect(ws, ["whole"], started=started)["whole"].end["type"] == "done"  # type: ignore[index]
        send(ws, type="synthesize", request_id="nothing", incremental=True)
        send(ws, type="flush", request_id="nothing")
        assert recv_json(ws) == {
            "type": "error",
            "request_id": "nothing",
            "code": "empty_text",
            "message": "the request was flushed without any text to speak",
        }
        send(ws, type="synthesize", request_id="big", incremental=True)
        send(ws, type="append", request_id="big", text="字" * 2001)
        error = recv_json(ws)
        assert (error["request_id"], error["code"]) == ("big", "text_too_long")


def test_cancel_mid_stream_stops_synthesis(server: Running) -> None:
    slow = server.voices["tone-slow"]
    pieces = len(server.engine.prepare(LONG, "tone-slow").routes)
    with socket(server) as ws:
        send(ws, type="synthesize", request_id="long", text=LONG, voice="tone-slow")
        assert first_audio(ws)
        send(ws, type="cancel", request_id="long")
        end = end_of(ws, "long")
        assert end == {
            "type": "done",
            "request_id": "long",
            "duration_ms": end["duration_ms"],
            "cancelled": True,
        }
        made = settled_count(slow)
        assert made < pieces / 2
        # The connection carries on.
        send(ws, type="synthesize", request_id="next", text="好。")
        assert collect(ws, ["next"])["next"].end == {
            "type": "done",
            "request_id": "next",
            "duration_ms": pytest.approx(expected_s(server, "好。", "tone-zh") * 1000),
            "cancelled": False,
        }


def test_cancel_of_a_queued_request_answers_at_once(server: Running) -> None:
    with socket(server) as ws:
        send(ws, type="synthesize", request_id="first", text=LONG[:60], voice="tone-slow")
        send(ws, type="synthesize", request_id="second", text="第二个。")
        send(ws, type="cancel", request_id="second")
        results = collect(ws, ["first", "second"])
    assert results["second"].start is None
    assert results["second"].end == {
        "type": "done",
        "request_id": "second",
        "duration_ms": 0.0,
        "cancelled": True,
    }
    assert results["first"].end and results["first"].end["cancelled"] is False


def test_disconnect_mid_stream_stops_synthesis_and_frees_the_slot(
    start_server: Callable[..., Running],
) -> None:
    server = start_server(concurrency=1, queue=0)
    slow = server.voices["tone-slow"]
    pieces = len(server.engine.prepare(LONG, "tone-slow").routes)
    with socket(server) as ws:
        send(ws, type="synthesize", request_id="gone", text=LONG, voice="tone-slow")
        assert first_audio(ws)
    assert settled_count(slow) < pieces / 2
    wait_for(lambda: server.service.admission.counts("tone-slow") == (0, 0), what="the slot to be released")
    with socket(server) as ws:
        send(ws, type="synthesize", request_id="again", text="再来。", voice="tone-slow")
        assert collect(ws, ["again"])["again"].end["type"] == "done"  # type: ignore[index]


def test_a_slow_reader_pauses_synthesis(start_server: Callable[..., Running]) -> None:
    server = start_server(stream_buffer=2)
    voice = server.voices["tone-zh"]
    # ~20 MB of 48 kHz PCM: far more than the socket buffers between us hold.
    text = "。".join(f"这是第{i}句很长的用来测试背压的话" for i in range(180)) + "。"
    pieces = len(server.engine.prepare(text, "tone-zh").routes)
    voice.calls.clear()
    with socket(server, max_queue=1) as ws:
        send(ws, type="synthesize", request_id="flood", text=text, sample_rate=48000)
        paused_at = settled_count(voice, quiet_s=0.6)
        assert paused_at < pieces / 2  # the client reads nothing, so synthesis stopped well short of the end
        result = collect(ws, ["flood"], timeout=120)["flood"]
    assert result.end and result.end["type"] == "done"
    assert len(voice.calls) == pieces  # reading again resumed it, to the end
    assert len(result.audio) == 2 * round(result.end["duration_ms"] * 48)


def test_beyond_capacity_a_request_is_refused_as_busy(start_server: Callable[..., Running]) -> None:
    server = start_server(concurrency=1, queue=0, retry_after_s=3)
    with socket(server) as first, socket(server) as second:
        send(first, type="synthesize", request_id="hog", text=LONG, voice="tone-slow")
        assert recv_json(first)["type"] == "start"
        send(second, type="synthesize", request_id="late", text="你好。", voice="tone-slow")
        error = recv_json(second)
        assert (error["type"], error["code"], error["retry_after_s"]) == ("error", "busy", 3)
        # Other voices have their own slots; and the refused connection stays usable.
        send(second, type="synthesize", request_id="other", text="你好。", voice="tone-zh")
        assert collect(second, ["other"])["other"].end["type"] == "done"  # type: ignore[index]
        send(first, type="cancel", request_id="hog")


def test_connection_queue_is_bounded_and_ids_unique(start_server: Callable[..., Running]) -> None:
    server = start_server(ws_max_pending=1)
    with socket(server) as ws:
        send(ws, type="synthesize", request_id="one", text=LONG[:80], voice="tone-slow")
        assert recv_json(ws)["type"] == "start"
        send(ws, type="synthesize", request_id="two", text="二。")
        send(ws, type="synthesize", request_id="two", text="二。")
        assert recv_json(ws)["code"] == "duplicate_request_id"
        send(ws, type="synthesize", request_id="three", text="三。")
        error = recv_json(ws)
        assert (error["request_id"], error["code"]) == ("three", "too_many_requests")


def test_garbage_gets_an_error_and_the_connection_carries_on(server: Running) -> None:
    with socket(server) as ws:
        ws.send(b"\x00\xff\x13garbage")
        assert recv_json(ws)["code"] == "binary_not_accepted"
        ws.send("{not json")
        assert recv_json(ws)["code"] == "invalid_json"
        ws.send("[1, 2]")
        assert recv_json(ws)["code"] == "invalid_message"
        send(ws, type="dance")
        assert "dance" in recv_json(ws)["message"]
        send(ws, type="synthesize", request_id="typo", text="hi", colour="red")
        error = recv_json(ws)
        assert (error["code"], error["request_id"]) == ("invalid_message", "typo")
        assert "unknown field 'colour'" in error["message"]
        send(ws, type="synthesize", request_id="fmt", text="hi", format="flac")
        assert "format" in recv_json(ws)["message"]
        send(ws, type="synthesize", request_id="who", text="hi", voice="nobody")
        error = recv_json(ws)
        assert error["code"] == "unknown_voice" and "tone-zh" in error["message"]
        send(ws, type="synthesize", request_id="empty", text="……")
        assert recv_json(ws)["code"] == "empty_text"
        send(ws, type="synthesize", request_id="ok", text="还在。")
        assert collect(ws, ["ok"])["ok"].end["type"] == "done"  # type: ignore[index]


def test_an_oversized_frame_closes_with_1009_and_others_carry_on(
    start_server: Callable[..., Running],
) -> None:
    server = start_server(ws_max_message_bytes=4096)
    with socket(server) as other, socket(server) as ws:
        send(ws, type="synthesize", request_id="huge", text="字" * 3000)
        with pytest.raises(ConnectionClosed) as closed:
            ws.recv(10)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 1009
        send(other, type="synthesize", request_id="fine", text="没事。")
        assert collect(other, ["fine"])["fine"].end["type"] == "done"  # type: ignore[index]


def test_an_idle_connection_is_closed(start_server: Callable[..., Running]) -> None:
    server = start_server(idle_timeout_s=0.3)
    with socket(server) as ws:
        with pytest.raises(ConnectionClosed) as closed:
            ws.recv(10)
    assert closed.value.rcvd is not None
    assert (closed.value.rcvd.code, closed.value.rcvd.reason) == (1000, "idle timeout")


def test_decoded_pcm_is_the_tone(server: Running) -> None:
    with socket(server) as ws:
        send(ws, type="synthesize", request_id="t", text="声音。", sample_rate=16000)
        result = collect(ws, ["t"])["t"]
    samples, _ = decode(bytes(result.audio), pcm_rate=16000)
    spectrum = abs(__import__("numpy").fft.rfft(samples))
    assert abs(spectrum.argmax() * 16000 / len(samples) - 220) < 5  # tone-zh speaks Chinese at 220 Hz
