"""Finished audio on local disk: ``<root>/<job id>.<format>``, written to a temp file and renamed."""

from __future__ import annotations

import hashlib
import logging
import os
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from .job import Artifact
from .store import JobStore

log = logging.getLogger(__name__)
PART = ".part"


class ArtifactStore:
    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)

    def path(self, job_id: str, fmt: str) -> Path:
        return self.root / f"{job_id}.{fmt}"

    def temp_path(self, job_id: str) -> Path:
        # Unique per writer: two workers briefly owning the same job never share a temp file.
        return self.root / f".{job_id}.{uuid.uuid4().hex[:8]}{PART}"

    @contextmanager
    def writing(self, job_id: str) -> Iterator[Path]:
        """A temp path to fill; synced to disk after the block, removed if it fails. Then :meth:`publish`."""
        tmp = self.temp_path(job_id)
        try:
            yield tmp
            with open(tmp, "rb+") as f:
                os.fsync(f.fileno())
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise

    def publish(self, tmp: Path, job_id: str, fmt: str) -> Path:
        """Atomically move a complete temp file into place; readers see the old file or the new one."""
        final = self.path(job_id, fmt)
        os.replace(tmp, final)
        _fsync_dir(self.root)
        return final

    def remove(self, job_id: str, fmt: str) -> bool:
        try:
            self.path(job_id, fmt).unlink()
            return True
        except FileNotFoundError:
            return False

    def sweep_parts(self, older_than_seconds: float) -> int:
        """Delete temp files that workers killed mid-write left behind."""
        cutoff = time.time() - older_than_seconds
        removed = 0
        for part in self.root.glob(f".*{PART}"):
            try:
                if part.stat().st_mtime < cutoff:
                    part.unlink()
                    removed += 1
            except FileNotFoundError:
                pass
        return removed


def file_sha256(path: Path) -> str:
    """Hex SHA-256 of a file's contents, read in blocks."""
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def audio_duration_ms(artifact: Artifact | None, path: Path) -> float:
    """The length of the audio at ``path`` in ms: counted at synthesis and carried by its
    ``artifact``. Files of artifacts made before the length was recorded are decoded here."""
    if artifact is not None and artifact.duration_ms is not None:
        return artifact.duration_ms
    import av  # only for artifacts from older versions

    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        samples = sum(frame.samples for frame in container.decode(stream))
        return round(1000.0 * samples / (stream.codec_context.sample_rate or 1), 1)


def expire_artifacts(store: JobStore, artifacts: ArtifactStore, before: datetime) -> int:
    """Delete the artifacts of jobs that finished before ``before`` and mark them expired (retention)."""
    count = 0
    while True:
        batch = store.finished_with_artifacts(before)
        if not batch:
            return count
        for job in batch:
            assert job.artifact is not None
            artifacts.remove(job.id, job.artifact.format)
            store.mark_artifact_expired(job.id)
            count += 1


def _fsync_dir(path: Path) -> None:
    # The rename itself must survive a crash, not only the file's bytes.
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
