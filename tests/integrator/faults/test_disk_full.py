"""The artifact disk fills up: a job that cannot write its audio retries and then fails with the
reason, leaves no partial file behind, and the server and smaller jobs carry on.

Two ways: an artifact store with a quota (always runs), and a real `voxflow serve` whose artifact
directory is a 256 KiB tmpfs (needs mount rights; skipped without them)."""

from __future__ import annotations

import errno
import os
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from integrator.jobs.artifacts import ArtifactStore
from integrator.jobs.workers import WorkerHandle
from tests.integrator.servekit import running_server, tone_engine, tone_settings, tone_voices
from tests.integrator.serveproc import FAST_JOBS, ServeProcess

QUOTA = 256 * 1024
BIG = " ".join(f"Sentence number {i} of the long report is right here." for i in range(40))  # ~1.5 MB wav
SMALL = "Hello there."  # ~40 KB wav


class QuotaArtifactStore(ArtifactStore):
    """An artifact directory with a quota: a write that takes it past the quota fails with ENOSPC,
    as on a full disk (where the error may come as late as the final sync)."""

    def __init__(self, root: Path, quota_bytes: int) -> None:
        super().__init__(root)
        self.quota = quota_bytes

    @contextmanager
    def writing(self, job_id: str) -> Iterator[Path]:
        with super().writing(job_id) as tmp:
            yield tmp
            used = sum(p.stat().st_size for p in self.root.iterdir() if p.is_file())
            if used > self.quota:
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(tmp))


def submit(url: str, text: str) -> str:
    response = httpx.post(f"{url}/v1/jobs", json={"texts": [text], "format": "wav"})
    assert response.status_code == 202, response.text
    return str(response.json()["id"])


def finished(url: str, job_id: str, timeout_s: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    while True:
        job: dict[str, Any] = httpx.get(f"{url}/v1/jobs/{job_id}").json()
        if job["status"] not in ("queued", "running"):
            return job
        assert time.monotonic() < deadline, f"job {job_id} still {job['status']}"
        time.sleep(0.05)


def check_full_disk_outcome(url: str, artifacts: Path) -> None:
    """The big job fails for lack of space, leaving nothing; the server and a small job carry on."""
    big = finished(url, submit(url, BIG))
    assert big["status"] == "dead" and big["attempts"] == 2  # retried: space may have been freed
    assert big["error"]["code"] == "OSError" and "No space left on device" in big["error"]["message"]
    assert big["artifact"] is None
    assert httpx.get(f"{url}/v1/jobs/{big['id']}/audio").status_code == 409
    assert [p.name for p in artifacts.iterdir() if big["id"] in p.name] == []  # no partial file
    assert httpx.get(f"{url}/healthz").status_code == 200
    assert httpx.post(f"{url}/v1/tts", json={"text": SMALL, "format": "wav"}).status_code == 200
    small = finished(url, submit(url, SMALL))
    assert small["status"] == "succeeded", small["error"]
    audio = httpx.get(f"{url}/v1/jobs/{small['id']}/audio")
    assert audio.status_code == 200 and audio.content[:4] == b"RIFF"
    assert len(audio.content) == small["artifact"]["bytes"]


def test_a_quota_in_the_artifact_store_fails_the_job_and_leaves_nothing(tmp_path: Path) -> None:
    settings = tone_settings()
    settings.data_dir = tmp_path / "data"
    settings.jobs = settings.jobs.model_copy(update={**FAST_JOBS, "max_attempts": 2})
    voices = tone_voices()
    engine = tone_engine(voices)
    with running_server(settings, engine, voices) as server:
        handle = WorkerHandle(settings, engine, workers=1, run_schedules=False)
        store = QuotaArtifactStore(handle.service.artifacts_dir, QUOTA)
        handle.artifacts = handle.runner.artifacts = handle.maintenance.artifacts = store
        handle.start()
        try:
            check_full_disk_outcome(server.url, store.root)
        finally:
            handle.stop(2.0)


@pytest.fixture
def tiny_artifact_disk(tmp_path: Path) -> Iterator[Path]:
    """``tmp_path/data/artifacts`` on a 256 KiB tmpfs."""
    artifacts = tmp_path / "data" / "artifacts"
    artifacts.mkdir(parents=True)
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={QUOTA},mode=0700", "tmpfs", str(artifacts)],
        capture_output=True, text=True,
    )  # fmt: skip
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip() or mounted.returncode}")
    try:
        yield artifacts
    finally:
        subprocess.run(["umount", "-l", str(artifacts)], check=False)


def test_a_full_tmpfs_under_voxflow_serve(tmp_path: Path, tiny_artifact_disk: Path) -> None:
    serve = ServeProcess(tmp_path, {"jobs": {**FAST_JOBS, "max_attempts": 2}}, tone_s=0.0)
    with serve:
        check_full_disk_outcome(serve.url, tiny_artifact_disk)
        assert serve.alive
    assert "No space left on device" in serve.output()
