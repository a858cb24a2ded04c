"""Helpers for the service tests: a real uvicorn server in a thread, tone voices, a real audio decoder."""

from __future__ import annotations

import json
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import numpy as np
import uvicorn

from integrator.app import create_app
from integrator.app.server import bind, uvicorn_config
from integrator.app.state import SpeechService
from integrator.config import Settings
from integrator.services import Services
from tts_engine.backend import Backend
from tts_engine.engine import Engine
from tts_engine.policy import TextPolicy
from tts_engine.registry import VoiceRegistry
from tts_engine.testing import ToneBackend

FFMPEG, FFPROBE = "/usr/bin/ffmpeg", "/usr/bin/ffprobe"


def tone_voices(slow_delay_s: float = 0.05) -> dict[str, ToneBackend]:
    """tone-zh speaks zh and en at 16 kHz, tone-en English at 22.05 kHz, tone-slow takes a while per piece."""
    return {
        "tone-zh": ToneBackend("tone-zh", ("zh", "en"), 16000),
        "tone-en": ToneBackend("tone-en", ("en",), 22050),
        "tone-slow": ToneBackend("tone-slow", ("zh", "en"), 16000, delay_s=slow_delay_s),
    }


def tone_engine(
    voices: dict[str, ToneBackend], max_chars: int = 20_000, policy: TextPolicy | None = None
) -> Engine:
    registry = VoiceRegistry([b.info for b in voices.values()], {k: _same(b) for k, b in voices.items()})
    return Engine(
        registry, default_voices={"zh": "tone-zh", "en": "tone-en"}, max_chars=max_chars, policy=policy
    )


def _same(backend: Backend) -> Callable[[], Backend]:
    return lambda: backend


def tone_settings(**server: Any) -> Settings:
    return Settings.model_validate(
        {
            "data_dir": tempfile.mkdtemp(prefix="voxflow-serve-test-"),  # the jobs database lives there
            "engine": {
                "preload": ["tone-zh", "tone-en"],
                "default_voice": {"zh": "tone-zh", "en": "tone-en"},
            },
            "server": server,
        }
    )


@dataclass
class Running:
    url: str
    ws_url: str
    service: SpeechService
    voices: dict[str, ToneBackend]

    @property
    def engine(self) -> Engine:
        return self.service.engine


@contextmanager
def running_server(
    settings: Settings,
    engine: Engine,
    voices: dict[str, ToneBackend] | None = None,
    *,
    wait_ready: bool = True,
    services: Services | None = None,
) -> Iterator[Running]:
    """uvicorn on a free loopback port, configured exactly as ``voxflow serve`` configures it."""
    app = create_app(settings, engine, services)
    sock = bind("127.0.0.1", 0)
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn_config(app, settings, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the test server did not start")
        time.sleep(0.01)
    running = Running(f"http://127.0.0.1:{port}", f"ws://127.0.0.1:{port}", app.state.service, voices or {})
    if wait_ready:
        wait_until_ready(running.url, settings)
    try:
        yield running
    finally:
        server.should_exit = True
        thread.join(15)
        sock.close()


def wait_until_ready(url: str, settings: Settings, timeout_s: float = 600) -> None:
    keys = settings.server.api_keys
    key = keys[0] if keys else None
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        response = httpx.get(f"{url}/readyz", headers=headers)
        if response.status_code == 200:
            return
        if response.json().get("status") == "failed":
            raise RuntimeError(f"warm-up failed: {response.json()}")
        time.sleep(0.05)
    raise RuntimeError("the server did not get ready")


def wait_for(condition: Any, timeout_s: float = 10.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def settled_count(voice: ToneBackend, quiet_s: float = 0.4, timeout_s: float = 15.0) -> int:
    """The voice's call count once it has stopped growing for ``quiet_s``."""
    deadline = time.monotonic() + timeout_s
    last = len(voice.calls)
    since = time.monotonic()
    while time.monotonic() < deadline:
        time.sleep(0.05)
        now = len(voice.calls)
        if now != last:
            last, since = now, time.monotonic()
        elif time.monotonic() - since >= quiet_s:
            return now
    raise AssertionError("the voice never stopped synthesizing")


# -- a real decoder ---------------------------------------------------------------
def probe(data: bytes) -> dict[str, Any]:
    """ffprobe's view of an audio file: codec, sample rate."""
    out = subprocess.run(
        [FFPROBE, "-v", "error", "-show_streams", "-show_format", "-of", "json", "-i", "pipe:0"],
        input=data,
        capture_output=True,
        check=True,
    )
    info = json.loads(out.stdout)
    stream = info["streams"][0]
    return {
        "codec": stream["codec_name"],
        "sample_rate": int(stream["sample_rate"]),
        "format": info["format"],
    }


def decode(data: bytes, *, pcm_rate: int | None = None) -> tuple[np.ndarray, int]:
    """Decode with ffmpeg to mono float32 at the stream's own rate (``pcm_rate``: raw s16le input)."""
    if pcm_rate is not None:
        source, rate = ["-f", "s16le", "-ar", str(pcm_rate), "-ac", "1"], pcm_rate
    else:
        source, rate = [], probe(data)["sample_rate"]
    out = subprocess.run(
        [
            FFMPEG,
            "-v",
            "error",
            *source,
            "-i",
            "pipe:0",
            "-f",
            "f32le",
            "-ac",
            "1",
            "-ar",
            str(rate),
            "pipe:1",
        ],
        input=data,
        capture_output=True,
        check=True,
    )
    return np.frombuffer(out.stdout, dtype="<f4"), rate


def duration_s(data: bytes, *, pcm_rate: int | None = None) -> float:
    samples, rate = decode(data, pcm_rate=pcm_rate)
    return len(samples) / rate


def peak(data: bytes, *, pcm_rate: int | None = None) -> float:
    samples, _ = decode(data, pcm_rate=pcm_rate)
    return float(np.abs(samples).max()) if len(samples) else 0.0
