"""Job kinds besides speech: a registered handler runs the job from its ``args`` (an audiobook batch).

The runner claims, leases, retries and publishes such a job like any other; only the making of
its artifact differs. Connectors contribute kinds (integrator.plugins); a process holds them in
a mapping, name -> kind, that it passes to its JobService and JobRunner.
"""

from __future__ import annotations

import abc
import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tts_engine.engine import Engine

from .job import SPEECH, Job, JobSpec

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class KindRun:
    """What a kind's handler gets: ``report(progress, characters)`` records progress (0..1) and the
    job's character count; ``workdir`` is scratch space removed after the attempt."""

    engine: Engine
    job: Job
    cancel: threading.Event
    report: Callable[[float, int], None]
    workdir: Path


@dataclass(frozen=True)
class KindResult:
    """The file that becomes the job's artifact; ``format`` is its extension (mp3, m4b)."""

    path: Path
    format: str
    sample_rate: int
    duration_ms: float


class JobKind(abc.ABC):
    @abc.abstractmethod
    def check(self, spec: JobSpec) -> None:
        """Raise ``InvalidKindArgs`` when ``spec`` cannot run here (a bad argument, a path outside
        the allowed directories)."""

    @abc.abstractmethod
    def run(self, ctx: KindRun) -> KindResult:
        """Make the artifact; SynthesisCancelled once ``ctx.cancel`` is set, a TTSError for bad input."""

    def describe(self, job: Job) -> dict[str, Any] | None:
        """Extra fields for the job API (an audiobook's chapters done), or None."""
        return None


class InvalidKindArgs(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def get_kind(kinds: Mapping[str, JobKind], name: str) -> JobKind:
    """The handler of kind ``name``; LookupError when none is registered."""
    kind = kinds.get(name)
    if kind is None:
        raise LookupError(f"unknown job kind {name!r}; known: {', '.join([SPEECH, *sorted(kinds)])}")
    return kind


def describe(job: Job, kinds: Mapping[str, JobKind]) -> dict[str, Any]:
    """The job as the API shows it, with its kind's own detail (an audiobook's chapters) when it has any."""
    view = job.as_dict()
    if job.spec.kind != SPEECH:
        try:
            detail = get_kind(kinds, job.spec.kind).describe(job)
        except Exception:  # the detail is a courtesy: the job itself must still be readable
            log.exception("cannot describe job %s of kind %s", job.id, job.spec.kind)
            detail = None
        if detail:
            view[job.spec.kind] = detail
    return view
