"""End to end: the fake Feishu, the real SDK, Voxflow's durable jobs and a voice, with faults injected."""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from feishu_helpers import APP, Feishu, Stack

from connectors.feishu import fake as fk
from connectors.feishu import routes
from integrator.jobs.job import JobStatus
from integrator.jobs.schedules import ActionContext
from tts_engine.engine import Engine

LIMIT, BLOCK = 256 * 1024, 64 * 1024
CHAT = "oc_team"


def ffprobe_seconds(data: bytes, tmp_path: Path) -> float:
    """Decodes the whole file (an error on any damage) and returns what ffprobe says it lasts."""
    path = tmp_path / "probe.bin"
    path.write_bytes(data)
    subprocess.run(
        ["ffmpeg", "-v", "error", "-xerror", "-i", str(path), "-f", "null", "-"],
        check=True,
        capture_output=True,
    )
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "json", str(path)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return float(json.loads(out)["format"]["duration"])


def rich(i: int) -> list[dict[str, Any]]:
    return [
        {"type": "text", "text": f"第{i}次周会：发布推迟到下周二。"},
        {"type": "mention", "mentionType": "User", "text": "@王芳", "token": f"ou_{i}", "name": "王芳"},
        {"type": "text", "text": " 负责检查清单，见 "},
        {"type": "url", "text": "发布计划", "link": "https://example.com/plan"},
        {"type": "text", "text": "。Budget approved."},
    ]


def inject_faults(fake: fk.FakeFeishu) -> None:
    f = fake.faults
    f.inject("records.search", fk.rate_limited(1), nth=1)
    f.inject("records.batch_update", fk.write_conflict(), nth=1)
    f.inject("records.get", fk.token_expired(), nth=5)
    f.inject("records.get", fk.gateway_error(502), nth=11)
    f.inject("records.update", fk.write_conflict(), nth=[2, 7, 8])
    f.inject("records.update", fk.too_many_requests(), nth=4)
    f.inject("medias.upload_all", fk.rate_limited(2), nth=3)
    f.inject("medias.upload_all", fk.gateway_error(503), nth=6)
    f.inject("medias.upload_part", fk.gateway_error(502), nth=2)
    f.inject("im.files", fk.rate_limited(1), nth=2)
    f.inject("im.messages", fk.slow(4.5), nth=3)  # posted, but the answer comes after the client gave up
    # Posted, but every answer lost: at least one delivery gives up and its job runs again.
    f.inject("im.messages", fk.lost_reply(), nth=range(8, 20))


@pytest.fixture
def feishu(make_feishu: Callable[..., Feishu]) -> Feishu:
    return make_feishu(fake_options={"upload_all_limit": LIMIT, "block_size": BLOCK})


@pytest.fixture
def stack(feishu: Feishu, tmp_path: Path) -> Iterator[Stack]:
    s = Stack(feishu, tmp_path / "data", mode="both", chats=[CHAT], upload_all_limit=LIMIT, timeout_s=4.0)
    yield s
    s.close()


def post_events(client: TestClient, fake: fk.FakeFeishu, events: list[dict[str, Any]]) -> list[str]:
    answers = []
    for event in events:
        headers, body = fake.signed_request(event)
        response = client.post(routes.EVENTS_PATH, content=body, headers=headers)
        assert response.status_code == 200
        answers.append(response.json()["msg"])
    return answers


def settle(stack: Stack, jobs: int, timeout: float = 60.0) -> None:
    """Wait for the event inbox to empty and ``jobs`` feishu jobs to finish."""
    deadline = time.monotonic() + timeout
    while stack.runtime.store.pending_events():
        assert time.monotonic() < deadline, "events not drained"
        time.sleep(0.05)
    stack.wait_jobs(jobs, timeout=max(1.0, deadline - time.monotonic()))


