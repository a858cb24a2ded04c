"""Hosting job workers (`voxflow serve`, `voxflow worker`): consumers, upkeep, a bounded graceful stop."""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from types import FrameType
from typing import Any

from apscheduler.schedulers.background import BackgroundScheduler

from integrator.config import Settings
from tts_engine.engine import Engine

from .abc import AudioCache, Broker, Consumers, FeedPublisher, Sink
from .artifacts import ArtifactStore, expire_artifacts
from .cache import DiskAudioCache
from .job import JobStatus
from .kinds import JobKind
from .runner import JobRunner, StopReason
from .schedules import ActionRegistry, Schedules, submit_job
from .service import JobService
from .sinks import SinkFactory, build_sinks
from .store import JobStore, utcnow

log = logging.getLogger(__name__)
CANCEL_WINDOW = 5.0  # after the grace period: time for stopped jobs to reach a piece boundary


class Maintenance:
    """Upkeep every worker host runs; each step is a conditional UPDATE, so many hosts may overlap.

    * jobs whose lease expired (their worker died) go back to the queue, or to dead letters;
    * queued jobs whose message is older than ``requeue_after_seconds`` are enqueued again, when
      the queue holds fewer messages than there are queued jobs (one went missing);
    * artifacts past their retention are deleted, with temp files of killed writers.
    """

    def __init__(
        self, store: JobStore, broker: Broker, artifacts: ArtifactStore, settings: Settings,
        consumers: Consumers | None = None,
    ) -> None:
        self.store = store
        self.broker = broker
        self.artifacts = artifacts
        self.cfg = settings.jobs
        self.consumers = consumers
        self._scheduler: BackgroundScheduler | None = None

    def sweep(self) -> int:
        """Requeue lost work; returns how many messages were sent."""
        sent = 0
        lost = self.store.requeue_expired()
        # A long backlog is not lost: only when the queue holds fewer messages than there are queued
        # jobs can a message be missing. Then the old ones are sent again; duplicates are harmless.
        if self.broker.pending() < self.store.counts().get(JobStatus.QUEUED.value, 0):
            lost += self.store.take_stranded(self.cfg.requeue_after_seconds)
        for job_id, priority in lost:
            try:
                self.broker.enqueue(job_id, priority)
                sent += 1
            except Exception:
                log.exception("sweeper could not enqueue job %s", job_id)
                self.store.mark_enqueue_failed(job_id)
        if sent:
            log.info("sweeper re-enqueued %d job(s)", sent)
        return sent

    def clean(self) -> int:
        before = utcnow() - timedelta(days=self.cfg.artifact_retention_days)
        removed = expire_artifacts(self.store, self.artifacts, before)
        self.artifacts.sweep_parts(older_than_seconds=max(3600.0, 4 * self.cfg.lease_seconds))
        return removed

    def _health(self) -> None:
        if self.consumers is not None:
            self.consumers.check_health()

    def start(self) -> None:
        self._scheduler = BackgroundScheduler(job_defaults={"coalesce": True, "max_instances": 1})
        self._scheduler.add_job(self._safe(self.sweep), "interval", seconds=self.cfg.sweep_interval_seconds)
        self._scheduler.add_job(self._safe(self.clean), "interval", hours=1, next_run_time=_soon())
        self._scheduler.add_job(self._safe(self._health), "interval", seconds=10)
        self._scheduler.start()

    def stop(self) -> None:
        if self._scheduler is not None:
            self._scheduler.shutdown(wait=True)
            self._scheduler = None

    @staticmethod
    def _safe(fn: Callable[[], object]) -> Callable[[], None]:
        def run() -> None:
            try:
                fn()
            except Exception:
                log.exception("job upkeep failed; next round will try again")

        return run


