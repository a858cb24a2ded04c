"""Records that need audio become durable jobs; failed jobs are written back to their records.

A job's idempotency key is the record plus the hash of what it says, so polling the same record
again, a duplicate event, or two replicas racing all land on one job. A record is marked
``Processing`` before its job exists, never after: the sink's ``Done`` is then the last word.
The job carries two sinks: ``feishu_bitable`` (upload, then attachment + status + duration in
one update) and, when chats are configured, ``feishu_chat`` (a voice message).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from integrator.jobs.job import Job, JobSpec, JobStatus, SinkRequest
from integrator.jobs.service import InvalidJob, JobService, JobStateConflict

from .bitable import Bitable, Minutes, RecordError, read_minutes
from .chat import VoiceMessages
from .client import FeishuClient, FeishuError
from .config import CHAT_SINK, RECORD_SINK, SOURCE, FeishuConfig, TableConfig
from .events import RecordChange, record_changes, wants_audio

log = logging.getLogger(__name__)

RECORD_NOT_FOUND = 1254043


@dataclass
class PollReport:
    """What one pass over the tables did."""

    records: int = 0  # records that need audio
    queued: int = 0  # new jobs
    waiting: int = 0  # already had a queued or running job
    failed: int = 0  # written back as failed
    items: list[tuple[Minutes, str]] = field(default_factory=list)


@dataclass(frozen=True)
class Step:
    """What a record needs: ``submit`` a job, ``retry`` a failed one, or nothing because it is
    ``waiting`` for its job or has ``failed`` (``reason`` goes to the record)."""

    kind: str
    spec: JobSpec | None = None
    retry: str | None = None
    reason: str = ""


@dataclass(frozen=True)
class RecordTarget:
    """The record a job's audio is for, from its ``feishu_bitable`` sink request."""

    app_token: str
    table_id: str
    record_id: str
    hash: str

    @classmethod
    def of(cls, job: Job) -> RecordTarget | None:
        for sink in job.spec.sinks:
            if sink.name == RECORD_SINK:
                p = sink.params
                return cls(
                    str(p.get("app_token")),
                    str(p.get("table_id")),
                    str(p.get("record_id")),
                    str(p.get("hash")),
                )
        return None


