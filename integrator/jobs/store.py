"""The job store: every state change of a job is one conditional UPDATE on its row.

Workers, the API and the CLI all go through here, in any number of processes: a
claim only succeeds on a ``queued`` row, and every later write names the worker
that holds the lease, so a worker that lost its job (lease expired, cancelled)
cannot overwrite what the new owner does.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import case as sql_case
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from .database import make_engine
from .job import TERMINAL, Artifact, Delivery, Job, JobSpec, JobStatus, new_job_id
from .models import Base, DeliveryRow, JobRow

Q, R = JobStatus.QUEUED.value, JobStatus.RUNNING.value


def _update(table: type[Base]) -> Any:
    # Sessions here are short-lived, so nothing in them needs syncing after a bulk UPDATE.
    return update(table).execution_options(synchronize_session=False)


def utcnow() -> datetime:
    return datetime.now(UTC)


class JobStore:
    """Jobs and deliveries in any SQLAlchemy database (SQLite by default, PostgreSQL by URL)."""

    def __init__(self, url: str) -> None:
        if url.startswith("sqlite:///") and not url.startswith("sqlite:///:memory:"):
            Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        self.url = url
        self.engine = make_engine(url)
        Base.metadata.create_all(self.engine)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    @property
    def where(self) -> str:
        """The database for people to read: a SQLite file's path, else the URL without its password."""
        url = self.engine.url
        if url.drivername.startswith("sqlite") and url.database not in (None, "", ":memory:"):
            return str(Path(str(url.database)).resolve())
        return url.render_as_string(hide_password=True)

    def close(self) -> None:
        self.engine.dispose()

    @contextmanager
    def _tx(self) -> Iterator[Session]:
        with self._sessions.begin() as session:
            yield session

    # -- submitting and reading -------------------------------------------
    def create(self, spec: JobSpec, *, max_attempts: int) -> tuple[Job, bool]:
        """Insert a queued job; with an idempotency key already used, return that job and False."""
        now = utcnow()
        row = JobRow(
            id=new_job_id(), source=spec.source, status=Q, priority=spec.priority,
            spec=spec.model_dump(mode="json"), idempotency_key=spec.idempotency_key,
            progress=0.0, characters=0, attempts=0, max_attempts=spec.max_attempts or max_attempts,
            cancel_requested=False, enqueued_at=now, created_at=now, updated_at=now,
        )
        try:
            with self._tx() as s:
                s.add(row)
            return _job(row), True
        except IntegrityError:
            if spec.idempotency_key is None:
                raise
            with self._tx() as s:
                existing = s.scalar(select(JobRow).where(JobRow.idempotency_key == spec.idempotency_key))
                if existing is None:  # deleted in between; let the caller try again
                    raise
                return _job(existing), False

    def get(self, job_id: str, *, deliveries: bool = False) -> Job | None:
        with self._tx() as s:
            row = s.get(JobRow, job_id)
            if row is None:
                return None
            found = self._deliveries(s, job_id) if deliveries else ()
            return _job(row, found)

    def by_key(self, idempotency_key: str) -> Job | None:
        with self._tx() as s:
            row = s.scalar(select(JobRow).where(JobRow.idempotency_key == idempotency_key))
            return _job(row) if row is not None else None

    def find(
        self, *, status: JobStatus | None = None, source: str | None = None,
        limit: int = 50, before: str | None = None,
    ) -> list[Job]:
        """Newest first; ``before`` is the id of the last job of the previous page."""
        q = select(JobRow).order_by(JobRow.id.desc()).limit(limit)
        if status is not None:
            q = q.where(JobRow.status == status.value)
        if source is not None:
            q = q.where(JobRow.source == source)
        if before is not None:
            q = q.where(JobRow.id < before)
        with self._tx() as s:
            return [_job(r) for r in s.scalars(q)]

    def counts(self) -> dict[str, int]:
        with self._tx() as s:
            return {st: n for st, n in s.execute(select(JobRow.status, func.count()).group_by(JobRow.status))}

    # -- the worker's side ------------------------------------------------
    def claim(self, job_id: str, worker_id: str, lease_seconds: float) -> Job | None:
        """queued → running for ``worker_id``; None when the job is not queued (done, taken, cancelled)."""
        now = utcnow()
        stmt = (
            _update(JobRow)
            .where(JobRow.id == job_id, JobRow.status == Q)
            .values(
                status=R, worker_id=worker_id, attempts=JobRow.attempts + 1,
                lease_expires_at=now + timedelta(seconds=lease_seconds),
                started_at=now, updated_at=now, not_before=None,
            )
            .returning(JobRow)
        )
        with self._tx() as s:
            row = s.scalar(stmt)
            return _job(row) if row is not None else None

    def heartbeat(self, job_id: str, worker_id: str, lease_seconds: float) -> bool | None:
        """Extend the lease. Returns whether a cancel was asked for; None if the job is not ours any more."""
        now = utcnow()
        stmt = (
            _update(JobRow)
            .where(JobRow.id == job_id, JobRow.worker_id == worker_id, JobRow.status == R)
            .values(lease_expires_at=now + timedelta(seconds=lease_seconds), updated_at=now)
            .returning(JobRow.cancel_requested)
        )
        with self._tx() as s:
            return s.scalar(stmt)

    def set_progress(self, job_id: str, worker_id: str, progress: float, characters: int) -> bool:
        return self._owned(job_id, worker_id, progress=progress, characters=characters)

    def set_artifact(self, job_id: str, worker_id: str, artifact: Artifact) -> bool:
        """Record the finished artifact before deliveries, so a re-run after a crash reuses it."""
        return self._owned(job_id, worker_id, artifact=artifact.as_dict())

    def succeed(self, job_id: str, worker_id: str) -> bool:
        now = utcnow()
        return self._owned(
            job_id, worker_id, status=JobStatus.SUCCEEDED.value, progress=1.0, finished_at=now,
            lease_expires_at=None, error=None, error_code=None,
        )

    def fail(
        self, job_id: str, worker_id: str, code: str, message: str, *, retry_at: datetime | None
    ) -> JobStatus | None:
        """A failed attempt: queued again at ``retry_at``, dead after the last attempt, or failed for good
        when ``retry_at`` is None (a permanent error). Returns the new status, None if not ours."""
        now = utcnow()
        values: dict[str, Any] = {
            "error_code": code, "error": message[:4000], "updated_at": now, "lease_expires_at": None,
            "cancel_requested": False,
        }
        if retry_at is None:
            values |= {"status": JobStatus.FAILED.value, "finished_at": now}
        else:
            exhausted = JobRow.attempts >= JobRow.max_attempts
            values |= {
                "status": sql_case((exhausted, JobStatus.DEAD.value), else_=Q),
                "finished_at": sql_case((exhausted, now), else_=None),
                "not_before": sql_case((exhausted, None), else_=retry_at),
                "enqueued_at": sql_case((exhausted, None), else_=retry_at),
                "worker_id": None,
            }
        stmt = (
            _update(JobRow)
            .where(JobRow.id == job_id, JobRow.worker_id == worker_id, JobRow.status == R)
            .values(**values)
            .returning(JobRow.status)
        )
        with self._tx() as s:
            status = s.scalar(stmt)
            return JobStatus(status) if status is not None else None

    def finish_cancelled(self, job_id: str, worker_id: str) -> bool:
        return self._owned(
            job_id, worker_id, status=JobStatus.CANCELLED.value, finished_at=utcnow(), lease_expires_at=None,
            error_code="cancelled", error="cancelled while running",
        )

    def release(self, job_id: str, worker_id: str) -> bool:
        """Hand a running job back (shutdown); the interrupted attempt does not count."""
        now = utcnow()
        return self._owned(
            job_id, worker_id, status=Q, worker_id=None, lease_expires_at=None, enqueued_at=now,
            attempts=JobRow.attempts - 1,
        )

    def _owned(self, job_id: str, owner: str, /, **values: Any) -> bool:
        values.setdefault("updated_at", utcnow())
        stmt = (
            _update(JobRow)
            .where(JobRow.id == job_id, JobRow.worker_id == owner, JobRow.status == R)
            .values(**values)
        )
        with self._tx() as s:
            return s.execute(stmt).rowcount == 1  # type: ignore[attr-defined]

    # -- control ----------------------------------------------------------
    def cancel(self, job_id: str) -> Job | None:
        """A queued job is cancelled at once (its message will find nothing to do); a running one is
        asked to stop, which its worker sees at its next heartbeat."""
        now = utcnow()
        with self._tx() as s:
            s.execute(
                _update(JobRow).where(JobRow.id == job_id, JobRow.status == Q).values(
                    status=JobStatus.CANCELLED.value, finished_at=now, updated_at=now,
                    error_code="cancelled", error="cancelled before it started",
                )
            )
            s.execute(
                _update(JobRow).where(JobRow.id == job_id, JobRow.status == R).values(
                    cancel_requested=True, updated_at=now,
                )
            )
        return self.get(job_id)

    def retry(self, job_id: str) -> Job | None:
        """A failed, dead or cancelled job back to queued with fresh attempts. None if it is not one."""
        now = utcnow()
        done = [JobStatus.FAILED.value, JobStatus.DEAD.value, JobStatus.CANCELLED.value]
        stmt = (
            _update(JobRow).where(JobRow.id == job_id, JobRow.status.in_(done)).values(
                status=Q, attempts=0, progress=0.0, error=None, error_code=None, cancel_requested=False,
                not_before=None, enqueued_at=now, finished_at=None, worker_id=None, updated_at=now,
            ).returning(JobRow)
        )
        with self._tx() as s:
            row = s.scalar(stmt)
            return _job(row) if row is not None else None

    def mark_enqueue_failed(self, job_id: str) -> None:
        """The message could not be sent; an empty enqueued_at makes the next sweep send it."""
        with self._tx() as s:
            s.execute(_update(JobRow).where(JobRow.id == job_id, JobRow.status == Q).values(enqueued_at=None))

    # -- recovery ---------------------------------------------------------
    def requeue_expired(self) -> list[tuple[str, int]]:
        """Running jobs whose lease ran out (their worker died): back to queued, or dead when that was
        the last attempt. Returns (id, priority) of the requeued ones, to be enqueued again."""
        now = utcnow()
        exhausted = JobRow.attempts >= JobRow.max_attempts
        stmt = (
            _update(JobRow)
            .where(JobRow.status == R, JobRow.lease_expires_at < now)
            .values(
                status=sql_case((exhausted, JobStatus.DEAD.value), else_=Q),
                finished_at=sql_case((exhausted, now), else_=None),
                error_code="worker_lost",
                error="the worker running this job stopped (lease expired)",
                worker_id=None, lease_expires_at=None, enqueued_at=now, updated_at=now,
            )
            .returning(JobRow.id, JobRow.status, JobRow.priority)
        )
        with self._tx() as s:
            return [(i, p) for i, st, p in s.execute(stmt) if st == Q]

    def take_stranded(self, older_than_seconds: float) -> list[tuple[str, int]]:
        """Queued jobs whose message is older than ``older_than_seconds`` (lost in flight, or never sent):
        their enqueued_at is bumped so only one sweeper re-sends each. Returns (id, priority)."""
        now = utcnow()
        cutoff = now - timedelta(seconds=older_than_seconds)
        stmt = (
            _update(JobRow)
            .where(JobRow.status == Q, (JobRow.enqueued_at.is_(None)) | (JobRow.enqueued_at < cutoff))
            .values(enqueued_at=now)
            .returning(JobRow.id, JobRow.priority)
        )
        with self._tx() as s:
            return [(i, p) for i, p in s.execute(stmt)]

    # -- retention --------------------------------------------------------
    def finished_with_artifacts(self, before: datetime, limit: int = 500) -> list[Job]:
        q = (
            select(JobRow)
            .where(JobRow.status.in_([s.value for s in TERMINAL]), JobRow.finished_at < before,
                   JobRow.artifact.is_not(None))
            .order_by(JobRow.finished_at)
            .limit(limit)
        )
        with self._tx() as s:
            return [j for j in map(_job, s.scalars(q)) if j.artifact and not j.artifact.expired]

    def mark_artifact_expired(self, job_id: str) -> None:
        with self._tx() as s:
            row = s.get(JobRow, job_id)
            if row is not None and row.artifact:
                row.artifact = {**row.artifact, "expired": True}
                row.updated_at = utcnow()

    # -- deliveries -------------------------------------------------------
    def begin_delivery(self, job_id: str, sink: str) -> Delivery:
        """The delivery record of (job, sink), created pending on first call; counts the attempt."""
        now = utcnow()
        try:
            with self._tx() as s:
                s.add(DeliveryRow(job_id=job_id, sink=sink, status="pending", attempts=1, created_at=now))
        except IntegrityError:
            with self._tx() as s:
                # A delivery that failed for good is tried again only when its job is retried.
                s.execute(
                    _update(DeliveryRow)
                    .where(*_delivery_is(job_id, sink), DeliveryRow.status.in_(["pending", "failed"]))
                    .values(attempts=DeliveryRow.attempts + 1, status="pending")
                )
        with self._tx() as s:
            row = s.scalar(select(DeliveryRow).where(DeliveryRow.job_id == job_id, DeliveryRow.sink == sink))
            assert row is not None
            return _delivery(row)

    def complete_delivery(self, job_id: str, sink: str, receipt: dict[str, Any]) -> None:
        with self._tx() as s:
            s.execute(
                _update(DeliveryRow)
                .where(*_delivery_is(job_id, sink), DeliveryRow.status == "pending")
                .values(status="delivered", receipt=receipt, delivered_at=utcnow(), error=None)
            )

    def fail_delivery(self, job_id: str, sink: str, error: str, *, final: bool = False) -> None:
        """Record why a delivery attempt failed; ``final``: the sink gave up, the status becomes failed."""
        values: dict[str, Any] = {"error": error[:4000]}
        if final:
            values["status"] = "failed"
        with self._tx() as s:
            s.execute(
                _update(DeliveryRow)
                .where(*_delivery_is(job_id, sink), DeliveryRow.status != "delivered")
                .values(**values)
            )

    def deliveries(self, job_id: str | None = None) -> list[Delivery]:
        with self._tx() as s:
            return self._deliveries(s, job_id)

    @staticmethod
    def _deliveries(s: Session, job_id: str | None) -> list[Delivery]:
        q = select(DeliveryRow).order_by(DeliveryRow.id)
        if job_id is not None:
            q = q.where(DeliveryRow.job_id == job_id)
        return [_delivery(r) for r in s.scalars(q)]


def _job(row: JobRow, deliveries: list[Delivery] | tuple[Delivery, ...] = ()) -> Job:
    return Job(
        id=row.id, spec=JobSpec.model_validate(row.spec), status=JobStatus(row.status),
        attempts=row.attempts, max_attempts=row.max_attempts, progress=row.progress,
        created_at=row.created_at, updated_at=row.updated_at, started_at=row.started_at,
        finished_at=row.finished_at, error_code=row.error_code, error=row.error,
        worker_id=row.worker_id, lease_expires_at=row.lease_expires_at,
        cancel_requested=row.cancel_requested, not_before=row.not_before, enqueued_at=row.enqueued_at,
        artifact=Artifact.from_dict(row.artifact) if row.artifact else None,
        characters=row.characters, deliveries=tuple(deliveries),
    )


def _delivery_is(job_id: str, sink: str) -> tuple[Any, Any]:
    return DeliveryRow.job_id == job_id, DeliveryRow.sink == sink


def _delivery(row: DeliveryRow) -> Delivery:
    return Delivery(
        job_id=row.job_id, sink=row.sink, status=row.status, receipt=row.receipt,
        attempts=row.attempts, delivered_at=row.delivered_at, error=row.error,
    )
