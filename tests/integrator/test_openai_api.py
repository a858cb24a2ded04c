"""POST /v1/audio/speech through the official openai SDK, audio checked with ffmpeg."""

from __future__ import annotations

import base64
import json
from typing import Any

import openai
import pytest
from openai import OpenAI

from tests.integrator.servekit import (
    Running,
    decode,
    duration_s,
    probe,
    running_server,
    tone_engine,
    tone_settings,
    tone_voices,
)
from tts_engine.prosody.expression import Expression
from tts_engine.types import SynthesisOptions

EN = "The meeting starts at three. Please be on time."
ZH = "会议下午三点开始。请大家准时参加。"
CODECS = {"mp3": "mp3", "wav": "pcm_s16le", "opus": "opus", "aac": "aac", "flac": "flac"}


def client(server: Running, key: str = "unused") -> OpenAI:
    return OpenAI(base_url=f"{server.url}/v1", api_key=key, max_retries=0, timeout=30)


def speak(server: Running, **params: Any) -> tuple[bytes, dict[str, str]]:
    params = {"model": "tts-1", "voice": "alloy", "input": EN, **params}
    with client(server).audio.speech.with_streaming_response.create(**params) as response:
        return response.read(), dict(response.headers)


def expected_s(server: Running, text: str, voice: str, **options: Any) -> float:
    return server.engine.synthesize(text, voice, SynthesisOptions(**options)).duration_s


@pytest.mark.parametrize("fmt", ["mp3", "wav", "opus", "aac", "flac"])
def test_each_response_format_decodes_to_the_synthesized_length(server: Running, fmt: str) -> None:
    data, headers = speak(server, response_format=fmt)
    assert probe(data)["codec"] == CODECS[fmt]
    assert headers["x-voxflow-voice"] == "tone-en"
    rate = int(headers["x-voxflow-sample-rate"])
    # A stream cannot carry gapless info: allow two codec frames of padding.
    slack = {"mp3": 2 * 1152 / rate, "aac": 2 * 1024 / rate, "opus": 0.03}.get(fmt, 0.01)
    assert duration_s(data) == pytest.approx(expected_s(server, EN, "tone-en", sample_rate=rate), abs=slack)


def test_pcm_is_24_khz_s16le_like_openai(server: Running) -> None:
    data, headers = speak(server, response_format="pcm")
    assert headers["content-type"] == "audio/pcm"
    assert headers["x-voxflow-sample-rate"] == "24000"
    want = expected_s(server, EN, "tone-en", sample_rate=24000)
    assert len(data) == 2 * round(want * 24000)
    samples, _ = decode(data, pcm_rate=24000)
    assert abs(samples).max() > 0.05


def test_sse_stream_carries_base64_audio_and_usage(server: Running) -> None:
    with client(server).audio.speech.with_streaming_response.create(
        model="gpt-4o-mini-tts",
        voice="nova",
        input=ZH,
        response_format="pcm",
        stream_format="sse",
        instructions="Speak cheerfully.",
    ) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        events = [json.loads(line[5:]) for line in response.iter_lines() if line.startswith("data:")]
    deltas = [e for e in events if e["type"] == "speech.audio.delta"]
    assert len(deltas) >= 2
    assert events[-1]["type"] == "speech.audio.done"
    usage = events[-1]["usage"]
    assert usage["input_tokens"] == len(ZH)
    assert usage["total_tokens"] == usage["input_tokens"] + usage["output_tokens"] > len(ZH)
    audio = b"".join(base64.b64decode(e["audio"]) for e in deltas)
    # "Speak cheerfully." reads as the cheerful style at intensity 0.7 (X-Voxflow-Instructions)
    assert response.headers["x-voxflow-instructions"] == "style=cheerful; intensity=0.7"
    cheerful = Expression(style="cheerful", intensity=0.7)
    want = expected_s(server, ZH, "tone-zh", sample_rate=24000, expression=cheerful)
    assert len(audio) == 2 * round(want * 24000)


