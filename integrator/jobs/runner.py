"""Running one job: claim the row, synthesize (or copy from the cache), publish, deliver, settle.

Every step is safe to repeat: the claim is a conditional UPDATE, so a duplicate message or a
re-run of a finished job does nothing; the artifact is renamed into place whole; deliveries
are recorded per (job, sink); and each write names the lease token of this attempt, so an
attempt that lost its job (lease expired, cancelled) cannot overwrite the next one.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import BinaryIO

from integrator.config import JobsConfig
from tts_engine.audio.codecs import open_encoder, seal_file
from tts_engine.engine import Engine, Plan
from tts_engine.errors import SynthesisCancelled, TTSError
from tts_engine.types import SynthesisOptions

from .abc import AudioCache, Broker, DeliveryRejected, FeedPublisher, FeedWriter, Sink
from .artifacts import ArtifactStore, file_sha256
from .cache import cache_key
from .job import SPEECH, Artifact, Job, JobStatus
from .kinds import JobKind, KindRun, get_kind
from .metrics import CACHE_HITS, CACHE_MISSES, CHARACTERS, JOBS_FINISHED, QUEUE_WAIT
from .retry import RetryPolicy
from .runs import LocalRuns, Run, StopReason, worker_name
from .sinks import deliver_once
from .store import JobStore, utcnow

log = logging.getLogger(__name__)


class JobRunner:
    """The broker's handler: ``runner(job_id)`` runs that job if it is still queued."""

    def __init__(
        self,
        store: JobStore,
        broker: Broker,
        engine: Engine,
        artifacts: ArtifactStore,
        cfg: JobsConfig,
        *,
        cache: AudioCache | None = None,
        sinks: Mapping[str, Sink] | None = None,
        runs: LocalRuns | None = None,
        progress_interval: float = 0.5,
        feeds: FeedPublisher | None = None,
        kinds: Mapping[str, JobKind] | None = None,
    ) -> None:
        self.store = store
        self.broker = broker
        self.engine = engine
        self.artifacts = artifacts
        self.cfg = cfg
        self.cache = cache
        self.sinks = dict(sinks or {})
        self.runs = runs if runs is not None else LocalRuns()
        self.feeds = feeds
        self.kinds = dict(kinds or {})
        self.policy = RetryPolicy(cfg.retry_base_seconds, cfg.retry_max_seconds)
        self.progress_interval = progress_interval
        self.draining = threading.Event()
        self._mine: dict[str, Run] = {}  # by lease token
        self._active = 0  # calls in progress, claimed or about to claim
        self._idle = threading.Condition()

    # -- entry point ------------------------------------------------------
    def __call__(self, job_id: str) -> None:
        with self._idle:
            draining = self.draining.is_set()
            if not draining:
                self._active += 1  # counted before the claim, so wait_idle() cannot miss this job
        if draining:
            self._give_back(job_id)
            return
        try:
            self._run(job_id)
        finally:
            with self._idle:
                self._active -= 1
                self._idle.notify_all()

    def _run(self, job_id: str) -> None:
        token = f"{worker_name()}:{uuid.uuid4().hex[:8]}"  # this attempt's lease
        job = self.store.claim(job_id, token, self.cfg.lease_seconds)
        if job is None:
            return  # finished, cancelled, running elsewhere, or a duplicate message
        if job.enqueued_at is not None and job.started_at is not None:
            QUEUE_WAIT.observe(max(0.0, (job.started_at - job.enqueued_at).total_seconds()))
        run = Run(job_id, threading.Event())
        with self._idle:
            self._mine[token] = run
            if self.draining.is_set():  # stop_all() ran between our check and the claim
                run.stop(StopReason.SHUTDOWN)
        self.runs.add(run)
        done = threading.Event()
        beat = threading.Thread(target=self._heartbeat, args=(job, token, run, done), daemon=True,
                                name=f"voxflow-lease-{job_id}")
        beat.start()
        try:
            self._attempt(job, token, run)
        finally:
            done.set()
            beat.join()
            self.runs.discard(run)
            with self._idle:
                del self._mine[token]

    # -- shutdown ---------------------------------------------------------
    def stop_all(self, reason: StopReason = StopReason.SHUTDOWN) -> None:
        """Take no more jobs and stop the running ones at their next piece boundary."""
        with self._idle:
            self.draining.set()
            runs = list(self._mine.values())
        for run in runs:
            run.stop(reason)

    def wait_idle(self, timeout: float) -> bool:
        """Wait until no job is being run here; False if some still are after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        with self._idle:
            while self._active:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._idle.wait(left)
        return True

    @property
    def running(self) -> list[str]:
        with self._idle:
            return [run.job_id for run in self._mine.values()]

    def _give_back(self, job_id: str) -> None:
        # A message taken while stopping: put it back rather than leave the row to the sweeper.
        job = self.store.get(job_id)
        if job is not None and job.status is JobStatus.QUEUED:
            self._enqueue(job_id, job.priority)

    # -- one attempt ------------------------------------------------------
    def _attempt(self, job: Job, token: str, run: Run) -> None:
        try:
            path, artifact = self._produce(job, token, run)
            if run.cancel.is_set():
                raise SynthesisCancelled("stopped before delivery")
            # Sinks get the job with the artifact just made (length, media type, bytes, sha256).
            self._deliver(replace(job, artifact=artifact), path)
            if self.store.succeed(job.id, token):
                JOBS_FINISHED.labels("succeeded").inc()
        except SynthesisCancelled:
            self._stopped(job, token, run)
        except (TTSError, DeliveryRejected) as exc:
            # Bad input, a voice that cannot load here or a refusing destination: retrying cannot help.
            log.info("job %s failed: %s: %s", job.id, exc.code, exc)
            if self.store.fail(job.id, token, exc.code, str(exc), retry_at=None):
                JOBS_FINISHED.labels("failed").inc()
                self._notify_failure(job, JobStatus.FAILED, exc.code, str(exc))
        except Exception as exc:
            log.warning("job %s attempt %d failed: %s: %s", job.id, job.attempts, type(exc).__name__, exc)
            self._retry_later(job, token, type(exc).__name__, str(exc) or type(exc).__name__)

    def _stopped(self, job: Job, token: str, run: Run) -> None:
        reason = run.reason
        if reason is StopReason.CANCEL:
            if self.store.finish_cancelled(job.id, token):
                JOBS_FINISHED.labels("cancelled").inc()
        elif reason is StopReason.SHUTDOWN:
            if self.store.release(job.id, token):
                self._enqueue(job.id, job.priority)
        elif reason is StopReason.TIMEOUT:
            limit = job.spec.timeout_seconds or self.cfg.timeout_seconds
            self._retry_later(job, token, "timeout", f"timed out after {limit:g} s")
        elif reason is StopReason.LOST:
            log.warning("job %s: lease lost, attempt abandoned", job.id)
        else:  # cancelled by something else in the engine: count it as a failed attempt
            self._retry_later(job, token, "cancelled", "synthesis stopped unexpectedly")

    def _retry_later(self, job: Job, token: str, code: str, message: str) -> None:
        delay = self.policy.delay(job.attempts)
        status = self.store.fail(job.id, token, code, message, retry_at=utcnow() + timedelta(seconds=delay))
        if status is JobStatus.QUEUED:
            JOBS_FINISHED.labels("retried").inc()
            self._enqueue(job.id, job.priority, delay)
        elif status is JobStatus.DEAD:
            JOBS_FINISHED.labels("dead").inc()
            log.error("job %s dead after %d attempts: %s", job.id, job.attempts, message)
            self._notify_failure(job, JobStatus.DEAD, code, message)

    def _notify_failure(self, job: Job, status: JobStatus, code: str, message: str) -> None:
        """Sinks that report failures too (callbacks) hear that the job will not succeed."""
        for request in job.spec.sinks:
            sink = self.sinks.get(request.name)
            if sink is None:
                continue
            try:
                sink.notify_failure(job, request.params, status.value, code, message)
            except Exception as exc:
                log.warning("job %s: sink %s could not report the failure: %s", job.id, request.name, exc)

    def _enqueue(self, job_id: str, priority: int, delay: float = 0.0) -> None:
        try:
            self.broker.enqueue(job_id, priority, delay)
        except Exception:
            log.exception("could not enqueue job %s; the sweeper will", job_id)
            self.store.mark_enqueue_failed(job_id)

    # -- lease, cancel, timeout -------------------------------------------
    def _heartbeat(self, job: Job, token: str, run: Run, done: threading.Event) -> None:
        limit = job.spec.timeout_seconds or self.cfg.timeout_seconds
        deadline = time.monotonic() + limit
        interval = self.cfg.heartbeat_seconds
        while not done.wait(max(0.005, min(interval, deadline - time.monotonic()))):
            if time.monotonic() >= deadline:
                run.stop(StopReason.TIMEOUT)
                deadline = float("inf")  # keep the lease while the synthesis winds down
            try:
                cancel = self.store.heartbeat(job.id, token, self.cfg.lease_seconds)
            except Exception:
                log.exception("heartbeat of job %s failed", job.id)  # the lease has slack for a retry
                continue
            if cancel is None:
                run.stop(StopReason.LOST)
            elif cancel:
                run.stop(StopReason.CANCEL)

    # -- audio ------------------------------------------------------------
    def _produce(self, job: Job, token: str, run: Run) -> tuple[Path, Artifact]:
        spec = job.spec
        done = job.artifact
        if done is not None and not done.expired:
            path = self.artifacts.path(job.id, done.format)
            if path.is_file() and path.stat().st_size == done.bytes:
                return path, done  # an earlier attempt got this far before it died
        if spec.kind != SPEECH:
            return self._produce_kind(job, token, run)
        voice = spec.voice or self.engine.default_voice(spec.texts[0], ssml=spec.ssml)
        options = SynthesisOptions(
            speed=spec.speed, sample_rate=spec.sample_rate, ssml=spec.ssml, cancel=run.cancel,
            expression=spec.expression(),  # per text: each text is fitted to duration_s on its own
        )
        plans = [self.engine.prepare_encoded(text, voice, spec.format, options) for text in spec.texts]
        key = cache_key(plans, spec.format, engine_tag=f"lufs={getattr(self.engine, 'target_lufs', '')}")
        with self.artifacts.writing(job.id) as tmp:
            # Listeners of a feed hear the synthesis itself: a cached copy would give them nothing.
            duration_ms = self._cache_get(key, tmp) if spec.feed is None else None
            hit = duration_ms is not None
            if duration_ms is None:
                total = sum(p.characters for p in plans)
                feed = self._open_feed(job, plans)
                with open(tmp, "wb") as out:
                    progress = self._progress(job.id, token, plans, total)
                    duration_ms = self._render(plans, spec.format, out, progress, feed)
                CHARACTERS.inc(total)
                self._cache_put(key, tmp, duration_ms)
        path = self.artifacts.publish(tmp, job.id, spec.format)
        artifact = Artifact(
            name=path.name, format=spec.format, bytes=path.stat().st_size, sha256=file_sha256(path),
            sample_rate=plans[0].sample_rate, cache_hit=hit, duration_ms=duration_ms,
        )
        self.store.set_artifact(job.id, token, artifact)
        return path, artifact

    def _render(
        self, plans: list[Plan], fmt: str, out: BinaryIO, on_sentence: Callable[[], None],
        feed: FeedWriter | None = None,
    ) -> float:
        """Encode the plans into ``out``; returns the audio's length in milliseconds (samples / rate)."""
        # One encoder across the job's texts: they become one stream, one file.
        encoder = open_encoder(fmt, plans[0].sample_rate)
        samples = 0
        sentence_base = 0  # a feed counts sentences and time across all the job's texts
        try:
            for plan in plans:
                if plan.sample_rate != encoder.sample_rate:
                    raise RuntimeError("texts of one job prepared at different sample rates")
                plan_start_ms = 1000.0 * samples / plan.sample_rate
                last = -1
                for chunk in self.engine.run(plan):
                    if feed is not None:
                        if chunk.sentence.index != last:
                            feed.sentence(sentence_base + chunk.sentence.index, chunk.sentence.text,
                                          plan_start_ms + chunk.sentence.start_ms)
                        feed.audio(chunk.pcm16())
                    last = chunk.sentence.index
                    samples += len(chunk.samples)
                    data = encoder.encode(chunk.samples)
                    if data:
                        out.write(data)
                    if chunk.final:
                        on_sentence()
                sentence_base += max(plan.sentence_texts, default=-1) + 1
        except BaseException as exc:
            if feed is not None:
                cancelled = isinstance(exc, SynthesisCancelled)
                reason = str(exc) or type(exc).__name__
                error = None if cancelled else (getattr(exc, "code", "job_failed"), reason)
                feed.end(1000.0 * samples / encoder.sample_rate, cancelled=cancelled, error=error)
            raise
        if feed is not None:
            feed.end(1000.0 * samples / encoder.sample_rate)
        out.write(encoder.finish())
        seal_file(out, fmt, encoder.sample_rate, samples)
        return round(1000.0 * samples / encoder.sample_rate, 1)

    def _open_feed(self, job: Job, plans: list[Plan]) -> FeedWriter | None:
        if job.spec.feed is None or self.feeds is None:
            return None
        try:
            first = plans[0]
            return self.feeds.open(job.spec.feed, job.id, sample_rate=first.sample_rate, voice=first.voice.id)
        except Exception:
            log.exception("job %s: feed %s unavailable; no one hears it live", job.id, job.spec.feed)
            return None

    def _produce_kind(self, job: Job, token: str, run: Run) -> tuple[Path, Artifact]:
        """A job of a registered kind (an audiobook): its handler makes the file that becomes the artifact."""
        kind = get_kind(self.kinds, job.spec.kind)
        state = {"written": 0.0}

        def report(progress: float, characters: int) -> None:
            now = time.monotonic()
            if now - state["written"] >= self.progress_interval:
                state["written"] = now
                self.store.set_progress(job.id, token, min(0.999, progress), characters)

        with tempfile.TemporaryDirectory(prefix=f"voxflow-{job.id}-") as scratch:
            result = kind.run(KindRun(self.engine, job, run.cancel, report, Path(scratch)))
            with self.artifacts.writing(job.id) as tmp:
                try:
                    os.link(result.path, tmp)  # a book can be large: no copy when on the same disk
                except OSError:
                    shutil.copyfile(result.path, tmp)
        path = self.artifacts.publish(tmp, job.id, result.format)
        artifact = Artifact(
            name=path.name, format=result.format, bytes=path.stat().st_size, sha256=file_sha256(path),
            sample_rate=result.sample_rate, duration_ms=result.duration_ms,
        )
        self.store.set_artifact(job.id, token, artifact)
        return path, artifact

    def _progress(self, job_id: str, token: str, plans: list[Plan], characters: int) -> Callable[[], None]:
        total = max(1, sum(p.sentences for p in plans))
        state = {"done": 0, "written": 0.0}
        self.store.set_progress(job_id, token, 0.0, characters)

        def on_sentence() -> None:
            state["done"] += 1
            now = time.monotonic()
            # At most one write per interval: a book has thousands of sentences.
            if now - state["written"] >= self.progress_interval:
                state["written"] = now
                self.store.set_progress(job_id, token, min(0.999, state["done"] / total), characters)

        return on_sentence

    def _cache_get(self, key: str, dest: Path) -> float | None:
        """The cached audio copied to ``dest`` and its length in ms; None on a miss (an entry kept
        without its length is a miss too: the artifact must carry it)."""
        if self.cache is None:
            return None
        try:
            duration_ms = self.cache.duration(key)
            if duration_ms is not None and not self.cache.get_to(key, dest):
                duration_ms = None
        except Exception:
            log.exception("audio cache read failed; synthesizing")
            duration_ms = None
        (CACHE_HITS if duration_ms is not None else CACHE_MISSES).inc()
        return duration_ms

    def _cache_put(self, key: str, src: Path, duration_ms: float) -> None:
        if self.cache is None:
            return
        try:
            self.cache.put_from(key, src, duration_ms)
        except Exception:
            log.exception("audio cache write failed")  # the job still has its artifact

    # -- delivery ---------------------------------------------------------
    def _deliver(self, job: Job, path: Path) -> None:
        for request in job.spec.sinks:
            sink = self.sinks.get(request.name)
            if sink is None:
                # A worker configured differently from the API: another worker may have it.
                raise LookupError(f"sink {request.name!r} is not configured on this worker")
            deliver_once(self.store, sink, job, path, request.params)

