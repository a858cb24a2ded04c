"""Helpers for the connector tests: a recording HTTP receiver, a server with job workers, signing."""

from __future__ import annotations

import json
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx

from connectors import signing
from integrator.config import Settings, validate_settings
from integrator.jobs.workers import WorkerHandle
from integrator.plugins import discover, sections_of
from integrator.services import compose
from tests.integrator.servekit import Running, running_server, tone_engine, tone_voices
from tts_engine.engine import Engine

API_KEY = "test-key"
# Quick recovery and no cache: every job synthesizes, so feeds have something to hear.
FAST_JOBS: dict[str, Any] = {
    "cache_max_mb": 0,
    "poll_seconds": 0.01,
    "heartbeat_seconds": 0.1,
    "lease_seconds": 5.0,
    "retry_base_seconds": 0.2,
    "retry_max_seconds": 0.4,
    "sweep_interval_seconds": 0.5,
    "shutdown_grace_seconds": 2.0,
    "max_attempts": 2,
}


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Receiver:
    """A real HTTP server on loopback: records every POST and answers with a scripted status per path
    (the last status of a script repeats)."""

    script: dict[str, list[int]] = field(default_factory=dict)
    requests: list[Received] = field(default_factory=list)
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def on(self, path: str, *statuses: int) -> str:
        self.script[path] = list(statuses)
        return self.url + path

    def at(self, path: str) -> list[Received]:
        return [r for r in self.requests if r.path == path]

    def wait_for(self, path: str, count: int = 1, timeout: float = 10.0) -> list[Received]:
        """Requests at ``path`` once there are ``count`` (a failure is called back after the job ends)."""
        deadline = time.monotonic() + timeout
        while len(self.at(path)) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        return self.at(path)

    def start(self) -> Receiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.requests.append(Received(self.path, dict(self.headers.items()), body))
                statuses = receiver.script.get(self.path.split("?")[0], [200])
                status = statuses.pop(0) if len(statuses) > 1 else statuses[0]
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()


def make_settings(**sections: Any) -> Settings:
    """Tone voices, a fresh data dir, fast jobs; ``sections`` override (hooks, callbacks, server, ...)."""
    data: dict[str, Any] = {
        "data_dir": tempfile.mkdtemp(prefix="voxflow-connectors-"),
        "engine": {"preload": ["tone-zh", "tone-en"], "default_voice": {"zh": "tone-zh", "en": "tone-en"}},
        "jobs": dict(FAST_JOBS),
    }
    for key, value in sections.items():
        data[key] = {**data[key], **value} if isinstance(data.get(key), dict) else value
    return validate_settings(data, sections_of(discover()))  # each section by its own model


@dataclass
class Stack:
    """A real uvicorn server and embedded job workers on one tone engine, as `voxflow serve` runs them."""

    running: Running
    settings: Settings
    workers: WorkerHandle

    @property
    def url(self) -> str:
        return self.running.url

    @property
    def engine(self) -> Engine:
        return self.running.engine

    def client(self, key: str | None = API_KEY) -> httpx.Client:
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=30)

    def wait(self, job_id: str, timeout: float = 20.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        with self.client() as client:
            while True:
                job = client.get(f"/v1/jobs/{job_id}").json()
                if job["status"] in ("succeeded", "failed", "dead", "cancelled"):
                    return dict(job)
                if time.monotonic() > deadline:
                    raise AssertionError(f"job {job_id} still {job['status']}")
                time.sleep(0.03)


@contextmanager
def stack(settings: Settings, slow_delay_s: float = 0.05) -> Iterator[Stack]:
    voices = tone_voices(slow_delay_s)
    services = compose(settings)  # one for the app and its workers, as `voxflow serve` does
    engine = tone_engine(voices, policy=services.policy)
    with running_server(settings, engine, voices, services=services) as running:
        workers = services.worker_handle(engine, workers=1, run_schedules=False).start()
        try:
            yield Stack(running, settings, workers)
        finally:
            workers.stop(2.0)
            services.close()


def signed_post(
    client: httpx.Client,
    hook: str,
    payload: Any,
    secret: str,
    *,
    now: float | None = None,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    body = json.dumps(payload).encode()
    sent = {
        "Content-Type": "application/json",
        **signing.signed_headers(secret, body, now),
        **(headers or {}),
    }
    return client.post(f"/v1/hooks/{hook}", content=body, headers=sent)


def repo_root() -> Path:
    return Path(__file__).resolve().parents[2]
