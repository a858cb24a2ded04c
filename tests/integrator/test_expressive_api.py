"""Styles and durations through every way in: POST /v1/tts, the OpenAI route's instructions, the
WebSocket, GET /v1/styles; bad values answered 422 (or an error message) naming the field."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from websockets.sync.client import connect

from tests.integrator.servekit import Running, decode
from tts_engine.prosody.measure import Heard, hear
from tts_engine.prosody.styles import StyleBook

ZH = "今天下午三点开会，讨论新产品。请大家准时参加。"
CHEERFUL = StyleBook().get("cheerful").targets


def tts(server: Running, **body: Any) -> httpx.Response:
    return httpx.post(f"{server.url}/v1/tts", json={"text": ZH, "format": "wav", **body}, timeout=30)


def heard(data: bytes, pcm_rate: int | None = None) -> Heard:
    samples, rate = decode(data, pcm_rate=pcm_rate)
    return hear(samples, rate)


def test_tts_style_moves_pitch_loudness_and_pace(server: Running) -> None:
    plain, styled = tts(server), tts(server, style="开心", intensity=1)
    assert plain.status_code == styled.status_code == 200, styled.text
    moved = heard(styled.content).against(heard(plain.content))
    assert moved["pitch_st"] == pytest.approx(CHEERFUL.pitch_st, abs=0.4)
    assert moved["gain_db"] == pytest.approx(CHEERFUL.gain_db, abs=0.6)
    assert moved["rate"] > 1.03


def test_tts_duration_s_gives_that_length(server: Running) -> None:
    response = tts(server, duration_s=3.21, style="calm")
    assert response.status_code == 200, response.text
    samples, rate = decode(response.content)
    assert len(samples) / rate == pytest.approx(3.21, abs=0.002)


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"style": "sleepy"}, "style"),
        ({"style": "sad", "intensity": 3}, "intensity"),
        ({"duration_s": 0}, "duration_s"),
        ({"duration_ratio": 5}, "duration_ratio"),
        ({"duration_s": 3600}, "duration_s"),
    ],
)
def test_tts_bad_values_are_422_naming_the_field(server: Running, body: dict[str, Any], param: str) -> None:
    response = tts(server, **body)
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["param"] == param
    assert param in error["message"] or "sleepy" in error["message"]


def test_tts_both_durations_are_refused(server: Running) -> None:
    response = tts(server, duration_s=2, duration_ratio=1.2)
    assert response.status_code == 422
    assert "duration_s" in response.json()["error"]["message"]


def test_ssml_express_as_reaches_the_voice(server: Running) -> None:
    ns = 'xmlns:mstts="https://www.w3.org/2001/mstts"'
    ssml = f"<speak {ns}><mstts:express-as style='cheerful'>{ZH}</mstts:express-as></speak>"
    styled = httpx.post(f"{server.url}/v1/tts", json={"ssml": ssml, "format": "wav"}, timeout=30)
    assert styled.status_code == 200, styled.text
    moved = heard(styled.content).against(heard(tts(server).content))
    assert moved["pitch_st"] == pytest.approx(CHEERFUL.pitch_st, abs=0.4)


def speech(server: Running, **body: Any) -> httpx.Response:
    request = {"model": "tts-1", "voice": "tone-zh", "input": ZH, "response_format": "pcm", **body}
    return httpx.post(f"{server.url}/v1/audio/speech", json=request, timeout=30)


def test_openai_instructions_are_read_and_reported(server: Running) -> None:
    plain = speech(server)
    assert "x-voxflow-instructions" not in plain.headers
    styled = speech(server, instructions="用非常悲伤的语气，慢一点")
    assert styled.status_code == 200, styled.text
    assert styled.headers["x-voxflow-instructions"] == "style=sad; intensity=1; rate=0.93"
    moved = heard(styled.content, 24000).against(heard(plain.content, 24000))
    sad = StyleBook().get("sad").targets
    assert moved["pitch_st"] == pytest.approx(sad.pitch_st, abs=0.4)
    assert moved["rate"] < sad.rate


def test_openai_instructions_it_does_not_know_change_nothing(server: Running) -> None:
    response = speech(server, instructions="Talk like a pirate")
    assert response.headers["x-voxflow-instructions"] == "none"
    assert len(response.content) == len(speech(server).content)


def test_styles_lists_the_table(server: Running) -> None:
    body = httpx.get(f"{server.url}/v1/styles").json()
    by_name = {s["name"]: s for s in body["styles"]}
    assert {"neutral", "cheerful", "sad", "angry", "calm", "serious", "gentle"} <= set(by_name)
    assert by_name["sad"]["aliases"] == ["悲伤"]
    assert by_name["cheerful"]["pitch_st"] == CHEERFUL.pitch_st


def ws_request(server: Running, **message: Any) -> tuple[list[dict[str, Any]], bytes]:
    events: list[dict[str, Any]] = []
    audio = bytearray()
    with connect(f"{server.ws_url}/v1/tts/stream", open_timeout=10) as ws:
        ws.send(json.dumps({"type": "synthesize", "request_id": "r", "format": "pcm", **message}))
        while True:
            frame = ws.recv(15)
            if isinstance(frame, bytes):
                audio += frame
                continue
            events.append(json.loads(frame))
            if events[-1]["type"] in ("done", "error"):
                return events, bytes(audio)


def test_websocket_style_and_duration(server: Running) -> None:
    _, plain = ws_request(server, text=ZH, voice="tone-zh")
    events, styled = ws_request(server, text=ZH, voice="tone-zh", style="cheerful", duration_s=4.0)
    assert events[-1]["type"] == "done"
    assert len(styled) == 2 * 4 * 16000
    moved = heard(styled, 16000).against(heard(plain, 16000))
    assert moved["pitch_st"] == pytest.approx(CHEERFUL.pitch_st, abs=0.4)


@pytest.mark.parametrize(
    ("message", "words"),
    [
        ({"text": ZH, "style": "sleepy"}, "unknown style 'sleepy'"),
        ({"text": ZH, "intensity": 3}, "intensity"),
        ({"text": ZH, "duration_s": 0}, "duration_s"),
        ({"incremental": True, "duration_s": 3}, "duration_s"),
        ({"incremental": True, "text": "第一句。", "style": "sleepy"}, "unknown style 'sleepy'"),
    ],
)
def test_websocket_bad_values_are_errors_naming_the_field(
    server: Running, message: dict[str, Any], words: str
) -> None:
    events, audio = ws_request(server, **message)
    assert events[-1]["type"] == "error"
    assert words in events[-1]["message"]
    assert audio == b""
