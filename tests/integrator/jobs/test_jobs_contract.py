"""The job contract, run on every broker backend: memory (Huey's MemoryHuey), sqlite, redis."""

from __future__ import annotations

import hashlib
import time

import soundfile as sf
from jobs_helpers import SENTENCES, HarnessFactory, make_engine

from integrator.jobs.artifacts import ArtifactStore
from integrator.jobs.job import JobSpec, JobStatus, Priority
from integrator.jobs.sinks import MemorySink
from integrator.jobs.workers import Maintenance
from tts_engine.testing import ToneBackend


def stopped_calling(voice: ToneBackend) -> int:
    """How many pieces ``voice`` was asked for, once the piece in flight is done and no more come."""
    time.sleep(0.3)
    calls = len(voice.calls)
    time.sleep(0.3)
    assert len(voice.calls) == calls, "synthesis went on after the job ended"
    return calls


def test_job_runs_to_a_decodable_artifact(harness: HarnessFactory) -> None:
    h = harness()
    h.start()
    job = h.submit("第一段。Hello there.", "The second text of the job.", format="wav", sample_rate=22050)
    done = h.wait(job.id)
    assert done.status is JobStatus.SUCCEEDED, done.error
    assert (done.attempts, done.progress) == (1, 1.0)
    art = done.artifact
    assert art is not None and art.name == f"{job.id}.wav" and art.media_type == "audio/wav"
    path = h.service.artifact_path(done)
    assert hashlib.sha256(path.read_bytes()).hexdigest() == art.sha256
    audio, rate = sf.read(path)
    assert rate == 22050 == art.sample_rate
    assert len(audio) / rate > 1.0  # both texts spoken into the one file
    assert not list(path.parent.glob(".*.part"))


def test_live_jobs_run_before_queued_batches(harness: HarnessFactory) -> None:
    h = harness(live_workers=0)  # priority order alone, no live lane
    batch = [h.submit(f"Batch job {i}.", priority=Priority.BATCH, format="pcm") for i in range(4)]
    live = h.submit("A live request.", priority=Priority.LIVE, format="pcm")
    h.start(workers=1)
    jobs = [h.wait(j.id) for j in [*batch, live]]
    assert all(j.status is JobStatus.SUCCEEDED for j in jobs)
    started = sorted(jobs, key=lambda j: j.started_at)  # type: ignore[arg-type, return-value]
    assert started[0].id == live.id
    assert [j.id for j in started[1:]] == [j.id for j in batch]  # FIFO within one priority


def test_a_live_job_does_not_wait_for_a_running_batch(harness: HarnessFactory) -> None:
    slow = ToneBackend("test-tone", delay_s=0.05)
    h = harness(engine=make_engine(slow), live_workers=1)
    h.start(workers=1)
    book = h.submit(SENTENCES, priority=Priority.BATCH, format="pcm")
    h.wait(book.id, JobStatus.RUNNING)
    live = h.wait(h.submit("Read this now.", priority=Priority.LIVE, format="pcm").id)
    book_now = h.service.get(book.id)
    assert live.status is JobStatus.SUCCEEDED and book_now.status is JobStatus.RUNNING
    assert live.started_at and live.enqueued_at
    assert (live.started_at - live.enqueued_at).total_seconds() < 0.5
    assert h.wait(book.id).status is JobStatus.SUCCEEDED


def test_transient_failures_retry_with_backoff_then_succeed(harness: HarnessFactory) -> None:
    sink = MemorySink("outbox", fail_first=2)
    h = harness(sinks={"outbox": sink})
    h.start()
    t0 = time.monotonic()
    job = h.submit("Deliver me.", format="pcm", sinks=[{"name": "outbox", "params": {"chat": "c1"}}])
    done = h.wait(job.id)
    assert done.status is JobStatus.SUCCEEDED, done.error
    assert done.attempts == 3
    # Back-off is at least half of each exponential step (0.2 s, then 0.4 s).
    assert time.monotonic() - t0 >= 0.1 + 0.2
    assert len(sink.calls) == 1 and sink.calls[0][0] == job.id and sink.calls[0][2] == {"chat": "c1"}
    assert [(d.sink, d.status) for d in done.deliveries] == [("outbox", "delivered")]


def test_a_job_failing_every_attempt_is_dead_lettered_with_its_reason(harness: HarnessFactory) -> None:
    h = harness(sinks={"outbox": MemorySink("outbox", fail_first=100)}, max_attempts=3)
    h.start()
    job = h.submit("Never delivered.", format="pcm", sinks=[{"name": "outbox"}])
    done = h.wait(job.id)
    assert done.status is JobStatus.DEAD
    assert done.attempts == 3
    assert done.error_code == "ConnectionError" and "simulated delivery failure" in (done.error or "")


def test_a_destination_that_refuses_for_good_fails_the_job_without_retries(harness: HarnessFactory) -> None:
    sink = MemorySink("outbox", reject="permission denied")
    h = harness(sinks={"outbox": sink}, max_attempts=5)
    h.start()
    done = h.wait(h.submit("Nowhere to go.", format="pcm", sinks=[{"name": "outbox"}]).id)
    assert (done.status, done.attempts, done.error_code) == (JobStatus.FAILED, 1, "delivery_rejected")
    assert "permission denied" in (done.error or "") and len(sink.calls) == 1


def test_bad_input_fails_at_once_and_does_not_block_the_queue(harness: HarnessFactory) -> None:
    h = harness()
    bad = h.submit("!!! ???", priority=Priority.LIVE, format="pcm")
    good = h.submit("This one is fine.", format="pcm")
    h.start()
    failed, ok = h.wait(bad.id), h.wait(good.id)
    assert (failed.status, failed.attempts, failed.error_code) == (JobStatus.FAILED, 1, "empty_text")
    assert failed.error and "nothing to speak" in failed.error
    assert ok.status is JobStatus.SUCCEEDED


