"""A voice that raises in the middle of a request (out of memory, a broken model): the HTTP stream
ends at once and visibly incomplete, the WebSocket request gets an ``error`` and the connection
goes on, a job fails with the reason, and everything else keeps working."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from websockets.sync.client import connect

from integrator.jobs.job import JobSpec, JobStatus
from integrator.jobs.workers import WorkerHandle
from tests.integrator.servekit import Running, running_server, tone_settings, tone_voices, wait_for
from tts_engine.engine import Engine
from tts_engine.registry import VoiceRegistry
from tts_engine.testing import ToneBackend
from tts_engine.text import Piece

TEXT = "。".join(f"第{i}句话在这里" for i in range(12)) + "。"
REASON = "voice crashed: CUDA out of memory"


class CrashingBackend(ToneBackend):
    """Speaks ``good`` pieces of each request, then raises (``arm`` resets the count)."""

    def __init__(self, voice_id: str, good: int) -> None:
        super().__init__(voice_id, ("zh", "en"), 16000)
        self.good = good
        self.made = 0
        self._lock = threading.Lock()

    def arm(self) -> None:
        with self._lock:
            self.made = 0

    def synthesize(self, piece: Piece, speed: float = 1.0) -> Any:
        with self._lock:
            self.made += 1
            if self.made > self.good:
                raise RuntimeError(REASON)
        return super().synthesize(piece, speed)


Crashing = tuple[Running, CrashingBackend]


@pytest.fixture(scope="module")
def crashing() -> Iterator[Crashing]:
    voices = tone_voices()
    broken = CrashingBackend("tone-broken", good=3)
    backends: dict[str, ToneBackend] = {**voices, "tone-broken": broken}
    factories = {k: (lambda b=b: b) for k, b in backends.items()}
    registry = VoiceRegistry([b.info for b in backends.values()], factories)
    engine = Engine(registry, default_voices={"zh": "tone-zh", "en": "tone-en"})
    settings = tone_settings()
    settings.engine.preload = ["tone-zh"]  # the broken voice must not fail its warm-up
    settings.jobs.max_attempts = 2
    settings.jobs.retry_base_seconds = 0.1
    settings.jobs.retry_max_seconds = 0.2
    settings.jobs.cache_max_mb = 0
    with running_server(settings, engine, voices) as server:
        handle = WorkerHandle(settings, engine, workers=1, run_schedules=False).start()
        try:
            yield server, broken
        finally:
            handle.stop(2.0)


def healthy(server: Running) -> None:
    """Other requests are fine, and the broken voice's slot was given back."""
    assert httpx.post(f"{server.url}/v1/tts", json={"text": "你好。", "format": "wav"}).status_code == 200
    wait_for(lambda: server.service.admission.counts("tone-broken") == (0, 0), what="the slot to free")


def test_an_http_stream_ends_at_once_and_visibly_incomplete(crashing: Crashing) -> None:
    server, broken = crashing
    broken.arm()
    body = {"text": TEXT, "voice": "tone-broken", "format": "pcm", "stream": True}
    received = 0
    began = time.monotonic()
    with pytest.raises(httpx.RemoteProtocolError, match="incomplete"):  # no final chunk: not a whole file
        with httpx.stream("POST", f"{server.url}/v1/tts", json=body, timeout=30) as response:
            assert response.status_code == 200
            for data in response.iter_bytes():
                received += len(data)
    assert time.monotonic() - began < 10  # ended by the failure, not by a timeout
    assert received > 0  # the pieces made before the crash were sent
    healthy(server)


def test_a_whole_file_request_answers_500_in_the_error_shape(crashing: Crashing) -> None:
    server, broken = crashing
    broken.arm()
    response = httpx.post(f"{server.url}/v1/tts", json={"text": TEXT, "voice": "tone-broken"}, timeout=30)
    assert response.status_code == 500
    assert response.json()["error"]["code"] == "internal_error"
    assert REASON not in response.text  # internals stay in the server log
    healthy(server)


def test_a_websocket_request_gets_an_error_and_the_connection_goes_on(
    crashing: Crashing,
) -> None:
    server, broken = crashing
    broken.arm()
    with connect(f"{server.ws_url}/v1/tts/stream") as ws:
        ws.send(json.dumps({"type": "synthesize", "request_id": "a", "text": TEXT, "voice": "tone-broken"}))
        ws.send(json.dumps({"type": "synthesize", "request_id": "b", "text": "你好。", "voice": "tone-zh"}))
        ends: dict[str, dict[str, Any]] = {}
        while len(ends) < 2:
            message = ws.recv(10)
            if isinstance(message, str):
                event = json.loads(message)
                if event["type"] in ("done", "error"):
                    ends[event["request_id"]] = event
    assert ends["a"]["type"] == "error" and ends["a"]["code"] == "synthesis_failed"
    assert REASON in ends["a"]["message"]
    assert ends["b"]["type"] == "done" and ends["b"]["duration_ms"] > 0
    healthy(server)


def test_a_job_on_the_voice_fails_with_the_reason(crashing: Crashing) -> None:
    server, broken = crashing
    broken.arm()
    broken.good = 0  # every attempt fails
    try:
        spec = JobSpec(texts=[TEXT], voice="tone-broken").model_dump()
        submitted = httpx.post(f"{server.url}/v1/jobs", json=spec)
        assert submitted.status_code == 202
        job_id = submitted.json()["id"]

        def finished() -> bool:
            return httpx.get(f"{server.url}/v1/jobs/{job_id}").json()["status"] not in ("queued", "running")

        wait_for(finished, timeout_s=30, what="the job to end")
        job = httpx.get(f"{server.url}/v1/jobs/{job_id}").json()
        assert job["status"] == JobStatus.DEAD.value and job["attempts"] == 2
        assert job["error"]["code"] == "RuntimeError" and REASON in job["error"]["message"]
        assert job["artifact"] is None
        assert httpx.get(f"{server.url}/v1/jobs/{job_id}/audio").status_code == 409
    finally:
        broken.good = 3
    healthy(server)
