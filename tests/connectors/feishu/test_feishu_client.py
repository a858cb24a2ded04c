"""The SDK wrapper against the fake: which failures are retried, how long it waits, what it gives up on."""

from __future__ import annotations

from typing import Any

import lark_oapi as lark
import pytest
from feishu_helpers import APP, Feishu
from lark_oapi.api.bitable.v1 import GetAppTableRecordRequest
from pydantic import SecretStr

from connectors.feishu import fake as fk
from connectors.feishu.client import FeishuClient, FeishuError


def get_record(client: FeishuClient, feishu: Feishu, record_id: str) -> dict[str, Any]:
    def send(sdk: lark.Client) -> Any:
        req = GetAppTableRecordRequest.builder().app_token(APP).table_id(feishu.table_id).record_id(record_id)
        return sdk.bitable.v1.app_table_record.get(req.build())

    return client.call("records.get", send)


@pytest.mark.parametrize(
    "fault",
    [fk.rate_limited(3), fk.too_many_requests(), fk.write_conflict(), fk.gateway_error(502),
     fk.gateway_error(504), fk.error(1255040, "timeout", 504), fk.error(1254607, "data not ready")],
    ids=["rate-limit", "1254290", "1254291", "html-502", "html-504", "1255040", "1254607"],
)
def test_transient_failures_are_retried_with_a_pause(feishu: Feishu, fault: fk.Fault) -> None:
    record_id = feishu.add()
    client = feishu.client()
    feishu.fake.faults.inject("records.get", fault, nth=[1, 2])
    data = get_record(client, feishu, record_id)
    assert data["record"]["record_id"] == record_id
    assert feishu.calls("records.get") == 3
    assert len(feishu.sleeps) == 2 and all(s > 0 for s in feishu.sleeps)


def test_rate_limit_waits_for_the_window_feishu_names(feishu: Feishu) -> None:
    record_id = feishu.add()
    feishu.fake.faults.inject("records.get", fk.rate_limited(reset_s=4))
    get_record(feishu.client(), feishu, record_id)
    assert len(feishu.sleeps) == 1 and 4.0 <= feishu.sleeps[0] <= 4.5  # x-ogw-ratelimit-reset, plus jitter


def test_backoff_grows_and_gives_up_after_the_configured_attempts(feishu: Feishu) -> None:
    record_id = feishu.add()
    client = feishu.client(retry=feishu.cfg.retry.model_copy(update={"attempts": 4, "initial_wait_s": 1.0}))
    feishu.fake.faults.always("records.get", fk.write_conflict())
    with pytest.raises(FeishuError) as info:
        get_record(client, feishu, record_id)
    assert info.value.code == 1254291 and info.value.retryable
    assert feishu.calls("records.get") == 4  # never a tight loop: bounded, and a pause before each retry
    first, second, third = feishu.sleeps  # exponential, with jitter in the upper half of each step
    assert 0.5 <= first <= 1.0 and 1.0 <= second <= 2.0 and 2.0 <= third <= 4.0


@pytest.mark.parametrize(
    ("fault", "code"),
    [(fk.permission_denied(), 1254302), (fk.error(1254045, "FieldNameNotFound"), 1254045),
     (fk.error(99991672, "scope not granted", 400), 99991672)],
)
def test_permanent_errors_are_not_retried(feishu: Feishu, fault: fk.Fault, code: int) -> None:
    record_id = feishu.add()
    feishu.fake.faults.always("records.get", fault)
    with pytest.raises(FeishuError) as info:
        get_record(feishu.client(), feishu, record_id)
    assert info.value.code == code and not info.value.retryable
    assert feishu.calls("records.get") == 1 and feishu.sleeps == []
    assert info.value.log_id  # the X-Tt-Logid Feishu support asks for


def test_expired_token_is_dropped_and_fetched_again_once(feishu: Feishu) -> None:
    record_id = feishu.add()
    client = feishu.client()
    get_record(client, feishu, record_id)
    tokens_before = feishu.calls("token")
    feishu.fake.faults.inject("records.get", fk.token_expired())
    get_record(client, feishu, record_id)
    assert feishu.calls("token") == tokens_before + 1
    assert feishu.sleeps == []  # refreshing is not a backoff


def test_a_token_refused_twice_in_a_row_is_an_error(feishu: Feishu) -> None:
    record_id = feishu.add()
    feishu.fake.faults.inject("records.get", fk.token_expired(), nth=[1, 2])
    with pytest.raises(FeishuError) as info:
        get_record(feishu.client(), feishu, record_id)
    assert info.value.code == 99991663 and not info.value.retryable


def test_a_timeout_is_retried_and_the_call_still_succeeds(feishu: Feishu) -> None:
    record_id = feishu.add()
    client = feishu.client(timeout_s=0.3)
    feishu.fake.faults.inject("records.get", fk.slow(1.0))
    assert get_record(client, feishu, record_id)["record"]["record_id"] == record_id
    assert feishu.calls("records.get") == 2 and len(feishu.sleeps) == 1


def test_wrong_secret_is_reported_by_check_credentials(feishu: Feishu) -> None:
    cfg = feishu.cfg.model_copy(update={"app_secret": SecretStr("nope")})
    client = FeishuClient(cfg, sleep=feishu.sleeps.append)
    with pytest.raises(FeishuError) as info:
        client.check_credentials()
    assert info.value.code == 10014 and "secret" in str(info.value)