def test_timeout_stops_the_synthesis(harness: HarnessFactory) -> None:
    slow = ToneBackend("test-tone", delay_s=0.05)
    h = harness(engine=make_engine(slow), max_attempts=1)
    h.start()
    job = h.submit(SENTENCES, format="pcm", timeout_seconds=0.3)
    done = h.wait(job.id)
    assert done.status is JobStatus.DEAD and done.error_code == "timeout"
    assert stopped_calling(slow) < 20  # stopped, well before the 20 sentences were spoken


def test_a_cancelled_queued_job_never_starts(harness: HarnessFactory, tone: ToneBackend) -> None:
    h = harness()
    job = h.submit("Cancel me before I start.", format="pcm")
    assert h.service.cancel(job.id).status is JobStatus.CANCELLED
    h.start()
    after = h.submit("Runs after it.", format="pcm")
    assert h.wait(after.id).status is JobStatus.SUCCEEDED
    cancelled = h.service.get(job.id)
    assert cancelled.status is JobStatus.CANCELLED and cancelled.started_at is None
    assert all("Cancel" not in piece.text for piece, _, _ in tone.calls)


def test_a_running_job_stops_within_a_piece_when_cancelled(harness: HarnessFactory) -> None:
    slow = ToneBackend("test-tone", delay_s=0.1)
    h = harness(engine=make_engine(slow))
    h.start()
    job = h.submit(SENTENCES, format="pcm")
    h.wait(job.id, JobStatus.RUNNING)
    assert slow.started.wait(5)
    # From another process's point of view: only the row says so; the heartbeat must notice it.
    h.store.cancel(job.id)
    asked = time.monotonic()
    done = h.wait(job.id)
    assert done.status is JobStatus.CANCELLED
    # Heartbeat (0.1 s) plus the piece being synthesized and the lookahead in flight.
    assert time.monotonic() - asked < 1.0
    assert stopped_calling(slow) < 20


def test_duplicate_messages_and_reruns_of_finished_jobs_do_nothing(
    harness: HarnessFactory, tone: ToneBackend
) -> None:
    h = harness()
    h.start(workers=2)
    job = h.submit("Only once.", format="pcm")
    for _ in range(4):
        h.service.broker.enqueue(job.id)
    done = h.wait(job.id)
    assert done.status is JobStatus.SUCCEEDED
    spoken = len(tone.calls)
    for _ in range(3):
        h.service.broker.enqueue(job.id)
    marker = h.submit("A later job.", format="pcm")
    h.wait(marker.id)
    again = h.service.get(job.id)
    assert (again.attempts, again.finished_at, again.artifact) == (1, done.finished_at, done.artifact)
    assert len(tone.calls) == spoken + 1  # only the later job's one piece was synthesized


def test_a_queued_job_whose_message_was_lost_is_sent_again(harness: HarnessFactory) -> None:
    h = harness(requeue_after_seconds=0.5)
    # Stored but never enqueued: what a crash between the INSERT and the enqueue leaves.
    job, _ = h.store.create(JobSpec(texts=["Lost."]), max_attempts=3)
    h.start()
    done = h.wait(job.id, timeout=10)
    assert done.status is JobStatus.SUCCEEDED and done.attempts == 1


def test_the_sweeper_resends_lost_messages_but_leaves_a_backlog_alone(harness: HarnessFactory) -> None:
    h = harness(requeue_after_seconds=0.05)
    upkeep = Maintenance(h.store, h.service.broker, ArtifactStore(h.service.artifacts_dir), h.settings)
    for i in range(3):
        h.submit(f"Waiting {i}.", format="pcm")
    time.sleep(0.1)
    assert upkeep.sweep() == 0  # three jobs, three messages: nothing is missing
    h.store.create(JobSpec(texts=["Lost."]), max_attempts=3)  # a row whose message never went out
    time.sleep(0.1)
    assert upkeep.sweep() == 4  # a message is missing: every old queued job is sent again
    assert h.service.broker.pending() == 7
    assert upkeep.sweep() == 0


def test_a_job_left_running_by_a_dead_worker_is_run_again(harness: HarnessFactory) -> None:
    h = harness(lease_seconds=0.5)
    job = h.submit("Orphaned.", format="pcm")
    assert h.store.claim(job.id, "dead-host:1:x", lease_seconds=0.5) is not None  # then the worker "dies"
    h.start()
    done = h.wait(job.id, timeout=10)
    assert done.status is JobStatus.SUCCEEDED
    assert done.attempts == 2 and done.worker_id != "dead-host:1:x"


def test_graceful_stop_hands_a_running_job_back_and_it_resumes(harness: HarnessFactory) -> None:
    slow = ToneBackend("test-tone", delay_s=0.05)
    h = harness(engine=make_engine(slow))
    handle = h.start()
    job = h.submit(SENTENCES, format="pcm")
    h.wait(job.id, JobStatus.RUNNING)
    t0 = time.monotonic()
    assert handle.stop(timeout=0.2) is True
    assert time.monotonic() - t0 < 0.2 + 2.0
    back = h.service.get(job.id)
    assert back.status is JobStatus.QUEUED and back.attempts == 0  # the interrupted attempt is not counted
    h.handle = None
    h.start()
    done = h.wait(job.id)
    assert done.status is JobStatus.SUCCEEDED and done.attempts == 1
