"""POST /v1/tts, GET /v1/voices and the error answers, through a real uvicorn server and ffmpeg."""

from __future__ import annotations

from typing import Any, get_args

import httpx
import pytest

from integrator.app.schemas import Format
from tests.integrator.servekit import Running, decode, duration_s, probe, settled_count
from tts_engine.audio.codecs import FORMATS, MEDIA_TYPES
from tts_engine.types import SynthesisOptions

ZH = "今天下午三点开会。请大家准时参加。"
EN = "The meeting starts at three. Please be on time."
CODECS = {"wav": "pcm_s16le", "mp3": "mp3", "flac": "flac", "opus": "opus", "aac": "aac"}


def expected_s(server: Running, text: str, voice: str, **options: Any) -> float:
    return server.engine.synthesize(text, voice, SynthesisOptions(**options)).duration_s


def test_voices_lists_every_voice_with_the_defaults(server: Running) -> None:
    body = httpx.get(f"{server.url}/v1/voices").json()
    assert {v["id"] for v in body["voices"]} == {"tone-zh", "tone-en", "tone-slow"}
    assert body["default_voices"] == {"zh": "tone-zh", "en": "tone-en"}
    assert "alloy" in body["openai_voices"]
    assert set(body["formats"]) == set(FORMATS)
    assert next(v for v in body["voices"] if v["id"] == "tone-zh")["loaded"] is True


def test_format_literal_covers_every_codec_format() -> None:
    assert set(get_args(Format)) == set(FORMATS)


@pytest.mark.parametrize("fmt", ["wav", "mp3", "flac", "opus", "aac"])
def test_whole_file_in_each_format_decodes_to_the_synthesized_length(server: Running, fmt: str) -> None:
    response = httpx.post(f"{server.url}/v1/tts", json={"text": ZH, "format": fmt}, timeout=30)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == MEDIA_TYPES[fmt]
    assert response.headers["x-voxflow-voice"] == "tone-zh"  # Chinese text, no voice named
    assert probe(response.content)["codec"] == CODECS[fmt]
    want = expected_s(server, ZH, "tone-zh")
    # Lossy codecs may keep up to two frames of padding (mp3: 576 samples at 16 kHz, aac: 1024).
    slack = {"aac": 2 * 1024 / 16000, "mp3": 2 * 576 / 16000}.get(fmt, 0.02)
    assert duration_s(response.content) == pytest.approx(want, abs=slack)


def test_pcm_is_raw_s16le_at_the_requested_rate(server: Running) -> None:
    response = httpx.post(
        f"{server.url}/v1/tts", json={"text": EN, "format": "pcm", "sample_rate": 24000, "speed": 1.5}
    )
    assert response.status_code == 200
    assert response.headers["x-voxflow-sample-rate"] == "24000"
    assert response.headers["x-voxflow-voice"] == "tone-en"
    want = expected_s(server, EN, "tone-en", speed=1.5, sample_rate=24000)
    assert len(response.content) == 2 * round(want * 24000)
    samples, _ = decode(response.content, pcm_rate=24000)
    assert abs(samples).max() > 0.05


def test_ssml_field_is_parsed_as_ssml(server: Running) -> None:
    ssml = '<speak>你好<break time="800ms"/>世界</speak>'
    response = httpx.post(f"{server.url}/v1/tts", json={"ssml": ssml, "format": "wav"})
    assert response.status_code == 200, response.text
    plain = httpx.post(f"{server.url}/v1/tts", json={"text": "你好世界", "format": "wav"})
    assert duration_s(response.content) > duration_s(plain.content) + 0.6


def test_stream_true_sends_audio_before_synthesis_ends(server: Running) -> None:
    slow = server.voices["tone-slow"]
    text = "。".join(f"第{i}句话在这里" for i in range(12)) + "。"
    pieces = len(server.engine.prepare(text, "tone-slow").routes)
    slow.calls.clear()
    body = {"text": text, "voice": "tone-slow", "format": "mp3", "stream": True}
    with httpx.stream("POST", f"{server.url}/v1/tts", json=body, timeout=60) as response:
        assert response.status_code == 200
        assert response.headers["content-type"] == "audio/mpeg"
        chunks = response.iter_bytes()
        first = next(chunks)
        made_at_first_byte = len(slow.calls)
        data = first + b"".join(chunks)
    assert made_at_first_byte < pieces / 2
    assert duration_s(data) == pytest.approx(expected_s(server, text, "tone-slow"), abs=0.15)


def test_leaving_a_streamed_response_stops_synthesis(server: Running) -> None:
    slow = server.voices["tone-slow"]
    text = "。".join(f"第{i}句话在这里" for i in range(60)) + "。"
    pieces = len(server.engine.prepare(text, "tone-slow").routes)
    slow.calls.clear()
    body = {"text": text, "voice": "tone-slow", "format": "pcm", "stream": True}
    with httpx.stream("POST", f"{server.url}/v1/tts", json=body, timeout=60) as response:
        next(response.iter_bytes())
    assert settled_count(slow) < pieces / 2


