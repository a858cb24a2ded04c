"""What a job is: the validated request (``JobSpec``) and a snapshot of its row (``Job``)."""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from integrator.expressive import ExpressionFields
from tts_engine.audio.encoder import FORMATS, MEDIA_TYPES

Format = Literal["pcm", "wav", "mp3", "opus", "flac", "aac"]
assert set(FORMATS) == set(get_args(Format)), "jobs.Format is out of step with the engine's formats"
# Artifacts of other job kinds (an audiobook's M4B) that are no engine stream format.
OTHER_MEDIA_TYPES = {"m4b": "audio/mp4"}
SPEECH = "speech"
# Live feed channels (connectors/feeds/): what may follow /v1/feeds/ in a URL.
CHANNEL_PATTERN = r"^[A-Za-z0-9_.-]{1,64}$"


class JobStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"  # a permanent error (bad input): never retried
    CANCELLED = "cancelled"
    DEAD = "dead"  # dead letter: failed on every one of max_attempts attempts

    @property
    def terminal(self) -> bool:
        return self in TERMINAL


TERMINAL = frozenset({JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELLED, JobStatus.DEAD})


class Priority:
    """Higher runs first. LIVE jobs also take the live lane (``jobs.live_workers``): they never wait
    behind batches, queued or running."""

    BATCH = 1
    NORMAL = 5
    LIVE = 9


