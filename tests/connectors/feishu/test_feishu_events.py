"""Webhook requests as the fake signs and encrypts them, and which changes ask for new audio."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from lark_oapi.core.utils.decryptor import AESCipher

from connectors.feishu.config import FieldNames
from connectors.feishu.events import (
    Challenge,
    Event,
    EventRejected,
    RecordChange,
    Webhook,
    record_changes,
    wants_audio,
)
from connectors.feishu.fake import FakeFeishu, encrypt_event
from connectors.feishu.store import FeishuStore

KEY, TOKEN = "encrypt-key-1", "verify-token-1"


def fake() -> FakeFeishu:
    return FakeFeishu(encrypt_key=KEY, verification_token=TOKEN)


def envelope(
    event_id: str = "ev1",
    token: str = TOKEN,
    event_type: str = "drive.file.bitable_record_changed_v1",
    event: dict[str, Any] | None = None,
) -> dict[str, Any]:
    return {
        "schema": "2.0",
        "header": {
            "event_id": event_id,
            "token": token,
            "event_type": event_type,
            "create_time": "1",
            "tenant_key": "t",
            "app_id": "cli",
        },
        "event": event or {},
    }


def test_encryption_matches_the_sdks_decryptor() -> None:
    plain = json.dumps({"hello": "世界"}).encode()
    assert AESCipher(KEY).decrypt_str(encrypt_event(KEY, plain)) == plain.decode()


@pytest.mark.parametrize("encrypt", [False, True], ids=["plain", "encrypted"])
def test_url_verification_answers_the_challenge(encrypt: bool) -> None:
    headers, body = fake().signed_request(
        {"type": "url_verification", "challenge": "c-1", "token": TOKEN}, encrypt=encrypt
    )
    del headers["X-Lark-Signature"]  # Feishu does not sign it
    assert Webhook(KEY, TOKEN).open(headers, body) == Challenge("c-1")


def test_url_verification_with_the_wrong_token_is_refused() -> None:
    headers, body = fake().signed_request({"type": "url_verification", "challenge": "c", "token": "other"})
    with pytest.raises(EventRejected) as info:
        Webhook(KEY, TOKEN).open(headers, body)
    assert info.value.status == 401


def test_a_signed_encrypted_event_opens() -> None:
    headers, body = fake().signed_request(envelope("ev-9", event={"table_id": "tbl"}))
    opened = Webhook(KEY, TOKEN).open(headers, body)
    assert opened == Event("ev-9", "drive.file.bitable_record_changed_v1", {"table_id": "tbl"})


@pytest.mark.parametrize(
    "tamper",
    ["signature", "timestamp", "body", "token"],
)
def test_forged_or_altered_events_are_refused(tamper: str) -> None:
    f = fake()
    headers, body = f.signed_request(envelope(token="wrong" if tamper == "token" else TOKEN))
    if tamper == "signature":
        headers["X-Lark-Signature"] = "0" * 64
    elif tamper == "timestamp":
        headers["X-Lark-Request-Timestamp"] = str(int(time.time()) + 1)
    elif tamper == "body":
        body = f.signed_request(envelope("ev-other"))[1]
    with pytest.raises(EventRejected) as info:
        Webhook(KEY, TOKEN).open(headers, body)
    assert info.value.status == 401


@pytest.mark.parametrize("body", [b"not json", b'{"encrypt": "bm90IGFlcw=="}', b"[1]"])
def test_unreadable_bodies_are_bad_requests(body: bytes) -> None:
    with pytest.raises(EventRejected) as info:
        Webhook(KEY, TOKEN).open({}, body)
    assert info.value.status == 400


def test_record_changes_parse_actions_and_decode_values() -> None:
    event = {
        "file_token": "bascn",
        "table_id": "tbl",
        "action_list": [
            {
                "record_id": "rec1",
                "action": "record_edited",
                "before_value": [{"field_id": "fldText", "field_value": '[{"type":"text","text":"old"}]'}],
                "after_value": [
                    {"field_id": "fldText", "field_value": '[{"type":"text","text":"new"}]'},
                    {"field_id": "fldStatus", "field_value": "Pending"},
                ],
            },
            {"record_id": "rec2", "action": "record_added", "after_value": []},
        ],
    }
    first, second = record_changes(event)
    assert (first.app_token, first.table_id, first.record_id, first.action) == (
        "bascn",
        "tbl",
        "rec1",
        "record_edited",
    )
    assert first.field_ids == {"fldText", "fldStatus"}
    assert (
        first.after["fldText"] == [{"type": "text", "text": "new"}] and first.after["fldStatus"] == "Pending"
    )
    assert second.action == "record_added" and second.field_ids == frozenset()


NAMES = FieldNames(text=["Minutes"], voice="Voice")
IDS = {
    "fM": "Minutes",
    "fV": "Voice",
    "fA": "Audio",
    "fS": "Status",
    "fD": "Duration",
    "fE": "Error",
    "fT": "Title",
}


def change(action: str, **after: Any) -> RecordChange:
    return RecordChange("bascn", "tbl", "rec", action, frozenset(after), after)


@pytest.mark.parametrize(
    ("c", "wanted"),
    [
        (change("record_added"), True),
        (change("record_edited", fM="new text"), True),
        (change("record_edited", fV="zh-kokoro-alpha"), True),
        (change("record_edited", fS="Pending"), True),  # a person asks again
        (change("record_edited", fA=[{"file_token": "b"}], fS="Done", fD=3.2, fE=""), False),  # our own write
        (change("record_edited", fS="Processing"), False),  # our own claim
        (change("record_edited", fT="renamed"), False),  # a column that is not read
        (change("record_deleted"), False),
    ],
)
def test_which_changes_want_audio(c: RecordChange, wanted: bool) -> None:
    assert wants_audio(c, NAMES, "Pending", IDS.get) is wanted


def test_store_drops_duplicates_and_leases_due_events(tmp_path: Any) -> None:
    from integrator.jobs.database import make_engine

    store = FeishuStore(make_engine(f"sqlite:///{tmp_path}/s.db"))
    assert store.add_event("ev1", {"n": 1}) and store.add_event("ev2", {"n": 2})
    assert not store.add_event("ev1", {"n": 1})
    taken = store.take_due()
    assert [(e, p, a) for e, p, a in taken] == [("ev1", {"n": 1}, 1), ("ev2", {"n": 2}, 1)]
    assert store.take_due() == []  # leased
    store.finish_event("ev1")
    store.retry_event("ev2", 0.0, "busy")
    assert [e for e, _, a in store.take_due()] == ["ev2"]
    store.finish_event("ev2", "gave up")
    row = store.event("ev2")
    assert row is not None and (row.state, row.error, row.attempts) == ("failed", "gave up", 2)
    assert not store.add_event("ev2", {})  # still remembered after it is finished
    assert store.prune(-1) == 2 and store.add_event("ev2", {})