def test_sse_with_mp3_decodes(server: Running) -> None:
    with client(server).audio.speech.with_streaming_response.create(
        model="tts-1-hd", voice="echo", input=EN, response_format="mp3", stream_format="sse"
    ) as response:
        events = [json.loads(line[5:]) for line in response.iter_lines() if line.startswith("data:")]
    audio = b"".join(base64.b64decode(e["audio"]) for e in events if e["type"] == "speech.audio.delta")
    assert probe(audio)["codec"] == "mp3"
    assert duration_s(audio) > 1.0


def test_openai_voice_names_follow_the_language_of_the_input(server: Running) -> None:
    assert speak(server, voice="alloy", input=ZH, response_format="wav")[1]["x-voxflow-voice"] == "tone-zh"
    assert speak(server, voice="shimmer", input=EN, response_format="wav")[1]["x-voxflow-voice"] == "tone-en"
    # Our own ids work as voices, and as models behind an OpenAI voice name.
    assert (
        speak(server, voice="tone-slow", input=EN, response_format="wav")[1]["x-voxflow-voice"] == "tone-slow"
    )
    assert (
        speak(server, model="tone-zh", voice="alloy", input=EN, response_format="wav")[1]["x-voxflow-voice"]
        == "tone-zh"
    )


def test_openai_voice_mapping_comes_from_config() -> None:
    voices = tone_voices()
    settings = tone_settings(openai_voices={"onyx": {"en": "tone-slow"}})
    with running_server(settings, tone_engine(voices), voices) as server:
        assert speak(server, voice="onyx", response_format="wav")[1]["x-voxflow-voice"] == "tone-slow"
        assert speak(server, voice="onyx", input=ZH, response_format="wav")[1]["x-voxflow-voice"] == "tone-zh"


def test_speed_is_clamped_to_the_engine_range(server: Running) -> None:
    fast, headers = speak(server, speed=4.0, response_format="pcm")
    assert headers["x-voxflow-speed"] == "2"
    assert len(fast) == 2 * round(expected_s(server, EN, "tone-en", speed=2.0, sample_rate=24000) * 24000)
    _, headers = speak(server, speed=0.25, response_format="pcm")
    assert headers["x-voxflow-speed"] == "0.5"


def openai_error(exc: openai.APIStatusError) -> dict[str, Any]:
    body = exc.response.json()
    assert set(body["error"]) >= {"message", "type", "param", "code"}
    return dict(body["error"])


def test_errors_come_in_openais_shape(server: Running) -> None:
    with pytest.raises(openai.BadRequestError) as bad_voice:
        speak(server, voice="nobody")
    error = openai_error(bad_voice.value)
    assert (error["param"], error["code"], error["type"]) == (
        "voice",
        "unknown_voice",
        "invalid_request_error",
    )
    assert "alloy" in error["known_voices"] and "tone-zh" in error["known_voices"]

    with pytest.raises(openai.BadRequestError) as bad_model:
        speak(server, model="whisper-1")
    assert openai_error(bad_model.value)["param"] == "model"

    with pytest.raises(openai.BadRequestError) as empty:
        speak(server, input="   ")
    assert (openai_error(empty.value)["param"], openai_error(empty.value)["code"]) == ("input", "empty_text")

    with pytest.raises(openai.UnprocessableEntityError) as too_fast:
        speak(server, speed=5.0)
    assert openai_error(too_fast.value)["param"] == "speed"

    with pytest.raises(openai.UnprocessableEntityError) as unknown:
        speak(server, extra_body={"temperature": 0.3})
    error = openai_error(unknown.value)
    assert (error["param"], error["code"]) == ("temperature", "unknown_parameter")
    assert "temperature" in error["message"]

    with pytest.raises(openai.UnprocessableEntityError) as bad_format:
        speak(server, response_format="ogg")
    assert openai_error(bad_format.value)["param"] == "response_format"

    with pytest.raises(openai.APIStatusError) as too_long:
        speak(server, input="字" * 2001)
    assert too_long.value.status_code == 413
    assert openai_error(too_long.value)["param"] == "input"
