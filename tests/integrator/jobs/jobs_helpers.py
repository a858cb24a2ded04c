"""Helpers shared by the job tests (imported by name: the test folders are not packages)."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Mapping
from functools import partial
from typing import Any

from integrator.config import Settings
from integrator.jobs.abc import AudioCache, Sink
from integrator.jobs.job import Job, JobSpec, JobStatus
from integrator.jobs.service import JobService
from integrator.jobs.workers import WorkerHandle
from tts_engine.backend import Backend
from tts_engine.engine import Engine
from tts_engine.registry import VoiceRegistry
from tts_engine.testing import ToneBackend

BACKENDS = ["memory", "sqlite", "redis"]
# Short leases and back-offs so recovery paths run in a second, not minutes.
FAST: dict[str, Any] = {
    "lease_seconds": 1.0,
    "heartbeat_seconds": 0.1,
    "retry_base_seconds": 0.2,
    "retry_max_seconds": 0.4,
    "requeue_after_seconds": 1.0,
    "sweep_interval_seconds": 0.2,
    "poll_seconds": 0.01,
    "cache_max_mb": 0,
    "shutdown_grace_seconds": 2.0,
}
SENTENCES = " ".join(f"Sentence number {i} is here." for i in range(1, 21))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def make_engine(*backends: ToneBackend) -> Engine:
    factories: dict[str, Callable[[], Backend]] = {b.info.id: partial(lambda b: b, b) for b in backends}
    registry = VoiceRegistry([b.info for b in backends], factories)
    first = backends[0].info.id
    return Engine(registry, default_voices={"zh": first, "en": first})


SettingsFactory = Callable[..., Settings]


class Harness:
    """A job service on one backend and, once started, workers over a tone engine."""

    def __init__(
        self,
        settings: Settings,
        backend: str,
        engine: Engine,
        *,
        sinks: Mapping[str, Sink] | None = None,
        cache: AudioCache | None = None,
    ) -> None:
        self.settings = settings
        self.engine = engine
        self.sinks = dict(sinks or {})
        self.cache = cache
        self.service = JobService.from_settings(settings, voices=engine.registry.ids(), backend=backend)
        self.service.sinks = set(self.sinks)
        self.handle: WorkerHandle | None = None

    @property
    def store(self) -> Any:
        return self.service.store

    def start(self, workers: int = 1) -> WorkerHandle:
        self.handle = WorkerHandle(
            self.settings,
            self.engine,
            workers=workers,
            run_schedules=False,
            service=self.service,
            sinks=self.sinks,
            cache=self.cache,
        ).start()
        return self.handle

    def submit(self, *texts: str, **spec: Any) -> Job:
        job, _ = self.service.submit(JobSpec(texts=list(texts) or ["Hello there. This is a test."], **spec))
        return job

    def wait(self, job_id: str, *statuses: JobStatus, timeout: float = 15.0) -> Job:
        wanted = set(statuses) or {s for s in JobStatus if s.terminal}
        deadline = time.monotonic() + timeout
        while True:
            job = self.service.get(job_id)
            if job.status in wanted:
                return job
            if time.monotonic() > deadline:
                raise AssertionError(f"job {job_id} still {job.status.value} after {timeout} s: {job.error}")
            time.sleep(0.02)

    def close(self) -> None:
        if self.handle is not None:
            self.handle.stop(2.0)
        self.service.close()


HarnessFactory = Callable[..., Harness]