def test_thirty_records_by_polling_then_events_change_nothing_but_an_edit(
    stack: Stack, feishu: Feishu, tmp_path: Path
) -> None:
    fake = feishu.fake
    fake.subscriptions.add(APP)  # every change fires an event, ours included
    long_text = "".join(f"第{i}项：项目进度正常，预算没有变化，下周继续跟进。" for i in range(40))
    texts: list[Any] = [f"第{i}条会议纪要：今天讨论了产品发布。" for i in range(20)]
    texts += [rich(i) for i in range(9)] + [long_text]
    ids = [feishu.add(text, Title=f"会议 {i}") for i, text in enumerate(texts)]
    inject_faults(fake)

    stack.start(workers=2)
    report = stack.plugin.poll_action(ActionContext(stack.settings, stack.service))  # what the schedule runs
    assert report == {"queued": 30, "waiting": 0, "failed": 0}
    jobs = stack.wait_jobs(30)
    assert all(j.status is JobStatus.SUCCEEDED for j in jobs), [(j.id, j.error) for j in jobs if j.error]
    assert any(j.attempts > 1 for j in jobs)  # a delivery failed whole and was redone by the job system

    tokens = {}
    for rid in ids:
        record = feishu.record(rid)
        assert record["Status"] == "Done" and "Error" not in record
        [cell] = record["Audio"]
        [data] = fake.attachment_bytes(APP, feishu.table_id, rid, "Audio")
        assert abs(record["Duration"] - ffprobe_seconds(data, tmp_path)) <= 0.1
        assert cell["name"].startswith("voxflow-") and cell["name"].endswith(".mp3")
        tokens[rid] = cell["file_token"]
    assert len(fake.attachment_bytes(APP, feishu.table_id, ids[-1], "Audio")[0]) > LIMIT
    assert feishu.calls("medias.upload_prepare") >= 1 and feishu.calls("medias.upload_finish") >= 1
    assert fake.max_concurrent_uploads == 1
    assert feishu.sleeps and min(feishu.sleeps) > 0  # every retry paused first

    assert len(fake.messages) == 30  # the slow send was retried under the same uuid
    assert len({m["uuid"] for m in fake.messages}) == 30
    for message in fake.messages:
        voice = fake.im_files[json.loads(message["request"]["content"])["file_key"]]
        assert voice["type"] == "opus" and voice["data"][:4] == b"OggS" and voice["duration"] > 0

    # Every event so far (people adding records, our claims, our deliveries), each delivered twice.
    app = FastAPI()
    routes.install(app, stack.runtime)
    client = TestClient(app)
    events = fake.take_events()
    assert len(events) >= 90
    writes = feishu.calls("records.update") + feishu.calls("records.batch_update")
    answers = post_events(client, fake, events + events)
    assert answers.count("duplicate") == len(events)
    settle(stack, 30)
    assert len(stack.jobs()) == 30 and len(fake.messages) == 30
    assert feishu.calls("records.update") + feishu.calls("records.batch_update") == writes
    assert {rid: feishu.record(rid)["Audio"][0]["file_token"] for rid in ids} == tokens

    # A person edits one record's minutes: that record, and only it, is read again.
    edited = ids[3]
    fake.edit_record(APP, feishu.table_id, edited, {"Minutes": "改期了：周会改到周四下午。"})
    post_events(client, fake, fake.take_events())
    settle(stack, 31)
    post_events(client, fake, fake.take_events())  # the echo of our claim and delivery
    settle(stack, 31)
    assert len(stack.jobs()) == 31 and len(fake.messages) == 31
    record = feishu.record(edited)
    [cell] = record["Audio"]  # replaced, not added
    assert cell["file_token"] != tokens[edited] and record["Status"] == "Done"
    [data] = fake.attachment_bytes(APP, feishu.table_id, edited, "Audio")
    assert abs(record["Duration"] - ffprobe_seconds(data, tmp_path)) <= 0.1
    assert {rid: feishu.record(rid)["Audio"][0]["file_token"] for rid in ids if rid != edited} == {
        rid: t for rid, t in tokens.items() if rid != edited
    }


def test_webhook_verification_signature_and_unhandled_types(stack: Stack, feishu: Feishu) -> None:
    app = FastAPI()
    routes.install(app, stack.runtime)
    client = TestClient(app)
    fake = feishu.fake
    headers, body = fake.signed_request(
        {"type": "url_verification", "challenge": "abc", "token": fake.verification_token}
    )
    assert client.post(routes.EVENTS_PATH, content=body, headers=headers).json() == {"challenge": "abc"}

    event = {
        "schema": "2.0",
        "header": {"event_id": "e1", "token": fake.verification_token, "event_type": "im.message.receive_v1"},
        "event": {},
    }
    headers, body = fake.signed_request(event)
    assert client.post(routes.EVENTS_PATH, content=body, headers=headers).json() == {"msg": "ignored"}
    headers["X-Lark-Signature"] = "f" * 64
    assert client.post(routes.EVENTS_PATH, content=body, headers=headers).status_code == 401
    assert client.post(routes.EVENTS_PATH, content=b"{", headers=headers).status_code == 400


@pytest.mark.slow
def test_one_record_with_a_real_voice(
    make_feishu: Callable[..., Feishu], tmp_path: Path, engine: Engine
) -> None:
    feishu = make_feishu()
    stack = Stack(feishu, tmp_path, engine=engine).start(workers=1)
    try:
        rid = feishu.add("今天下午三点开会，讨论新产品的发布计划。")
        stack.runtime.poll()
        [job] = stack.wait_jobs(1, timeout=120)
        assert job.status is JobStatus.SUCCEEDED, job.error
        record = feishu.record(rid)
        [data] = feishu.fake.attachment_bytes(APP, feishu.table_id, rid, "Audio")
        seconds = ffprobe_seconds(data, tmp_path)
        assert record["Status"] == "Done" and 1.5 < seconds < 15
        assert abs(record["Duration"] - seconds) <= 0.1
    finally:
        stack.close()
