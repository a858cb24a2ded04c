"""Replies that are not Feishu's: truncated or wrong-shaped JSON with a 200, a reply without its data,
a dropped connection. Each is a transient fault: retried with a pause, never read as an answer.
(Error codes, HTML gateway pages, rate limits, timeouts and lost replies: test_feishu_client.py.)"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from feishu_helpers import APP, Feishu, Stack
from test_feishu_client import get_record

from connectors.feishu import fake as fk
from connectors.feishu.bitable import read_minutes
from connectors.feishu.client import FeishuError
from connectors.feishu.connector import FeishuConnector
from integrator.jobs.job import JobStatus

MALFORMED = {
    "truncated": fk.malformed(b'{"code":0,"data":{"rec'),
    "empty": fk.malformed(b""),
    "html-200": fk.malformed(b"<html><body>Welcome to nginx</body></html>"),
    "list": fk.malformed(b"[]"),
    "string": fk.malformed(b'"ok"'),
    "null": fk.malformed(b"null"),
    "code-not-a-number": fk.malformed(b'{"code":"abc","msg":"?"}'),
    "data-of-wrong-type": fk.malformed(b'{"code":0,"data":[]}'),
    "record-of-wrong-type": fk.malformed(b'{"code":0,"data":{"record":"x"}}'),
    "connection-reset": fk.reset(),
}


@pytest.mark.parametrize("fault", list(MALFORMED.values()), ids=list(MALFORMED))
def test_a_malformed_reply_is_retried_and_the_call_then_succeeds(feishu: Feishu, fault: fk.Fault) -> None:
    record_id = feishu.add()
    feishu.fake.faults.inject("records.get", fault)
    data = get_record(feishu.client(), feishu, record_id)
    assert data["record"]["record_id"] == record_id
    assert feishu.calls("records.get") == 2 and len(feishu.sleeps) == 1


def test_malformed_replies_that_persist_end_in_a_retryable_error_that_says_so(feishu: Feishu) -> None:
    record_id = feishu.add()
    client = feishu.client(retry=feishu.cfg.retry.model_copy(update={"attempts": 3}))
    feishu.fake.faults.always("records.get", MALFORMED["list"])
    with pytest.raises(FeishuError) as info:
        get_record(client, feishu, record_id)
    assert info.value.retryable and "malformed reply" in str(info.value)
    assert feishu.calls("records.get") == 3


def test_a_reply_without_the_record_is_not_a_record_without_text(feishu: Feishu) -> None:
    # Read as {} it made the sink think the record had changed and skip the delivery for good.
    record_id = feishu.add("今天开会。")
    connector = FeishuConnector(feishu.cfg, feishu.client())
    table = feishu.cfg.tables[0]
    feishu.fake.faults.inject("records.get", fk.malformed(b'{"code":0,"msg":"success","data":{}}'))
    fields = connector.bitable.get(table, record_id)
    assert read_minutes(feishu.cfg, table, record_id, fields).text == "今天开会。"
    assert feishu.calls("records.get") == 2


@pytest.mark.parametrize("endpoint", ["medias.upload_all", "records.update"])
def test_a_delivery_through_malformed_replies_attaches_exactly_one_file(
    feishu: Feishu, tmp_path: Path, endpoint: str
) -> None:
    stack = Stack(feishu, tmp_path).start(workers=1)
    try:
        rid = feishu.add("第一句。第二句。")
        faults = feishu.fake.faults
        faults.inject(endpoint, fk.malformed(b'{"code":0,"msg":"success","data":{}}'), nth=1)
        faults.inject(endpoint, fk.reset(), nth=2)
        stack.runtime.poll()
        [job] = stack.wait_jobs(1)
        assert job.status is JobStatus.SUCCEEDED, job.error
        record = feishu.record(rid)
        assert record["Status"] == "Done" and len(record["Audio"]) == 1
        if endpoint == "medias.upload_all":  # neither fault stored a file: exactly one upload exists
            assert len(feishu.fake.media) == 1
    finally:
        stack.close()


@pytest.fixture
def failing_stack(make_feishu: Callable[..., Feishu], tmp_path: Path) -> Iterator[tuple[Feishu, Stack]]:
    feishu = make_feishu()
    stack = Stack(feishu, tmp_path).start(workers=1)
    yield feishu, stack
    stack.close()


def test_uploads_answered_without_a_file_token_dead_letter_the_job_with_that_reason(
    failing_stack: tuple[Feishu, Stack],
) -> None:
    feishu, stack = failing_stack
    rid = feishu.add("上传总是失败。")
    feishu.fake.faults.always("medias.upload_all", fk.malformed(b'{"code":0,"msg":"success","data":{}}'))
    stack.runtime.poll()
    [job] = stack.wait_jobs(1, timeout=90)
    assert job.status is JobStatus.DEAD and job.attempts == job.max_attempts
    assert "malformed reply: no 'file_token'" in (job.error or "")
    assert feishu.record(rid).get("Audio") is None
    assert stack.runtime.report_failures() == 1
    record = feishu.record(rid)
    assert record["Status"] == "Failed" and "malformed reply" in record["Error"][0]["text"]
    assert APP in feishu.fake.apps
