"""Readiness, metrics, admission limits, API keys and CORS of the running service."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable

import httpx
import openai
import pytest
from openai import OpenAI
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from tests.integrator.servekit import (
    Running,
    running_server,
    tone_engine,
    tone_settings,
    tone_voices,
    wait_for,
)
from tts_engine.testing import ToneBackend

LONG = "。".join(f"这是第{i}句用来测试的话" for i in range(40)) + "。"


class GatedVoice(ToneBackend):
    """Loads only when the test says so, to watch /readyz before and after warm-up."""

    def __init__(self, voice_id: str) -> None:
        super().__init__(voice_id)
        self.gate = threading.Event()

    def load(self) -> None:
        self.gate.wait(30)
        super().load()


def test_readyz_turns_200_only_after_warm_up() -> None:
    voice = GatedVoice("gated")
    engine = tone_engine({"gated": voice})
    settings = tone_settings()
    settings.engine.preload = ["gated"]
    with running_server(settings, engine, wait_ready=False) as server:
        assert httpx.get(f"{server.url}/healthz").json() == {"status": "ok"}
        response = httpx.get(f"{server.url}/readyz")
        assert response.status_code == 503
        assert response.json()["status"] == "warming_up"
        voice.gate.set()
        wait_for(lambda: httpx.get(f"{server.url}/readyz").status_code == 200, what="readiness")
        assert voice.loads == 1
        assert httpx.get(f"{server.url}/readyz").json()["status"] == "ready"


def test_readyz_names_a_voice_that_failed_to_load() -> None:
    class Broken(ToneBackend):
        def load(self) -> None:
            raise RuntimeError("weights missing")

    engine = tone_engine({"broken": Broken("broken")})
    settings = tone_settings()
    settings.engine.preload = ["broken"]
    with running_server(settings, engine, wait_ready=False) as server:
        wait_for(lambda: httpx.get(f"{server.url}/readyz").json()["status"] == "failed", what="the failure")
        response = httpx.get(f"{server.url}/readyz")
        assert response.status_code == 503
        assert response.json()["errors"] == {"broken": "weights missing"}


def test_metrics_expose_latency_histograms_gauges_and_request_counts(server: Running) -> None:
    assert httpx.post(f"{server.url}/v1/tts", json={"text": "指标。", "format": "wav"}).status_code == 200
    assert httpx.post(f"{server.url}/v1/tts", json={"text": ""}).status_code == 400
    with connect(f"{server.ws_url}/v1/tts/stream") as ws:
        ws.send(json.dumps({"type": "synthesize", "request_id": "m", "text": "好。"}))
        while not (isinstance(m := ws.recv(10), str) and json.loads(m)["type"] == "done"):
            pass
    response = httpx.get(f"{server.url}/metrics")
    assert response.headers["content-type"].startswith("text/plain")
    text = response.text
    assert "# TYPE voxflow_first_audio_seconds histogram" in text
    assert "# TYPE voxflow_real_time_factor histogram" in text
    assert 'voxflow_first_audio_seconds_bucket{le="0.5",voice="tone-zh"}' in text
    assert 'voxflow_real_time_factor_count{voice="tone-zh"}' in text
    assert 'voxflow_active_streams{voice="tone-zh"} 0.0' in text
    assert 'voxflow_queue_depth{voice="tone-zh"} 0.0' in text
    assert 'voxflow_requests_total{route="/v1/tts",status="200"}' in text
    assert 'voxflow_requests_total{route="/v1/tts",status="400"}' in text
    assert 'voxflow_requests_total{route="/v1/tts/stream",status="done"}' in text


def test_beyond_capacity_http_gets_503_with_retry_after(start_server: Callable[..., Running]) -> None:
    server = start_server(concurrency=1, queue=1, retry_after_s=4)
    body = {"text": LONG * 5, "voice": "tone-slow", "format": "pcm", "stream": True}  # ~10 s of synthesis
    with httpx.stream("POST", f"{server.url}/v1/tts", json=body, timeout=30) as hog:
        chunks = hog.iter_bytes()  # held: dropping the iterator would close the response
        next(chunks)
        waiting = threading.Thread(
            target=httpx.post,
            args=(f"{server.url}/v1/tts",),
            kwargs={"json": {"text": "等。", "voice": "tone-slow"}, "timeout": 60},
        )
        waiting.start()
        wait_for(lambda: server.service.admission.counts("tone-slow") == (1, 1), what="a waiting request")
        assert 'voxflow_queue_depth{voice="tone-slow"} 1.0' in httpx.get(f"{server.url}/metrics").text
        refused = httpx.post(f"{server.url}/v1/tts", json={"text": "满了。", "voice": "tone-slow"})
        assert refused.status_code == 503
        assert refused.headers["retry-after"] == "4"
        assert refused.json()["error"]["code"] == "busy"
        # OpenAI's route refuses the same way; other voices are not affected.
        client = OpenAI(base_url=f"{server.url}/v1", api_key="x", max_retries=0)
        with pytest.raises(openai.InternalServerError) as busy:
            client.audio.speech.create(model="tone-slow", voice="alloy", input="满了。")
        assert busy.value.status_code == 503
        assert (
            httpx.post(f"{server.url}/v1/tts", json={"text": "别的。", "voice": "tone-zh"}).status_code == 200
        )
    waiting.join(60)
    wait_for(lambda: server.service.admission.counts("tone-slow") == (0, 0), what="slots to free")


def test_voices_of_one_backend_share_its_limit(start_server: Callable[..., Running]) -> None:
    # All tone voices are backend "tone": one model's worth of streams, whichever voice asks.
    server = start_server(voice_limits={"tone": {"concurrency": 1, "queue": 0}})
    body = {"text": LONG * 5, "voice": "tone-slow", "format": "pcm", "stream": True}
    with httpx.stream("POST", f"{server.url}/v1/tts", json=body, timeout=30) as hog:
        chunks = hog.iter_bytes()  # held: dropping the iterator would close the response
        next(chunks)
        refused = httpx.post(f"{server.url}/v1/tts", json={"text": "别的。", "voice": "tone-zh"})
        assert refused.status_code == 503 and "tone-zh" in refused.json()["error"]["message"]
        assert 'voxflow_active_streams{voice="tone"} 1.0' in httpx.get(f"{server.url}/metrics").text


def test_api_keys_guard_everything_but_the_probes_and_the_page(
    start_server: Callable[..., Running], monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("VOXFLOW_API_KEYS", "env-key-1, env-key-2")
    server = start_server(api_keys=["config-key"])
    url = server.url
    for path in ("/healthz", "/readyz", "/", "/static/app.js"):
        assert httpx.get(url + path).status_code == 200, path
    for path in ("/v1/voices", "/metrics", "/openapi.json"):
        response = httpx.get(url + path)
        assert response.status_code == 401, path
        assert response.headers["www-authenticate"] == "Bearer"
        assert response.json()["error"]["code"] == "invalid_api_key"
    assert httpx.get(f"{url}/v1/voices", headers={"Authorization": "Bearer nope"}).status_code == 401
    for key in ("config-key", "env-key-1", "env-key-2"):
        assert httpx.get(f"{url}/v1/voices", headers={"Authorization": f"Bearer {key}"}).status_code == 200
    with caplog.at_level(logging.INFO):
        assert httpx.get(f"{url}/v1/voices?api_key=env-key-2").status_code == 200
    server_log = [r.getMessage() for r in caplog.records if not r.name.startswith(("httpx", "httpcore"))]
    assert any("GET /v1/voices 200" in line for line in server_log)
    assert not any("env-key-2" in line for line in server_log)

    with pytest.raises(openai.AuthenticationError):
        OpenAI(base_url=f"{url}/v1", api_key="wrong", max_retries=0).audio.speech.create(
            model="tts-1", voice="alloy", input="hi"
        )
    audio = OpenAI(base_url=f"{url}/v1", api_key="config-key").audio.speech.create(
        model="tts-1", voice="alloy", input="hi", response_format="wav"
    )
    assert audio.content[:4] == b"RIFF"

    with connect(f"{server.ws_url}/v1/tts/stream") as ws:
        assert json.loads(ws.recv(10))["code"] == "invalid_api_key"
        with pytest.raises(ConnectionClosed) as closed:
            ws.recv(10)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 1008
    with connect(f"{server.ws_url}/v1/tts/stream?api_key=env-key-1") as ws:
        ws.send(json.dumps({"type": "ping"}))
        assert json.loads(ws.recv(10)) == {"type": "pong"}
    with connect(
        f"{server.ws_url}/v1/tts/stream", additional_headers={"Authorization": "Bearer config-key"}
    ) as ws:
        ws.send(json.dumps({"type": "ping"}))
        assert json.loads(ws.recv(10)) == {"type": "pong"}

    schema = httpx.get(f"{url}/openapi.json", headers={"Authorization": "Bearer config-key"}).json()
    assert set(schema["components"]["securitySchemes"]) == {"bearer", "api_key"}
    assert schema["paths"]["/healthz"]["get"]["security"] == []


def test_cors_allows_only_the_configured_origins(start_server: Callable[..., Running]) -> None:
    server = start_server(cors_origins=["https://app.example"], api_keys=["k"])
    preflight = httpx.options(
        f"{server.url}/v1/tts",
        headers={
            "Origin": "https://app.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type",
        },
    )
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == "https://app.example"
    assert "authorization" in preflight.headers["access-control-allow-headers"].lower()
    ok = httpx.post(
        f"{server.url}/v1/tts",
        json={"text": "hi", "format": "wav"},
        headers={"Origin": "https://app.example", "Authorization": "Bearer k"},
    )
    assert ok.headers["access-control-allow-origin"] == "https://app.example"
    assert "x-voxflow-voice" in ok.headers["access-control-expose-headers"].lower()
    # A refusal carries the header too, so the page can read the error.
    denied = httpx.get(f"{server.url}/v1/voices", headers={"Origin": "https://app.example"})
    assert (
        denied.status_code == 401 and denied.headers["access-control-allow-origin"] == "https://app.example"
    )
    other = httpx.get(f"{server.url}/healthz", headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in other.headers


def test_openai_voice_mapping_to_an_unknown_voice_fails_at_start_up() -> None:
    voices = tone_voices()
    settings = tone_settings(openai_voices={"alloy": {"en": "no-such-voice"}})
    with pytest.raises(Exception, match="no-such-voice"):
        with running_server(settings, tone_engine(voices), voices):
            pass