def error_of(response: httpx.Response) -> dict[str, Any]:
    body = response.json()
    assert set(body) == {"error"}
    assert {"message", "type", "param", "code"} <= set(body["error"])
    return dict(body["error"])


@pytest.mark.parametrize(
    ("body", "status", "code", "param", "words"),
    [
        ({"text": "你好", "colour": "red"}, 422, "unknown_parameter", "colour", "unknown field 'colour'"),
        ({"text": "你好", "voice": "nobody"}, 400, "unknown_voice", "voice", "tone-en, tone-slow, tone-zh"),
        ({"text": "你好", "format": "ogg"}, 422, "invalid_value", "format", "'mp3'"),
        ({"text": ""}, 400, "empty_text", "text", "nothing to speak"),
        ({"text": "。。。"}, 400, "empty_text", "text", "nothing to speak"),
        ({"text": "你好", "speed": 3}, 422, "invalid_value", "speed", "less than or equal to 2"),
        (
            {"text": "你好", "ssml": "<speak>你好</speak>"},
            422,
            "invalid_value",
            None,
            "exactly one of 'text' or 'ssml'",
        ),
        ({}, 422, "invalid_value", None, "exactly one"),
        ({"text": "字" * 2001}, 413, "text_too_long", "text", "limit is 2000"),
        ({"ssml": "<speak><break time='x'/>你好"}, 400, "invalid_ssml", "text", "SSML"),
    ],
)
def test_bad_requests_get_a_status_and_words(
    server: Running, body: dict[str, Any], status: int, code: str, param: str | None, words: str
) -> None:
    response = httpx.post(f"{server.url}/v1/tts", json=body)
    assert response.status_code == status, response.text
    error = error_of(response)
    assert error["code"] == code
    assert error["param"] == param
    assert words in error["message"]


def test_unknown_voice_lists_the_known_ids(server: Running) -> None:
    error = error_of(httpx.post(f"{server.url}/v1/tts", json={"text": "hi", "voice": "x"}))
    assert error["known_voices"] == ["tone-en", "tone-slow", "tone-zh"]


def test_malformed_json_is_400_with_the_position(server: Running) -> None:
    response = httpx.post(
        f"{server.url}/v1/tts", content=b'{"text": "hi",', headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == "invalid_json"
    assert "position" in error["message"]


def test_body_over_the_limit_is_413_and_the_server_carries_on(server: Running) -> None:
    response = httpx.post(f"{server.url}/v1/tts", json={"text": "字" * 40_000})  # 120 kB > 64 KiB
    assert response.status_code == 413
    assert error_of(response)["code"] == "body_too_large"

    def chunks() -> Any:
        for _ in range(100):
            yield b" " * 1024  # chunked, no Content-Length: counted as it arrives

    response = httpx.post(
        f"{server.url}/v1/tts", content=chunks(), headers={"content-type": "application/json"}
    )
    assert response.status_code == 413
    assert httpx.post(f"{server.url}/v1/tts", json={"text": "好", "format": "wav"}).status_code == 200


def test_unknown_route_and_method_answer_in_the_same_shape(server: Running) -> None:
    assert error_of(httpx.get(f"{server.url}/v1/nothing"))["code"] == "not_found"
    response = httpx.get(f"{server.url}/v1/tts")
    assert response.status_code == 405
    assert error_of(response)["code"] == "method_not_allowed"


def test_openapi_schema_matches_the_routes(server: Running) -> None:
    schema = httpx.get(f"{server.url}/openapi.json").json()
    paths = schema["paths"]
    tts = paths["/v1/tts"]["post"]
    assert set(tts["responses"]["200"]["content"]) == set(MEDIA_TYPES.values())
    assert {"400", "413", "422", "503"} <= set(tts["responses"])
    speech = paths["/v1/audio/speech"]["post"]
    assert "text/event-stream" in speech["responses"]["200"]["content"]
    assert "audio/mpeg" in speech["responses"]["200"]["content"]
    components = schema["components"]["schemas"]
    for name in ("TTSRequest", "SpeechRequest"):
        assert components[name]["additionalProperties"] is False
    assert components["TTSRequest"]["properties"]["format"]["enum"] == list(get_args(Format))
    # 422 bodies are ours, not FastAPI's default: the schema must say so.
    ref = tts["responses"]["422"]["content"]["application/json"]["schema"]["$ref"]
    assert ref.endswith("/ErrorBody")
    assert "HTTPValidationError" not in components
    assert {"/healthz", "/readyz", "/metrics", "/v1/voices"} <= set(paths)
