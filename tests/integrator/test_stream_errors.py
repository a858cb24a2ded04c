"""A voice that breaks half-way through a request: the chunked answer ends without its last chunk
(the client sees an incomplete read, not a short body that looks whole), OpenAI's SSE stream ends
with an `error` event, the WebSocket with an `error` message, and /metrics counts every one."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import httpx
import pytest
from openai import OpenAI
from websockets.sync.client import connect

from tests.integrator.servekit import Running, running_server, tone_engine, tone_settings, tone_voices
from tts_engine.testing import ToneBackend

# The fourth sentence breaks the voice; three sentences of audio have left by then.
TEXT = "第一句话在这里。第二句话在这里。第三句话在这里。第四句出故障了。第五句话在这里。"
FAULTY = "tone-faulty"


@pytest.fixture(scope="module")
def served() -> Iterator[Running]:
    voices = tone_voices()
    voices[FAULTY] = ToneBackend(FAULTY, ("zh", "en"), 16000, fail_on="故障")
    with running_server(tone_settings(), tone_engine(voices), voices) as server:
        yield server


def failures(server: Running) -> float:
    text = httpx.get(f"{server.url}/metrics").text
    found = re.search(
        rf'^voxflow_stream_failures_total{{code="synthesis_failed",voice="{FAULTY}"}} (\S+)$', text, re.M
    )
    return float(found.group(1)) if found else 0.0


def client(server: Running) -> OpenAI:
    return OpenAI(base_url=f"{server.url}/v1", api_key="unused", max_retries=0, timeout=30)


def test_a_chunked_answer_that_fails_half_way_is_an_incomplete_read(served: Running) -> None:
    before = failures(served)
    received = bytearray()
    body = {"text": TEXT, "voice": FAULTY, "format": "pcm", "stream": True}
    with httpx.stream("POST", f"{served.url}/v1/tts", json=body, timeout=30) as response:
        assert response.status_code == 200
        with pytest.raises(httpx.RemoteProtocolError, match="incomplete chunked read"):
            for data in response.iter_bytes():
                received += data
    # What came before the failure was real audio: three sentences of 60 ms a character.
    assert len(received) / 2 / 16000 > 1.0
    assert failures(served) == before + 1
    # The same voice answers the next request that does not break it, in full.
    whole = httpx.post(f"{served.url}/v1/tts", json={**body, "text": "第一句话在这里。"}, timeout=30)
    assert whole.status_code == 200 and len(whole.content) > 0


def test_a_whole_file_that_fails_is_a_500_and_counted(served: Running) -> None:
    before = failures(served)
    body = {"text": TEXT, "voice": FAULTY, "format": "wav"}
    response = httpx.post(f"{served.url}/v1/tts", json=body, timeout=30)
    assert response.status_code == 500 and response.json()["error"]["code"] == "internal_error"
    assert failures(served) == before + 1


def test_the_openai_sdk_sees_the_audio_stream_break(served: Running) -> None:
    before = failures(served)
    with client(served).audio.speech.with_streaming_response.create(
        model="tts-1", voice=FAULTY, input=TEXT, response_format="pcm"
    ) as response:
        assert response.status_code == 200
        # The SDK brings its own HTTP client (httpx or its fork httpx2): the error's name is the same.
        with pytest.raises(Exception, match="incomplete chunked read") as broken:
            for _ in response.iter_bytes():
                pass
    assert type(broken.value).__name__ == "RemoteProtocolError"
    assert failures(served) == before + 1


def test_the_openai_sse_stream_ends_with_an_error_event(served: Running) -> None:
    before = failures(served)
    with client(served).audio.speech.with_streaming_response.create(
        model="tts-1", voice=FAULTY, input=TEXT, response_format="mp3", stream_format="sse"
    ) as response:
        events = [json.loads(line[5:]) for line in response.iter_lines() if line.startswith("data:")]
    kinds = [e["type"] for e in events]
    assert kinds[0] == "speech.audio.delta" and kinds[-1] == "error"
    assert "speech.audio.done" not in kinds
    error = events[-1]["error"]
    assert set(error) == {"message", "type", "param", "code"}
    assert error["type"] == "server_error" and error["code"] == "synthesis_failed"
    assert "故障" in error["message"]  # it says what broke
    assert failures(served) == before + 1


def test_a_websocket_request_that_fails_is_counted_too(served: Running) -> None:
    before = failures(served)
    with connect(f"{served.ws_url}/v1/tts/stream", open_timeout=10) as ws:
        ws.send(json.dumps({"type": "synthesize", "request_id": "r", "text": TEXT, "voice": FAULTY}))
        while True:
            message = ws.recv(10)
            if isinstance(message, str) and (event := json.loads(message))["type"] in ("done", "error"):
                break
    assert event["type"] == "error" and event["code"] == "synthesis_failed"
    assert failures(served) == before + 1


def test_a_stream_that_succeeds_is_not_counted(served: Running) -> None:
    before = failures(served)
    body = {"text": "第一句话在这里。", "voice": FAULTY, "format": "pcm", "stream": True}
    with httpx.stream("POST", f"{served.url}/v1/tts", json=body, timeout=30) as response:
        assert len(response.read()) > 0
    assert failures(served) == before
