"""One rule picks the voice of a request that names none, whichever way the request comes in:
`voxflow say`, POST /v1/tts, the OpenAI route (its voice names), the WebSocket and jobs."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner
from websockets.sync.client import connect

from integrator import runtime
from integrator.cli import cli_app
from integrator.jobs.workers import WorkerHandle
from tests.integrator.servekit import (
    Running,
    running_server,
    tone_engine,
    tone_settings,
    tone_voices,
    wait_for,
)

app = cli_app()  # the command with the installed connectors

# (input, is it SSML, the voice the engine's defaults give it: zh -> tone-zh, en -> tone-en)
CASES = {
    "plain zh": ("会议定于下午三点举行，请大家准时参加。", False, "tone-zh"),
    "plain en": ("The meeting starts at three this afternoon.", False, "tone-en"),
    "mixed, mostly zh": ("我们下周发布 Voxflow 的新版本，欢迎大家试用。", False, "tone-zh"),
    "mixed, mostly en": ("The new Voxflow release ships next week, 下周见.", False, "tone-en"),
    "zh SSML": (
        '<speak version="1.0" xmlns="http://www.w3.org/2001/10/synthesis" xml:lang="zh-CN">'
        '会议<break time="200ms"/>下午三点开始。</speak>',
        True,
        "tone-zh",
    ),
    "en SSML": (
        '<speak version="1.0" xmlns="http://www.w3.org/2001/10/synthesis" xml:lang="en-US">'
        'The meeting <prosody rate="slow">starts at three</prosody>.</speak>',
        True,
        "tone-en",
    ),
}
# An OpenAI voice name mapped for Chinese only: English falls back to the engine's own choice.
MAPPED = {"nova": {"zh": "tone-slow"}}


@pytest.fixture(scope="module")
def served() -> Iterator[Running]:
    voices = tone_voices(slow_delay_s=0.0)
    settings = tone_settings(openai_voices=MAPPED)
    with running_server(settings, tone_engine(voices), voices) as server:
        workers = WorkerHandle(settings, server.engine, workers=1, run_schedules=False).start()
        try:
            yield server
        finally:
            workers.stop(2.0)


def by_cli(server: Running, text: str, ssml: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setattr(runtime, "build_engine", lambda settings: server.engine)
    out = tmp_path / "say.wav"
    result = CliRunner().invoke(app, ["say", text, "-o", str(out)])
    assert result.exit_code == 0, result.output
    found = re.search(r"voice (\S+)", result.output)
    assert found is not None, result.output
    return found.group(1)


def by_http(server: Running, text: str, ssml: bool) -> str:
    body = {"ssml": text} if ssml else {"text": text}
    response = httpx.post(f"{server.url}/v1/tts", json={**body, "format": "wav"}, timeout=30)
    assert response.status_code == 200, response.text
    return response.headers["x-voxflow-voice"]


def by_openai(server: Running, text: str, voice: str) -> str:
    body = {"model": "tts-1", "voice": voice, "input": text, "response_format": "wav"}
    response = httpx.post(f"{server.url}/v1/audio/speech", json=body, timeout=30)
    assert response.status_code == 200, response.text
    return response.headers["x-voxflow-voice"]


def by_websocket(server: Running, text: str, ssml: bool) -> str:
    with connect(f"{server.ws_url}/v1/tts/stream", open_timeout=10) as ws:
        body = {"ssml": text} if ssml else {"text": text}
        ws.send(json.dumps({"type": "synthesize", "request_id": "r", **body}))
        voice: str | None = None
        while True:
            message = ws.recv(10)
            if isinstance(message, str):
                event = json.loads(message)
                assert event["type"] != "error", event
                voice = event["voice"] if event["type"] == "start" else voice
                if event["type"] == "done":
                    assert voice is not None
                    return voice


def by_websocket_in_pieces(server: Running, text: str) -> str:
    with connect(f"{server.ws_url}/v1/tts/stream", open_timeout=10) as ws:
        half = len(text) // 2
        first = {"type": "synthesize", "request_id": "r", "incremental": True, "text": text[:half]}
        ws.send(json.dumps(first))
        ws.send(json.dumps({"type": "append", "request_id": "r", "text": text[half:]}))
        ws.send(json.dumps({"type": "flush", "request_id": "r"}))
        while True:
            message = ws.recv(10)
            if isinstance(message, str) and (event := json.loads(message))["type"] == "start":
                return str(event["voice"])


def by_job(server: Running, text: str, ssml: bool) -> str:
    """Jobs do not report their voice; their audio is at its rate (tone-zh 16 kHz, tone-en 22.05 kHz)."""
    submitted = httpx.post(
        f"{server.url}/v1/jobs", json={"texts": [text], "ssml": ssml, "format": "wav"}, timeout=30
    )
    assert submitted.status_code == 202, submitted.text
    url = f"{server.url}/v1/jobs/{submitted.json()['id']}"
    wait_for(lambda: httpx.get(url).json()["status"] in ("succeeded", "failed", "dead"), what="the job")
    job = httpx.get(url).json()
    assert job["status"] == "succeeded", job
    by_rate = {server.voices[v].info.sample_rate: v for v in ("tone-zh", "tone-en")}
    return by_rate[job["artifact"]["sample_rate"]]


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_every_entry_point_picks_the_same_voice(
    served: Running, case: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    text, ssml, expected = CASES[case]
    chosen = {
        "voxflow say": by_cli(served, text, ssml, tmp_path, monkeypatch),
        "POST /v1/tts": by_http(served, text, ssml),
        "OpenAI, unmapped name": by_openai(served, text, "alloy"),
        "WebSocket": by_websocket(served, text, ssml),
        "job": by_job(served, text, ssml),
    }
    if not ssml:  # text in pieces cannot be SSML
        chosen["WebSocket, text in pieces"] = by_websocket_in_pieces(served, text)
    assert chosen == dict.fromkeys(chosen, expected)
    # A mapped OpenAI name maps by the same language.
    mapped = MAPPED["nova"].get("zh") if expected == "tone-zh" else expected
    assert by_openai(served, text, "nova") == mapped


def test_the_rule_reads_ssml_by_what_it_says(served: Running) -> None:
    engine = served.engine
    # Markup is not English: a Chinese document full of attributes is still Chinese.
    assert engine.default_voice(CASES["zh SSML"][0]) == "tone-zh"
    # No letters at all: the language the document declares, as the front-end reads it.
    assert engine.default_voice('<speak xml:lang="en">12345</speak>') == "tone-en"
    assert engine.default_voice('<speak xml:lang="zh">12345</speak>') == "tone-zh"
    # Told it is not SSML, the tags are text to read (English letters).
    assert engine.default_voice('<speak xml:lang="en">你好</speak>', ssml=False) == "tone-en"


def test_no_default_voice_is_a_clear_error(served: Running) -> None:
    from tts_engine.engine import Engine
    from tts_engine.errors import UnknownVoiceError

    bare = Engine(served.engine.registry)
    with pytest.raises(UnknownVoiceError, match=r"engine\.default_voice is empty"):
        bare.default_voice("hello")