class SinkRequest(BaseModel):
    """Deliver the artifact to the configured sink ``name``; ``params`` are for that sink (a chat id, ...)."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=64)
    params: dict[str, Any] = Field(default_factory=dict)


class JobSpec(ExpressionFields):
    """A job request, as POST /v1/jobs, connectors and schedules send it.

    ``kind`` "speech" synthesizes ``texts``; another kind (``audiobook``) is a registered handler
    (integrator/jobs/kinds.py) that reads its ``args`` instead. ``feed`` names a live channel whose
    listeners hear the job while it is synthesized (connectors/feeds/). ``style`` and ``intensity``
    apply to every text; ``duration_s`` / ``duration_ratio`` to each text on its own (two texts with
    ``duration_s: 3`` make six seconds), as each text is its own request to the engine.
    """

    model_config = ConfigDict(extra="forbid")

    # Before texts: the texts check reads it.
    kind: str = Field(default=SPEECH, pattern=r"^[a-z][a-z0-9_]{0,31}$")
    texts: list[str] = Field(default_factory=list, max_length=1000, validate_default=True)
    voice: str | None = Field(default=None, min_length=1, max_length=100)
    format: Format = "mp3"
    speed: float = Field(default=1.0, ge=0.5, le=2.0)
    sample_rate: int | None = Field(default=None, ge=8000, le=48000)
    ssml: bool | None = None
    source: str = Field(default="api", min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")
    priority: int = Field(default=Priority.NORMAL, ge=0, le=9)
    idempotency_key: str | None = Field(default=None, min_length=1, max_length=200)
    timeout_seconds: float | None = Field(default=None, gt=0)
    max_attempts: int | None = Field(default=None, ge=1, le=100)
    sinks: list[SinkRequest] = Field(default_factory=list, max_length=16)
    metadata: dict[str, Any] = Field(default_factory=dict)
    args: dict[str, Any] = Field(default_factory=dict)
    feed: str | None = Field(default=None, pattern=CHANNEL_PATTERN)

    @field_validator("texts")
    @classmethod
    def _not_blank(cls, texts: list[str], info: ValidationInfo) -> list[str]:
        if not texts and info.data.get("kind", SPEECH) == SPEECH:
            raise ValueError("give at least one text")
        for i, text in enumerate(texts):
            if not text.strip():
                raise ValueError(f"texts[{i}] is empty")
        return texts

    @field_validator("sinks")
    @classmethod
    def _unique_sinks(cls, sinks: list[SinkRequest]) -> list[SinkRequest]:
        names = [s.name for s in sinks]
        if len(names) != len(set(names)):
            raise ValueError("each sink may be named once")
        return sinks


@dataclass(frozen=True)
class Artifact:
    """The audio a job produced, at ``artifacts/<job id>.<format>``."""

    name: str
    format: str
    bytes: int
    sha256: str
    sample_rate: int
    cache_hit: bool = False
    expired: bool = False
    # Counted at synthesis (samples / rate), so no sink decodes the file again to learn it;
    # None only for artifacts made before it was recorded.
    duration_ms: float | None = None

    @property
    def media_type(self) -> str:
        return MEDIA_TYPES.get(self.format) or OTHER_MEDIA_TYPES.get(self.format, "application/octet-stream")

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name, "format": self.format, "bytes": self.bytes, "sha256": self.sha256,
            "sample_rate": self.sample_rate, "cache_hit": self.cache_hit, "expired": self.expired,
            "duration_ms": self.duration_ms,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Artifact:
        return cls(**data)


@dataclass(frozen=True)
class Delivery:
    job_id: str
    sink: str
    status: str  # pending | delivered | failed (the sink gave up for good: see DeliveryFailed)
    receipt: dict[str, Any] | None
    attempts: int
    delivered_at: datetime | None
    error: str | None = None


@dataclass(frozen=True)
class Job:
    """A snapshot of one job row. The row, not the queue message, is the job's source of truth."""

    id: str
    spec: JobSpec
    status: JobStatus
    attempts: int
    max_attempts: int
    progress: float
    created_at: datetime
    updated_at: datetime
    started_at: datetime | None = None
    finished_at: datetime | None = None
    error_code: str | None = None
    error: str | None = None
    worker_id: str | None = None
    lease_expires_at: datetime | None = None
    cancel_requested: bool = False
    not_before: datetime | None = None
    enqueued_at: datetime | None = None
    artifact: Artifact | None = None
    characters: int = 0
    deliveries: tuple[Delivery, ...] = field(default=())

    @property
    def source(self) -> str:
        return self.spec.source

    @property
    def priority(self) -> int:
        return self.spec.priority

    def as_dict(self) -> dict[str, Any]:
        """The job as the API and ``voxflow jobs show`` present it."""

        def iso(t: datetime | None) -> str | None:
            return t.isoformat() if t else None

        spec = self.spec
        return {
            "id": self.id,
            "status": self.status.value,
            "source": spec.source,
            "priority": spec.priority,
            "progress": round(self.progress, 4),
            "attempts": self.attempts,
            "max_attempts": self.max_attempts,
            "error": {"code": self.error_code, "message": self.error} if self.error else None,
            "cancel_requested": self.cancel_requested,
            "idempotency_key": spec.idempotency_key,
            "kind": spec.kind,
            "feed": spec.feed,
            "input": {
                "texts": len(spec.texts),
                "characters": sum(len(t) for t in spec.texts),
                "voice": spec.voice,
                "format": spec.format,
                "speed": spec.speed,
                "sample_rate": spec.sample_rate,
                "ssml": spec.ssml,
                "style": spec.style,
                "intensity": spec.intensity,
                "duration_s": spec.duration_s,
                "duration_ratio": spec.duration_ratio,
            },
            "sinks": [s.model_dump() for s in spec.sinks],
            "metadata": spec.metadata,
            "args": spec.args,
            "artifact": self.artifact.as_dict() | {"media_type": self.artifact.media_type}
            if self.artifact else None,
            "deliveries": [
                {"sink": d.sink, "status": d.status, "receipt": d.receipt, "at": iso(d.delivered_at),
                 "attempts": d.attempts, "error": d.error}
                for d in self.deliveries
            ],
            "created_at": iso(self.created_at),
            "updated_at": iso(self.updated_at),
            "started_at": iso(self.started_at),
            "finished_at": iso(self.finished_at),
            "not_before": iso(self.not_before),
        }


_last_us = 0
_id_lock = threading.Lock()


def new_job_id() -> str:
    """Time-ordered ids (microseconds, strictly rising within a process, then randomness), so
    newest-first listing and cursor paging are ``ORDER BY id``."""
    global _last_us
    with _id_lock:
        _last_us = max(time.time_ns() // 1000, _last_us + 1)
        stamp = _last_us
    return f"j{stamp:014x}{secrets.token_hex(5)}"
