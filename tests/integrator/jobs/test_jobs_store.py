"""The job store's state machine: every transition is a conditional UPDATE that only one caller wins."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import timedelta

import pytest
from jobs_helpers import Harness, SettingsFactory, make_engine
from sqlalchemy import inspect, text

from integrator.jobs.job import Artifact, JobSpec, JobStatus
from integrator.jobs.sinks import MemorySink
from integrator.jobs.store import JobStore, utcnow
from tts_engine.testing import ToneBackend


@pytest.fixture
def store(database_url: str) -> Iterator[JobStore]:
    s = JobStore(database_url)
    yield s
    s.close()


def spec(**kw: object) -> JobSpec:
    return JobSpec.model_validate({"texts": ["Hello."], **kw})


def test_both_tables_exist_and_sqlite_is_in_wal_mode(store: JobStore) -> None:
    if store.engine.dialect.name == "sqlite":
        with store.engine.connect() as conn:
            assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
    assert {"voxflow_jobs", "voxflow_deliveries"} <= set(inspect(store.engine).get_table_names())


def test_same_idempotency_key_gives_the_existing_job(store: JobStore) -> None:
    first, created = store.create(spec(idempotency_key="minutes-42"), max_attempts=3)
    again, created_again = store.create(spec(idempotency_key="minutes-42", texts=["Other."]), max_attempts=3)
    other, _ = store.create(spec(), max_attempts=3)
    assert (created, created_again) == (True, False)
    assert again.id == first.id and again.spec.texts == ["Hello."]
    assert other.id != first.id
    assert first.max_attempts == 3 and store.create(spec(max_attempts=7), max_attempts=3)[0].max_attempts == 7


def test_only_one_of_many_concurrent_claims_wins(store: JobStore) -> None:
    job, _ = store.create(spec(), max_attempts=3)
    won: list[str] = []
    barrier = threading.Barrier(8)

    def claim(i: int) -> None:
        barrier.wait()
        if store.claim(job.id, f"w{i}", 30) is not None:
            won.append(f"w{i}")

    threads = [threading.Thread(target=claim, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(won) == 1
    got = store.get(job.id)
    assert got is not None
    assert (got.status, got.worker_id, got.attempts) == (JobStatus.RUNNING, won[0], 1)


def test_writes_of_an_attempt_that_lost_its_lease_are_ignored(store: JobStore) -> None:
    job, _ = store.create(spec(), max_attempts=3)
    store.claim(job.id, "old", lease_seconds=0.05)
    time.sleep(0.1)
    assert store.requeue_expired() == [(job.id, job.priority)]
    assert store.claim(job.id, "new", 30) is not None
    assert store.heartbeat(job.id, "old", 30) is None
    assert store.succeed(job.id, "old") is False
    assert store.fail(job.id, "old", "x", "y", retry_at=None) is None
    assert store.heartbeat(job.id, "new", 30) is False
    assert store.succeed(job.id, "new") is True
    done = store.get(job.id)
    assert done is not None and done.status is JobStatus.SUCCEEDED and done.attempts == 2


def test_failed_attempts_retry_until_the_last_one_dead_letters(store: JobStore) -> None:
    job, _ = store.create(spec(), max_attempts=2)
    store.claim(job.id, "w", 30)
    at = utcnow() + timedelta(seconds=5)
    assert store.fail(job.id, "w", "IOError", "disk hiccup", retry_at=at) is JobStatus.QUEUED
    queued = store.get(job.id)
    assert queued is not None and queued.not_before == at
    assert queued.error == "disk hiccup" and queued.worker_id is None
    store.claim(job.id, "w2", 30)
    assert store.fail(job.id, "w2", "IOError", "disk gone", retry_at=at) is JobStatus.DEAD
    dead = store.get(job.id)
    assert dead is not None and dead.status is JobStatus.DEAD and dead.error == "disk gone"
    assert dead.finished_at is not None and dead.attempts == 2


def test_permanent_failure_is_final_at_once(store: JobStore) -> None:
    job, _ = store.create(spec(), max_attempts=5)
    store.claim(job.id, "w", 30)
    assert store.fail(job.id, "w", "empty_text", "nothing to say", retry_at=None) is JobStatus.FAILED
    assert store.claim(job.id, "w", 30) is None


def test_an_expired_lease_on_the_last_attempt_is_dead_with_the_reason(store: JobStore) -> None:
    job, _ = store.create(spec(), max_attempts=1)
    store.claim(job.id, "w", lease_seconds=0.01)
    time.sleep(0.05)
    assert store.requeue_expired() == []
    dead = store.get(job.id)
    assert dead is not None and dead.status is JobStatus.DEAD and dead.error_code == "worker_lost"


def test_stranded_jobs_are_taken_by_one_sweeper_only(store: JobStore) -> None:
    job, _ = store.create(spec(), max_attempts=3)
    assert store.take_stranded(older_than_seconds=60) == []
    time.sleep(0.05)
    assert store.take_stranded(older_than_seconds=0.01) == [(job.id, job.priority)]
    assert store.take_stranded(older_than_seconds=0.01) == []  # the first sweeper bumped it
    store.mark_enqueue_failed(job.id)
    assert store.take_stranded(older_than_seconds=60) == [(job.id, job.priority)]


def test_shutdown_release_does_not_count_the_attempt(store: JobStore) -> None:
    job, _ = store.create(spec(), max_attempts=3)
    store.claim(job.id, "w", 30)
    assert store.release(job.id, "w")
    back = store.get(job.id)
    assert back is not None and back.status is JobStatus.QUEUED and back.attempts == 0


def test_cancel_and_retry(store: JobStore) -> None:
    queued, _ = store.create(spec(), max_attempts=3)
    running, _ = store.create(spec(), max_attempts=3)
    store.claim(running.id, "w", 30)
    assert store.cancel(queued.id).status is JobStatus.CANCELLED  # type: ignore[union-attr]
    asked = store.cancel(running.id)
    assert asked is not None and asked.status is JobStatus.RUNNING and asked.cancel_requested
    assert store.heartbeat(running.id, "w", 30) is True
    retried = store.retry(queued.id)
    assert retried is not None and retried.status is JobStatus.QUEUED and retried.attempts == 0
    assert store.retry(running.id) is None  # only failed, dead or cancelled jobs
    assert store.cancel("nope") is None


def test_listing_pages_newest_first_with_filters(store: JobStore) -> None:
    ids = [store.create(spec(source="feishu" if i % 2 else "api"), max_attempts=3)[0].id for i in range(7)]
    store.claim(ids[0], "w", 30)
    seen: list[str] = []
    before = None
    while True:
        page = store.find(limit=3, before=before)
        if not page:
            break
        seen += [j.id for j in page]
        before = page[-1].id
    assert seen == ids[::-1]
    assert [j.id for j in store.find(source="feishu")] == [i for i in ids[::-1] if ids.index(i) % 2]
    assert [j.id for j in store.find(status=JobStatus.RUNNING)] == [ids[0]]
    assert store.counts() == {"queued": 6, "running": 1}


def test_a_delivery_is_recorded_once_per_job_and_sink(store: JobStore) -> None:
    job, _ = store.create(spec(), max_attempts=3)
    first = store.begin_delivery(job.id, "outbox")
    again = store.begin_delivery(job.id, "outbox")
    assert (first.status, first.attempts, again.attempts) == ("pending", 1, 2)
    store.complete_delivery(job.id, "outbox", {"ref": "x"})
    done = store.begin_delivery(job.id, "outbox")
    assert (done.status, done.receipt, done.attempts) == ("delivered", {"ref": "x"}, 2)
    store.begin_delivery(job.id, "chat")
    records = [(d.sink, d.status) for d in store.deliveries(job.id)]
    assert records == [("outbox", "delivered"), ("chat", "pending")]


def test_artifact_survives_the_round_trip(store: JobStore) -> None:
    job, _ = store.create(spec(), max_attempts=3)
    store.claim(job.id, "w", 30)
    art = Artifact(name=f"{job.id}.mp3", format="mp3", bytes=10, sha256="ab", sample_rate=24000)
    assert store.set_artifact(job.id, "w", art)
    got = store.get(job.id)
    assert got is not None and got.artifact == art and got.artifact.media_type == "audio/mpeg"


def test_jobs_run_end_to_end_on_every_database(make_settings: SettingsFactory, database_url: str) -> None:
    tone = ToneBackend("test-tone")
    sink = MemorySink("outbox", fail_first=1)
    h = Harness(make_settings("sqlite", database_url=database_url), "memory", make_engine(tone),
                sinks={"outbox": sink})
    try:
        h.start(workers=2)
        outbox = [{"name": "outbox"}]
        jobs = [h.submit(f"Job {i}.", format="pcm", sinks=outbox) for i in range(4)]
        done = [h.wait(j.id) for j in jobs]
    finally:
        h.close()
    assert all(j.status is JobStatus.SUCCEEDED for j in done)
    assert sorted(call[0] for call in sink.calls) == sorted(j.id for j in jobs)
    assert sum(j.attempts for j in done) == 5  # one delivery failed once and was retried
