"""Status writes land in order: a record whose job has ended never shows ``Processing``.

The fake delays every ``Processing`` write and answers the first one 1254290 "busy", while
jobs (many of them cache hits) finish in milliseconds: the situation in which a ``Processing``
written after queueing overwrote the ``Done`` of a job that was already delivered.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from feishu_helpers import APP, Feishu, Stack

from connectors.feishu import fake as fk
from connectors.feishu import routes
from integrator.jobs.job import JobStatus

RECORDS = 30
TEXTS = 9  # 30 records over 9 texts: 21 of them say what another already said (cache hits)
LATE_S = {"poll": 1.0, "events": 0.25}  # how late each Processing write lands


@pytest.fixture(params=["poll", "events"])
def race(request: pytest.FixtureRequest, feishu: Feishu, tmp_path: Path) -> Iterator[tuple[str, Stack]]:
    mode = request.param
    s = Stack(feishu, tmp_path / "data", mode=mode, jobs={"cache_max_mb": 16})
    s.engine.synthesize("预热：加载声音和分词词典。", "test-tone")  # a warm service, as in production
    processing = fk.sets("Status", s.runtime.cfg.status.processing)
    late = fk.late(LATE_S[mode])
    for endpoint in ("records.update", "records.batch_update"):
        feishu.fake.faults.when(endpoint, processing, fk.too_many_requests(), then=late)
    yield mode, s
    s.close()


def deliver_events(client: TestClient, feishu: Feishu) -> int:
    sent = 0
    for event in feishu.fake.take_events():
        headers, body = feishu.fake.signed_request(event)
        assert client.post(routes.EVENTS_PATH, content=body, headers=headers).status_code == 200
        sent += 1
    return sent


def settle(stack: Stack, feishu: Feishu, client: TestClient | None, timeout: float = 90.0) -> None:
    """Until every event (ours included) is handled and every job has ended."""
    deadline = time.monotonic() + timeout
    while True:
        sent = deliver_events(client, feishu) if client is not None else 0
        jobs = stack.jobs()
        if (not sent and not stack.runtime.store.pending_events() and len(jobs) >= RECORDS
                and all(j.status.terminal for j in jobs)):
            return
        assert time.monotonic() < deadline, f"not settled: {[j.status.value for j in jobs]}"
        time.sleep(0.05)


def test_no_record_is_left_processing_once_its_job_ended(race: tuple[str, Stack], feishu: Feishu) -> None:
    mode, stack = race
    client: TestClient | None = None
    if mode == "events":
        feishu.fake.subscriptions.add(APP)
        app = FastAPI()
        routes.install(app, stack.runtime)
        client = TestClient(app)
    stack.start(workers=2)
    texts = [f"第{i}条纪要：本周发布推迟到周二，预算不变。" for i in range(TEXTS)]
    ids = [feishu.add(texts[i % TEXTS], Title=f"会议 {i}") for i in range(RECORDS)]
    if mode == "poll":
        report = stack.runtime.poll()
        assert report.queued == RECORDS
    settle(stack, feishu, client)

    jobs = stack.jobs()
    assert len(jobs) == RECORDS and {j.status for j in jobs} == {JobStatus.SUCCEEDED}
    assert sum(bool(j.artifact and j.artifact.cache_hit) for j in jobs) >= 1
    records: dict[str, dict[str, Any]] = {rid: feishu.record(rid) for rid in ids}
    assert all(len(r.get("Audio") or []) == 1 for r in records.values())
    stuck = [rid for rid, r in records.items() if r.get("Status") == "Processing"]
    assert not stuck, f"{mode}: {len(stuck)} of {RECORDS} records left in Processing after their job ended"
    assert {r.get("Status") for r in records.values()} == {"Done"}
    late_writes = [e for e in feishu.fake.log if e[0] in ("records.update", "records.batch_update")]
    assert any(code == 1254290 for _, _, code in late_writes)  # the busy answer was given and retried


def test_a_poller_that_lost_the_race_to_a_finished_job_says_done_again(
    feishu: Feishu, tmp_path: Path
) -> None:
    """Two pollers (the event drainer and the schedule, or two replicas) plan the same record; the
    other one claims, queues and delivers first, so our claim lands after its Done."""
    stack = Stack(feishu, tmp_path / "data").start(workers=1)
    try:
        rid = feishu.add("两个轮询同时看到这条纪要。")
        connector = stack.runtime.connector
        [m] = connector.bitable.pending(connector.cfg.tables[0])
        step = connector.plan(m, stack.service)
        assert step.kind == "submit"
        other = connector.plan(m, stack.service)  # the other poller, a moment before us, wins
        connector.claim_and_start(m.table, [(m, other)], stack.service)
        [job] = stack.wait_jobs(1)
        assert job.status is JobStatus.SUCCEEDED and feishu.record(rid)["Status"] == "Done"

        [(_, outcome)] = connector.claim_and_start(m.table, [(m, step)], stack.service)
        assert outcome == "waiting" and len(stack.jobs()) == 1
        assert feishu.record(rid)["Status"] == "Done"
    finally:
        stack.close()
