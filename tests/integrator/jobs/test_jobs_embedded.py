"""start_embedded_workers: what `voxflow serve` runs in its lifespan — consumers, upkeep and schedules."""

from __future__ import annotations

import time

from jobs_helpers import SENTENCES, SettingsFactory, make_engine

from integrator.jobs.job import JobSpec, JobStatus
from integrator.jobs.workers import start_embedded_workers
from tts_engine.testing import ToneBackend


def test_embedded_workers_run_schedules_and_jobs_and_stop_in_time(make_settings: SettingsFactory) -> None:
    digest = {"texts": ["Nightly digest."], "format": "pcm"}
    schedule = {"id": "digest", "interval_seconds": 0.3, "action": "jobs.submit", "args": digest}
    settings = make_settings("sqlite", schedules=[schedule])
    handle = start_embedded_workers(settings, make_engine(ToneBackend("test-tone", delay_s=0.05)))
    service = handle.service
    try:
        deadline = time.monotonic() + 10
        while not any(j.status is JobStatus.SUCCEEDED for j in service.page(source="schedule")[0]):
            assert time.monotonic() < deadline, "no scheduled job ran"
            time.sleep(0.05)
        long, _ = service.submit(JobSpec(texts=[SENTENCES], format="pcm"))
        while service.get(long.id).status is not JobStatus.RUNNING:
            time.sleep(0.02)
        t0 = time.monotonic()
        assert handle.stop(timeout=0.2) is True
        assert time.monotonic() - t0 < 0.2 + 2.0  # the grace, then one piece to wind down
        back = service.store.get(long.id)
        assert back is not None and back.status is JobStatus.QUEUED and back.attempts == 0
        scheduled = len(service.store.find(source="schedule"))
        time.sleep(0.7)
        assert len(service.store.find(source="schedule")) == scheduled  # schedules stopped too
    finally:
        handle.stop(1.0)
