"""Records into durable jobs and failures back into records, through the real job system."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from feishu_helpers import APP, COLUMNS, Feishu, Stack

from connectors.feishu import fake as fk
from integrator.jobs.job import JobStatus


@pytest.fixture
def stack(feishu: Feishu, tmp_path: Path) -> Iterator[Stack]:
    s = Stack(feishu, tmp_path)
    yield s
    s.close()


def test_settings_with_the_connector_enabled_carry_its_sinks_and_poll_schedule(stack: Stack) -> None:
    jobs = stack.settings.jobs
    assert jobs.sinks["feishu_bitable"] == {"type": "feishu_bitable"}
    [poll] = [s for s in jobs.schedules if s.id == "feishu-poll"]
    assert (poll.action, poll.interval_seconds) == ("feishu.poll", stack.runtime.cfg.poll_interval_s)


def test_poll_queues_one_job_per_record_and_marks_it_processing(stack: Stack, feishu: Feishu) -> None:
    ids = [feishu.add(f"第{i}条纪要。") for i in range(3)]
    report = stack.runtime.poll()
    assert (report.records, report.queued, report.waiting) == (3, 3, 0)
    jobs = stack.jobs()
    assert sorted(j.spec.sinks[0].params["record_id"] for j in jobs) == sorted(ids)
    assert {j.spec.texts[0] for j in jobs} == {f"第{i}条纪要。" for i in range(3)}
    assert {feishu.record(r)["Status"] for r in ids} == {"Processing"}
    assert feishu.calls("records.batch_update") == 1

    again = stack.runtime.poll()  # the same versions: the same jobs
    assert (again.queued, again.waiting) == (0, 3) and len(stack.jobs()) == 3
    assert feishu.calls("records.batch_update") == 1


def test_an_edited_record_gets_a_new_job(stack: Stack, feishu: Feishu) -> None:
    rid = feishu.add("初稿。")
    stack.runtime.poll()
    feishu.fake.edit_record(APP, feishu.table_id, rid, {"Minutes": "终稿。"})
    assert stack.runtime.poll().queued == 1
    assert sorted(j.spec.texts[0] for j in stack.jobs()) == ["初稿。", "终稿。"]


def test_a_record_that_cannot_be_a_job_is_marked_failed_with_the_reason(
    make_feishu: Callable[..., Feishu], tmp_path: Path
) -> None:
    feishu = make_feishu([*COLUMNS, ("Speed", fk.TEXT)], fields={"speed": "Speed"})
    stack = Stack(feishu, tmp_path, fields={"speed": "Speed"})
    try:
        bad = feishu.add("太快了。", Speed="9")
        words = feishu.add("快一点。", Speed="fast")
        report = stack.runtime.poll()
        assert report.failed == 2 and stack.jobs() == []
        assert feishu.record(bad)["Status"] == "Failed" and "speed" in feishu.record(bad)["Error"][0]["text"]
        assert "'fast' is not a number" in feishu.record(words)["Error"][0]["text"]
    finally:
        stack.close()


def test_failed_jobs_are_written_back_once(stack: Stack, feishu: Feishu) -> None:
    rid = feishu.add("你好。", Status="Pending")
    stack.runtime.cfg.voice = "no-such-voice"  # the deployment does not have it
    assert stack.runtime.poll().failed == 1  # refused at submit: nothing queued
    assert "no-such-voice" in feishu.record(rid)["Error"][0]["text"]
    stack.runtime.cfg.voice = None

    other = feishu.add("再试一次。")
    stack.runtime.poll()
    [job] = [j for j in stack.jobs() if j.spec.sinks[0].params["record_id"] == other]
    stack.service.cancel(job.id)  # ends it without success, as a failed or dead job would
    assert stack.runtime.report_failures() == 1
    assert feishu.record(other)["Status"] == "Failed"
    updates = feishu.calls("records.update")
    assert stack.runtime.report_failures() == 0 and feishu.calls("records.update") == updates


def test_setting_a_failed_record_back_to_pending_retries_its_job(stack: Stack, feishu: Feishu) -> None:
    rid = feishu.add("重试我。")
    stack.runtime.poll()
    [job] = stack.jobs()
    stack.service.cancel(job.id)
    stack.runtime.report_failures()
    assert feishu.record(rid)["Status"] == "Failed"
    feishu.fake.edit_record(APP, feishu.table_id, rid, {"Status": "Pending"})
    assert stack.runtime.poll().queued == 1
    [again] = stack.jobs()
    assert again.id == job.id and again.status is JobStatus.QUEUED  # the same job, fresh attempts


def test_a_delivered_record_asked_for_again_gets_a_new_job(stack: Stack, feishu: Feishu) -> None:
    stack.start(workers=1)
    rid = feishu.add("再读一遍。")
    stack.runtime.poll()
    [first] = stack.wait_jobs(1)
    assert first.status is JobStatus.SUCCEEDED and feishu.record(rid)["Status"] == "Done"
    for round_ in (2, 3):  # a person clears the audio and asks again, twice
        feishu.fake.edit_record(APP, feishu.table_id, rid, {"Audio": [], "Status": "Pending"})
        assert stack.runtime.poll().queued == 1
        jobs = stack.wait_jobs(round_)
        assert len(jobs) == round_ and {j.status for j in jobs} == {JobStatus.SUCCEEDED}
        assert len(feishu.record(rid)["Audio"]) == 1 and feishu.record(rid)["Status"] == "Done"
    assert stack.runtime.poll().records == 0


def test_a_permanent_feishu_error_fails_the_job_at_once_with_the_reason(
    make_feishu: Callable[..., Feishu], tmp_path: Path
) -> None:
    feishu = make_feishu()
    stack = Stack(feishu, tmp_path).start(workers=1)
    try:
        rid = feishu.add("没有权限。")
        stack.runtime.poll()
        feishu.fake.faults.always("records.update", fk.permission_denied())
        [job] = stack.wait_jobs(1)
        assert job.status is JobStatus.FAILED and job.attempts == 1  # not retried
        assert job.error_code == "feishu_rejected" and "permission denied" in (job.error or "")
        assert feishu.record(rid)["Status"] == "Processing"  # the write itself was refused
        feishu.fake.faults.always("records.update", None)
        assert stack.runtime.report_failures() == 1
        assert "permission denied" in feishu.record(rid)["Error"][0]["text"]
    finally:
        stack.close()


def test_an_event_that_cannot_be_handled_yet_is_kept_and_tried_again(stack: Stack, feishu: Feishu) -> None:
    feishu.fake.subscriptions.add(APP)
    rid = feishu.add("事件来了。")
    [event] = feishu.fake.take_events()
    event_id = event["header"]["event_id"]
    assert stack.runtime.store.add_event(event_id, event["event"])
    feishu.fake.faults.always("records.get", fk.gateway_error(503))
    assert stack.runtime.drain() == 0
    row = stack.runtime.store.event(event_id)
    assert row is not None and (row.state, row.attempts) == ("pending", 1) and "gateway" in (row.error or "")
    assert stack.jobs() == []

    feishu.fake.faults.always("records.get", None)
    stack.runtime.store.retry_event(event_id, 0.0, "")  # its backoff is over
    assert stack.runtime.drain() == 1
    [job] = stack.jobs()
    assert job.spec.sinks[0].params["record_id"] == rid and feishu.record(rid)["Status"] == "Processing"
    assert not stack.runtime.store.add_event(event_id, event["event"])  # remembered: a redelivery is dropped


def test_a_record_the_text_policy_refuses_is_marked_failed_naming_the_rule(
    make_feishu: Callable[..., Feishu], tmp_path: Path
) -> None:
    (tmp_path / "deny.txt").write_text("[violence]\n杀人\n", encoding="utf-8")
    feishu = make_feishu()
    stack = Stack(feishu, tmp_path, policy={"deny_list": str(tmp_path / "deny.txt")}).start(workers=1)
    try:
        bad = feishu.add("会上有人说要殺人。")
        good = feishu.add("会议照常进行。")
        stack.runtime.poll()
        jobs = stack.wait_jobs(2)
        [refused] = [j for j in jobs if j.spec.sinks[0].params["record_id"] == bad]
        assert refused.status is JobStatus.FAILED and refused.error_code == "text_refused"
        stack.runtime.report_failures()  # the runtime's own pass may have written it back already
        assert stack.runtime.report_failures() == 0  # written back once, not again
        assert feishu.record(bad)["Status"] == "Failed"
        assert "text refused by policy rule 'violence'" in feishu.record(bad)["Error"][0]["text"]
        assert feishu.record(good)["Status"] != "Failed"
        voice = stack.engine.registry.get("test-tone")
        assert not any("杀" in p.text or "殺" in p.text for p, _, _ in voice.calls)  # type: ignore[attr-defined]
    finally:
        stack.close()