class FeishuConnector:
    def __init__(self, cfg: FeishuConfig, client: FeishuClient | None = None) -> None:
        self.cfg = cfg
        self.client = client or FeishuClient(cfg)
        self.bitable = Bitable(self.client, cfg)
        self.chat = VoiceMessages(self.client)

    # -- records into jobs -------------------------------------------------
    def spec_for(self, m: Minutes) -> JobSpec:
        table = m.table
        sinks = [
            SinkRequest(
                name=RECORD_SINK,
                params={
                    "app_token": table.app_token,
                    "table_id": table.table_id,
                    "record_id": m.record_id,
                    "hash": m.hash,
                },
            )
        ]
        if self.cfg.chats:
            sinks.append(SinkRequest(name=CHAT_SINK, params={"chat_ids": list(self.cfg.chats)}))
        try:
            return JobSpec.model_validate({
                "texts": [m.text], "voice": m.voice, "format": m.fmt, "speed": m.speed, "source": SOURCE,
                "style": m.style, "intensity": m.intensity,
                "idempotency_key": f"feishu:{table.key}:{m.record_id}:{m.hash}", "sinks": sinks,
                "metadata": {"feishu": {"app_token": table.app_token, "table_id": table.table_id,
                                        "record_id": m.record_id}},
            })
        except ValidationError as exc:
            raise RecordError(
                "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
            ) from None

    def plan(self, m: Minutes, jobs: JobService) -> Step:
        """What this version of the record needs, decided before anything is written or queued."""
        try:
            spec = self.spec_for(m)
            jobs.check(spec)
        except RecordError as exc:
            return Step("failed", reason=str(exc))
        except InvalidJob as exc:
            return Step("failed", reason=self._reason(m, exc))
        key = spec.idempotency_key or ""
        job = jobs.by_key(key)
        while job is not None and job.status.terminal:
            if job.status is JobStatus.SUCCEEDED:
                # Delivered before, and a person removed the audio or set the status back: make it anew.
                # Keyed by the job it follows, so every poller and replica lands on the same next job.
                spec = spec.model_copy(update={"idempotency_key": f"{key}:after-{job.id}"})
                job = jobs.by_key(spec.idempotency_key or "")
            elif m.status == self.cfg.status.processing:
                return Step("failed", reason=job.error or job.status.value)  # never written back
            else:
                return Step("retry", spec, job.id)  # a person set the status back to pending
        return Step("waiting") if job is not None else Step("submit", spec)

    def _reason(self, m: Minutes, exc: InvalidJob) -> str:
        """What the record's Error says: a bad style names its column, or feishu.style it came from."""
        if exc.field != "style":
            return str(exc)
        column = self.cfg.fields_for(m.table).style
        return f"{column if column and m.style != self.cfg.style else 'feishu.style'}: {exc}"

    def start(self, m: Minutes, step: Step, jobs: JobService) -> str:
        """Submit the planned job, once the record says ``Processing``: "queued" or "waiting"."""
        if step.retry is not None:
            try:
                jobs.retry(step.retry)
                return "queued"
            except JobStateConflict:
                return "waiting"  # another poller retried it first
        assert step.spec is not None
        job, created = jobs.submit(step.spec)
        if not created:
            # Another poller (the event drainer, a replica) made it between our look and our claim:
            # if that job already wrote Done, our claim landed after it. Say Done again.
            self._reassert_done(m, job.id, jobs)
        return "queued" if created else "waiting"

    def claim_and_start(self, table: TableConfig, planned: list[tuple[Minutes, Step]],
                        jobs: JobService) -> list[tuple[Minutes, str]]:
        """Mark the records ``Processing``, then make their jobs.

        In this order and no other: a job may finish within milliseconds (a cache hit), and its
        ``Done`` must land after our ``Processing``, which is only certain if the write has
        returned before the job exists.
        """
        claim = [m.record_id for m, _ in planned if m.status != self.cfg.status.processing]
        if claim:
            self.bitable.claim(table, claim)
        return [(m, self.start(m, step, jobs)) for m, step in planned]

    def _reassert_done(self, m: Minutes, job_id: str, jobs: JobService) -> None:
        job = jobs.get(job_id)
        if not any(d.sink == RECORD_SINK and d.status == "delivered" for d in job.deliveries):
            return  # its Done is still to come, after our claim
        now = read_minutes(self.cfg, m.table, m.record_id, self.bitable.get(m.table, m.record_id))
        if now.hash == m.hash and now.up_to_date and now.status == self.cfg.status.processing:
            status = self.cfg.fields_for(m.table).status
            self.bitable.update(m.table, m.record_id, {status: self.cfg.status.done})

    def poll(self, jobs: JobService) -> PollReport:
        """One pass over every table: mark the records that need audio processing, then queue their jobs."""
        report = PollReport()
        for table in self.cfg.tables:
            planned: list[tuple[Minutes, Step]] = []
            for m in self.bitable.pending(table):
                step = self.plan(m, jobs)
                if step.kind == "failed":
                    self.bitable.fail(table, m.record_id, step.reason)
                    self._count(report, m, "failed")
                elif step.kind == "waiting":
                    self._count(report, m, "waiting")
                else:
                    planned.append((m, step))
            for m, outcome in self.claim_and_start(table, planned, jobs):
                self._count(report, m, outcome)
        return report

    @staticmethod
    def _count(report: PollReport, m: Minutes, outcome: str) -> None:
        report.records += 1
        setattr(report, outcome, getattr(report, outcome) + 1)
        report.items.append((m, outcome))

    # -- events ------------------------------------------------------------
    def handle_event(self, event: dict[str, Any], jobs: JobService) -> int:
        """Act on a ``bitable_record_changed_v1`` event; returns how many jobs it queued."""
        queued = 0
        for change in record_changes(event):
            table = self.cfg.table(change.app_token, change.table_id)
            if table is not None and self._wants(table, change):
                queued += self._refresh(table, change.record_id, jobs)
        return queued

    def _wants(self, table: TableConfig, change: RecordChange) -> bool:
        names = self.cfg.fields_for(table)

        def column_name(field_id: str) -> str | None:
            return self.bitable.column_name(table, field_id)

        return wants_audio(change, names, self.cfg.status.pending, column_name)

    def _refresh(self, table: TableConfig, record_id: str, jobs: JobService) -> int:
        try:
            fields = self.bitable.get(table, record_id)
        except FeishuError as exc:
            if exc.code == RECORD_NOT_FOUND:
                return 0  # deleted since
            raise
        m = read_minutes(self.cfg, table, record_id, fields)
        if not m.text or (m.up_to_date and m.status != self.cfg.status.pending):
            return 0  # nothing to read, or the attachment already says this (our own write's echo)
        step = self.plan(m, jobs)
        if step.kind == "failed":
            self.bitable.fail(table, record_id, step.reason)
            return 0
        if step.kind == "waiting":
            return 0
        [(_, outcome)] = self.claim_and_start(table, [(m, step)], jobs)
        return int(outcome == "queued")

    # -- failures back to records --------------------------------------------
    def report_failures(
        self, jobs: JobService, reported: Callable[[str], bool], mark: Callable[[str], None], limit: int = 100
    ) -> int:
        """Write the reason of failed, dead and cancelled jobs into their records, each job once."""
        written = 0
        for status in (JobStatus.FAILED, JobStatus.DEAD, JobStatus.CANCELLED):
            page, _ = jobs.page(status=status, source=SOURCE, limit=limit)
            for job in page:
                if reported(job.id):
                    continue
                try:
                    written += self._report(job)
                except FeishuError as exc:
                    if exc.retryable:
                        raise  # next round
                    log.warning("feishu: cannot write the failure of job %s back: %s", job.id, exc)
                mark(job.id)
        return written

    def _report(self, job: Job) -> int:
        target = RecordTarget.of(job)
        table = self.cfg.table(target.app_token, target.table_id) if target else None
        if target is None or table is None:
            return 0
        try:
            fields = self.bitable.get(table, target.record_id)
        except FeishuError as exc:
            if exc.code == RECORD_NOT_FOUND:
                return 0
            raise
        m = read_minutes(self.cfg, table, target.record_id, fields)
        if m.hash != target.hash or m.up_to_date or m.status == self.cfg.status.failed:
            return 0  # the record moved on, or already says so
        self.bitable.fail(table, target.record_id, job.error or f"job {job.status.value}")
        return 1
