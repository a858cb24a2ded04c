"""Sinks deliver each artifact once per (job, sink); artifacts expire after their retention."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from integrator.config import JobsConfig
from integrator.jobs.abc import Sink
from integrator.jobs.artifacts import ArtifactStore, expire_artifacts
from integrator.jobs.broker import make_broker
from integrator.jobs.job import Artifact, Job, JobSpec
from integrator.jobs.service import JobService, JobStateConflict
from integrator.jobs.sinks import FileSink, MemorySink, build_sinks, deliver_once
from integrator.jobs.store import JobStore, utcnow


@pytest.fixture
def store(tmp_path: Path) -> Iterator[JobStore]:
    s = JobStore(f"sqlite:///{tmp_path / 'voxflow.db'}")
    yield s
    s.close()


@pytest.fixture(params=["file", "memory"])
def sink(request: pytest.FixtureRequest, tmp_path: Path) -> Sink:
    return FileSink("outbox", tmp_path / "outbox") if request.param == "file" else MemorySink("outbox")


def finished_job(store: JobStore, artifacts: ArtifactStore, data: bytes = b"RIFF..") -> tuple[Job, Path]:
    job, _ = store.create(JobSpec(texts=["Hi."], format="wav"), max_attempts=3)
    store.claim(job.id, "w", 30)
    with artifacts.writing(job.id) as tmp:
        tmp.write_bytes(data)
    path = artifacts.publish(tmp, job.id, "wav")
    store.set_artifact(job.id, "w", Artifact(path.name, "wav", len(data), "x", 16000))
    store.succeed(job.id, "w")
    got = store.get(job.id)
    assert got is not None
    return got, path


def delivered(sink: Sink) -> list[bytes]:
    if isinstance(sink, MemorySink):
        return [data for _, data, _ in sink.calls]
    assert isinstance(sink, FileSink)
    return [p.read_bytes() for p in sorted(sink.directory.iterdir())]


def test_a_delivery_happens_once_however_often_it_is_asked_for(
    store: JobStore, sink: Sink, tmp_path: Path
) -> None:
    job, path = finished_job(store, ArtifactStore(tmp_path / "artifacts"))
    receipts = [deliver_once(store, sink, job, path, {"to": "x"}) for _ in range(3)]
    assert receipts[0] == receipts[1] == receipts[2] and receipts[0]["sink"] == "outbox"
    assert delivered(sink) == [path.read_bytes()]
    records = store.deliveries(job.id)
    assert [(r.sink, r.status) for r in records] == [("outbox", "delivered")]


def test_a_failed_delivery_is_recorded_and_tried_again(store: JobStore, tmp_path: Path) -> None:
    job, path = finished_job(store, ArtifactStore(tmp_path / "artifacts"))
    sink = MemorySink("chat", fail_first=1)
    with pytest.raises(ConnectionError):
        deliver_once(store, sink, job, path, {})
    assert store.deliveries(job.id)[0].status == "pending"
    deliver_once(store, sink, job, path, {})
    (record,) = store.deliveries(job.id)
    assert (record.status, record.attempts, len(sink.calls)) == ("delivered", 2, 1)


def test_sinks_are_built_from_config(tmp_path: Path) -> None:
    sinks = build_sinks(
        {
            "archive": {"type": "file", "directory": str(tmp_path / "a")},
            "mem": {"type": "memory"},
        }
    )
    assert isinstance(sinks["archive"], FileSink) and sinks["archive"].key == "archive"
    with pytest.raises(ValueError, match="unknown type 'feishu'"):
        build_sinks({"x": {"type": "feishu"}})
    with pytest.raises(ValueError, match="missing option 'directory'"):
        build_sinks({"x": {"type": "file"}})


def test_artifacts_past_retention_are_deleted_and_reported_gone(store: JobStore, tmp_path: Path) -> None:
    artifacts = ArtifactStore(tmp_path / "data" / "artifacts")
    old, old_path = finished_job(store, artifacts)
    assert expire_artifacts(store, artifacts, before=utcnow() - timedelta(days=1)) == 0
    assert old_path.exists()
    assert expire_artifacts(store, artifacts, before=utcnow() + timedelta(seconds=1)) == 1
    assert not old_path.exists()
    gone = store.get(old.id)
    assert gone is not None and gone.artifact is not None and gone.artifact.expired
    cfg = JobsConfig()
    service = JobService(store, make_broker(cfg, tmp_path, backend="memory"), cfg, data_dir=tmp_path / "data")
    with pytest.raises(JobStateConflict, match="deleted"):
        service.artifact_path(gone)


def test_temp_files_of_killed_writers_are_swept(tmp_path: Path) -> None:
    artifacts = ArtifactStore(tmp_path)
    stale = artifacts.temp_path("j1")
    stale.write_bytes(b"half")
    fresh = artifacts.temp_path("j2")
    fresh.write_bytes(b"half")
    os.utime(stale, (0, 0))
    assert artifacts.sweep_parts(older_than_seconds=3600) == 1
    assert not stale.exists() and fresh.exists()
