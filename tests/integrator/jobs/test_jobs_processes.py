"""Real `voxflow worker` processes: killed with SIGKILL mid-run, shared over Redis, stopped with SIGTERM.

The workers run the tone engine (VOXFLOW_TEST_ENGINE=tone:SECONDS per piece), so jobs take a
known time without any model.
"""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import soundfile as sf
import yaml

from integrator.config import load_settings
from integrator.jobs.job import Job, JobSpec, JobStatus
from integrator.jobs.service import JobService

RECOVERY = {
    "lease_seconds": 1.5, "heartbeat_seconds": 0.25, "requeue_after_seconds": 2.0,
    "sweep_interval_seconds": 0.3, "poll_seconds": 0.01, "cache_max_mb": 0,
    "retry_base_seconds": 0.2, "retry_max_seconds": 0.5, "max_attempts": 10,
}


class Cluster:
    """A config file, a job service on it, and worker processes started from it."""

    def __init__(self, tmp_path: Path, jobs: dict[str, Any]) -> None:
        self.config = tmp_path / "config.yaml"
        data = {"data_dir": str(tmp_path / "data"), "jobs": {**RECOVERY, **jobs}}
        self.config.write_text(yaml.safe_dump(data))
        self.service = JobService.from_settings(load_settings(self.config))
        self.procs: list[subprocess.Popen[bytes]] = []
        self.logs = tmp_path

    def worker(self, seconds_per_piece: float, workers: int = 1) -> subprocess.Popen[bytes]:
        env = {**os.environ, "VOXFLOW_TEST_ENGINE": f"tone:{seconds_per_piece}"}
        command = [sys.executable, "-m", "integrator.cli", "worker", "--config", str(self.config)]
        with open(self.logs / f"worker-{len(self.procs)}.log", "wb") as log:
            proc = subprocess.Popen(
                [*command, "--workers", str(workers)], env=env, stdout=log, stderr=subprocess.STDOUT
            )
        self.procs.append(proc)
        return proc

    def jobs(self) -> list[Job]:
        return self.service.page(limit=1000)[0]

    def count(self, status: JobStatus) -> int:
        return sum(j.status is status for j in self.jobs())

    def until(self, predicate: Callable[[], bool], timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                logs = "\n".join(p.read_text(errors="replace")[-2000:] for p in self.logs.glob("worker-*"))
                raise AssertionError(f"timed out waiting for {what}; {self.service.store.counts()}\n{logs}")
            time.sleep(0.05)

    def close(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.kill()
            proc.wait(10)
        self.service.close()


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[Callable[..., Cluster]]:
    made: list[Cluster] = []

    def make(**jobs: Any) -> Cluster:
        made.append(Cluster(tmp_path, jobs))
        return made[-1]

    yield make
    for c in made:
        c.close()


def running_on(c: Cluster, pid: int) -> list[Job]:
    return [j for j in c.jobs() if j.status is JobStatus.RUNNING and f":{pid}:" in (j.worker_id or "")]


def kill_while_running(c: Cluster, proc: subprocess.Popen[bytes]) -> None:
    """SIGKILL ``proc`` at a moment one of its jobs is running, so the kill lands mid-job."""
    c.until(lambda: bool(running_on(c, proc.pid)), 30, "a running job")
    proc.send_signal(signal.SIGKILL)
    proc.wait(10)


def test_killed_twice_mid_run_every_job_succeeds_and_is_delivered_once(
    cluster: Callable[..., Cluster], tmp_path: Path
) -> None:
    outbox = tmp_path / "outbox"
    c = cluster(sinks={"outbox": {"type": "file", "directory": str(outbox)}})
    texts = [f"Job {i} starts here. It has a middle part. And then job {i} ends." for i in range(100)]
    specs = [JobSpec(texts=[t], format="wav", sinks=[{"name": "outbox"}]) for t in texts]  # type: ignore[list-item]
    ids = [c.service.submit(spec)[0].id for spec in specs]

    first = c.worker(0.02, workers=2)
    c.until(lambda: c.count(JobStatus.SUCCEEDED) >= 15, 60, "15 jobs done")
    kill_while_running(c, first)
    second = c.worker(0.02, workers=2)
    c.until(lambda: c.count(JobStatus.SUCCEEDED) >= 50, 60, "50 jobs done")
    kill_while_running(c, second)
    third = c.worker(0.02, workers=2)
    c.until(lambda: c.count(JobStatus.SUCCEEDED) == 100, 90, "all 100 jobs done")
    third.send_signal(signal.SIGTERM)
    assert third.wait(15) == 0

    jobs = {j.id: j for j in c.jobs()}
    assert set(jobs) == set(ids) and all(j.status is JobStatus.SUCCEEDED for j in jobs.values())
    assert max(j.attempts for j in jobs.values()) >= 2  # the kills did interrupt running jobs
    records = c.service.store.deliveries()
    assert len(records) == 100 and {r.job_id for r in records} == set(ids)
    assert all(r.status == "delivered" for r in records)
    delivered = sorted(p.name for p in outbox.iterdir() if not p.name.startswith("."))
    assert delivered == sorted(f"{i}.wav" for i in ids)
    for job in jobs.values():
        assert job.artifact is not None
        path = c.service.artifact_path(job)
        data = path.read_bytes()
        assert hashlib.sha256(data).hexdigest() == job.artifact.sha256
        assert (outbox / path.name).read_bytes() == data
        audio, rate = sf.read(path)
        assert rate == 16000 and len(audio) / rate > 1.0


def test_two_workers_share_jobs_over_redis_and_survive_losing_one(
    cluster: Callable[..., Cluster], redis_url: str
) -> None:
    c = cluster(backend="redis", redis_url=redis_url, queue_name=f"scale{os.getpid()}")
    text = " ".join(f"Sentence {i} of this job." for i in range(8))
    ids = [c.service.submit(JobSpec(texts=[f"Job {n}. {text}"], format="pcm"))[0].id for n in range(20)]
    a, b = c.worker(0.04), c.worker(0.04)
    c.until(lambda: bool(running_on(c, a.pid) and running_on(c, b.pid)), 30, "both workers busy")
    victim = running_on(c, a.pid)[0]
    a.send_signal(signal.SIGKILL)
    a.wait(10)
    c.until(lambda: c.count(JobStatus.SUCCEEDED) == 20, 90, "all 20 jobs done")
    jobs = {j.id: j for j in c.jobs()}
    assert set(jobs) == set(ids)
    assert {(j.worker_id or "").split(":")[1] for j in jobs.values()} <= {str(a.pid), str(b.pid)}
    rerun = jobs[victim.id]
    assert rerun.attempts == 2 and f":{b.pid}:" in (rerun.worker_id or "")


def test_sigterm_hands_the_running_job_back_within_the_grace_period(cluster: Callable[..., Cluster]) -> None:
    c = cluster(shutdown_grace_seconds=0.5)
    job, _ = c.service.submit(JobSpec(texts=[" ".join(f"Sentence {i}." for i in range(40))], format="pcm"))
    proc = c.worker(0.1)
    c.until(lambda: c.service.get(job.id).status is JobStatus.RUNNING, 30, "the job to start")
    t0 = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(15) == 0  # handed back cleanly
    assert time.monotonic() - t0 < 0.5 + 5 + 1
    back = c.service.get(job.id)
    assert back.status is JobStatus.QUEUED and back.attempts == 0
    c.worker(0.0)
    c.until(lambda: c.service.get(job.id).status is JobStatus.SUCCEEDED, 30, "the job to finish")
    assert c.service.get(job.id).attempts == 1