class WorkerHandle:
    """Consumers, upkeep and (in `voxflow serve`) schedules of one process. :meth:`stop` is bounded."""

    def __init__(
        self,
        settings: Settings,
        engine: Engine,
        *,
        workers: int,
        run_schedules: bool,
        service: JobService | None = None,
        cache: AudioCache | None = None,
        sinks: dict[str, Sink] | None = None,
        feeds: FeedPublisher | None = None,
        sink_types: Mapping[str, SinkFactory] | None = None,
        kinds: Mapping[str, JobKind] | None = None,
        actions: Mapping[str, Callable[..., Any]] | None = None,
    ) -> None:
        """``sink_types``, ``kinds``, ``actions`` and ``feeds``: what the process's connectors
        contribute (integrator.services.Services.worker_handle passes them)."""
        cfg = settings.jobs
        self.settings = settings
        self.service = service or JobService.from_settings(settings, voices=engine.registry, kinds=kinds)
        self._owns_service = service is None
        self.artifacts = ArtifactStore(self.service.artifacts_dir)
        if cache is None and cfg.cache_max_mb > 0:
            cache = DiskAudioCache(settings.data_dir / "cache", cfg.cache_max_mb)
        self.cache = cache
        self.runner = JobRunner(
            self.service.store, self.service.broker, engine, self.artifacts, cfg, cache=cache,
            sinks=sinks if sinks is not None else build_sinks(cfg.sinks, sink_types),
            feeds=feeds, runs=self.service.runs, kinds=kinds,
        )
        self.workers = workers
        self.consumers: Consumers | None = None
        self.maintenance = Maintenance(self.service.store, self.service.broker, self.artifacts, settings)
        registry = ActionRegistry({"jobs.submit": submit_job, **(actions or {})})
        self.schedules = Schedules(settings, self.service, registry) if run_schedules else None
        self._stopped = False

    def start(self) -> WorkerHandle:
        # Recover first: jobs a previous run of this host left running come back now, not in a sweep.
        self.maintenance.sweep()
        if self.workers > 0:
            self.consumers = self.service.broker.consume(
                self.runner, self.workers, self.settings.jobs.live_workers
            )
            self.maintenance.consumers = self.consumers
        self.maintenance.start()
        if self.schedules is not None:
            self.schedules.start()
        log.info("job workers started: %d on %s", self.workers, self.service.broker.name)
        return self

    def stop(self, timeout: float | None = None) -> bool:
        """Stop taking work; let running jobs finish for ``timeout`` seconds (default
        ``jobs.shutdown_grace_seconds``), then stop them at a piece boundary and queue them again.
        Returns True when every job finished or was handed back. Takes at most ``timeout`` + 7 s."""
        if self._stopped:
            return True
        self._stopped = True
        grace = self.settings.jobs.shutdown_grace_seconds if timeout is None else timeout
        if self.schedules is not None:
            self.schedules.stop()
        self.runner.draining.set()
        if self.consumers is not None:
            self.consumers.stop_taking()
        clean = self.runner.wait_idle(grace)
        if not clean:
            running = len(self.runner.running)
            log.warning("stopping %d job(s) after %.0f s; they will run again", running, grace)
            self.runner.stop_all(StopReason.SHUTDOWN)
            clean = self.runner.wait_idle(CANCEL_WINDOW)
        if self.consumers is not None:
            self.consumers.join(2.0)
        self.maintenance.stop()
        if self.cache is not None:
            self.cache.close()
        if self._owns_service:
            self.service.close()
        return clean


def start_embedded_workers(settings: Settings, engine: Engine, *, workers: int | None = None) -> WorkerHandle:
    """Start the job consumers (``jobs.workers`` threads), upkeep and schedules inside this process,
    with no connector's sinks or kinds (`voxflow serve` uses Services.worker_handle).

    Call at start-up, and ``handle.stop(timeout)`` at shutdown.
    """
    n = settings.jobs.workers if workers is None else workers
    return WorkerHandle(settings, engine, workers=n, run_schedules=True).start()


def run_worker(handle: WorkerHandle) -> bool:
    """`voxflow worker`: ``handle`` (not started) consumes until SIGTERM or SIGINT, then stops gracefully."""
    stop = threading.Event()

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        log.info("received %s, stopping", signal.Signals(signum).name)
        stop.set()

    # Before the consumers start: a SIGTERM just after a job was claimed must hand it back too.
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    handle.start()
    while not stop.wait(0.5):
        pass
    return handle.stop()


def _soon() -> datetime:
    return datetime.now(UTC) + timedelta(seconds=5)
