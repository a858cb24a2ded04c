"""The job system as the API, the CLI, schedules and connectors use it: submit, read, cancel, retry."""

from __future__ import annotations

import logging
from collections.abc import Collection, Mapping
from pathlib import Path

from integrator.config import JobsConfig, Settings
from tts_engine.errors import InvalidOptionError, UnknownVoiceError
from tts_engine.prosody.styles import StyleBook
from tts_engine.registry import VoiceRegistry

from .abc import Broker
from .broker import make_broker
from .database import default_url
from .job import SPEECH, Job, JobSpec, JobStatus
from .kinds import InvalidKindArgs, JobKind, get_kind
from .runs import LocalRuns
from .store import JobStore

log = logging.getLogger(__name__)


class JobError(Exception):
    """A request about a job that cannot be honoured; ``code`` names the reason for API clients."""

    code = "job_error"


class JobNotFound(JobError):
    code = "job_not_found"

    def __init__(self, job_id: str) -> None:
        super().__init__(f"no job {job_id!r}")
        self.job_id = job_id


class JobStateConflict(JobError):
    code = "job_state_conflict"


class InvalidJob(JobError):
    """A spec that is well-formed but names something this deployment lacks; ``field`` says where."""

    code = "invalid_job"

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class JobService:
    def __init__(
        self,
        store: JobStore,
        broker: Broker,
        cfg: JobsConfig,
        *,
        data_dir: Path,
        voices: Collection[str] | VoiceRegistry | None = None,
        sinks: Collection[str] | None = None,
        kinds: Mapping[str, JobKind] | None = None,
        runs: LocalRuns | None = None,
        styles: StyleBook | None = None,
    ) -> None:
        self.store = store
        self.broker = broker
        self.cfg = cfg
        self.data_dir = data_dir
        # The voices jobs may name: ids, or the engine's registry (which also makes voice mixes).
        self.voices = voices if voices is None or isinstance(voices, VoiceRegistry) else set(voices)
        self.sinks = set(sinks) if sinks is not None else set(cfg.sinks)
        self.kinds = dict(kinds or {})
        self.styles = styles or StyleBook()
        # Jobs running in this process: share one with the JobRunner so a cancel acts at once.
        self.runs = runs if runs is not None else LocalRuns()

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        *,
        voices: Collection[str] | VoiceRegistry | None = None,
        backend: str | None = None,
        kinds: Mapping[str, JobKind] | None = None,
        runs: LocalRuns | None = None,
    ) -> JobService:
        cfg = settings.jobs
        store = JobStore(cfg.database_url or default_url(settings.data_dir))
        broker = make_broker(cfg, settings.data_dir, backend=backend)
        return cls(
            store, broker, cfg, data_dir=settings.data_dir, voices=voices, kinds=kinds, runs=runs,
            styles=StyleBook.from_settings(settings.engine.styles),
        )

    @property
    def artifacts_dir(self) -> Path:
        return self.data_dir / "artifacts"

    def close(self) -> None:
        self.broker.close()
        self.store.close()

    # -- submitting -------------------------------------------------------
    def _check_voice(self, voice: str) -> None:
        if isinstance(self.voices, VoiceRegistry):
            try:
                self.voices.info(voice)
            except UnknownVoiceError as exc:  # a voice mix that cannot be made too
                raise InvalidJob("voice", str(exc)) from None
        elif self.voices is not None and voice not in self.voices:
            known = ", ".join(sorted(self.voices))
            raise InvalidJob("voice", f"unknown voice {voice!r}; known voices: {known}")

    def check(self, spec: JobSpec) -> None:
        """What the request model alone cannot know: voices, styles, sinks and job kinds here."""
        try:
            spec.expression().check(self.styles)
        except InvalidOptionError as exc:
            raise InvalidJob(exc.field or "style", str(exc)) from None
        if spec.voice is not None and self.voices is not None:
            self._check_voice(spec.voice)
        for i, sink in enumerate(spec.sinks):
            if sink.name not in self.sinks:
                known = ", ".join(sorted(self.sinks)) or "none configured"
                raise InvalidJob(f"sinks[{i}].name", f"unknown sink {sink.name!r}; known sinks: {known}")
        if spec.kind != SPEECH:
            try:
                get_kind(self.kinds, spec.kind).check(spec)
            except LookupError as exc:
                raise InvalidJob("kind", str(exc)) from None
            except InvalidKindArgs as exc:
                raise InvalidJob(exc.field, str(exc)) from None

    def submit(self, spec: JobSpec) -> tuple[Job, bool]:
        """Store and enqueue a job; with a known idempotency key, the existing job and False."""
        self.check(spec)
        job, created = self.store.create(spec, max_attempts=self.cfg.max_attempts)
        if created:
            self._enqueue(job.id, job.priority)
        return job, created

    def _enqueue(self, job_id: str, priority: int) -> None:
        try:
            self.broker.enqueue(job_id, priority)
        except Exception:
            # The row is stored and durable; the sweeper sends the message when the broker is back.
            log.exception("could not enqueue job %s; it stays queued for the sweeper", job_id)
            self.store.mark_enqueue_failed(job_id)

    # -- reading ----------------------------------------------------------
    def get(self, job_id: str) -> Job:
        job = self.store.get(job_id, deliveries=True)
        if job is None:
            raise JobNotFound(job_id)
        return job

    def by_key(self, idempotency_key: str) -> Job | None:
        """The job submitted with this idempotency key, if there is one (a look, not a reservation)."""
        return self.store.by_key(idempotency_key)

    def page(
        self, *, status: JobStatus | None = None, source: str | None = None, limit: int = 50,
        cursor: str | None = None,
    ) -> tuple[list[Job], str | None]:
        """A page of jobs, newest first, and the cursor of the next page (None at the end)."""
        jobs = self.store.find(status=status, source=source, limit=limit + 1, before=cursor)
        more = len(jobs) > limit
        jobs = jobs[:limit]
        return jobs, (jobs[-1].id if more and jobs else None)

    def artifact_path(self, job: Job) -> Path:
        """The finished audio of ``job``; JobStateConflict when there is none (yet or any more)."""
        if job.status is not JobStatus.SUCCEEDED or job.artifact is None:
            raise JobStateConflict(f"job {job.id} is {job.status.value}; its audio exists once it succeeded")
        path = self.artifacts_dir / job.artifact.name
        if job.artifact.expired or not path.is_file():
            raise JobStateConflict(f"the audio of job {job.id} was deleted (artifact retention)")
        return path

    # -- control ----------------------------------------------------------
    def cancel(self, job_id: str) -> Job:
        job = self.store.cancel(job_id)
        if job is None:
            raise JobNotFound(job_id)
        if job.status is JobStatus.RUNNING:
            self.runs.cancel(job_id)  # immediate when the worker runs in this process
        elif job.status is not JobStatus.CANCELLED:
            raise JobStateConflict(f"job {job_id} already {job.status.value}")
        return self.get(job_id)

    def retry(self, job_id: str) -> Job:
        job = self.store.retry(job_id)
        if job is None:
            current = self.store.get(job_id)
            if current is None:
                raise JobNotFound(job_id)
            raise JobStateConflict(
                f"job {job_id} is {current.status.value}; only failed, dead or cancelled jobs can be retried"
            )
        self._enqueue(job.id, job.priority)
        return job
