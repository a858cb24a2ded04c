"""Feishu webhook requests: url_verification, signature and token checks, decryption, and which
record changes call for new audio.

Feishu redelivers an event it thinks failed, and our own writes fire the same event as a
person's edits, so three filters keep work from repeating: event ids seen before are dropped
(``store``), a change touching only the columns the connector writes (attachment, status,
duration, error) is no reason to synthesize (here), and a record whose attachment already
carries the hash of its text is left alone (``connector``).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from Crypto.Cipher import AES

from .config import FieldNames
from .fields import event_value, to_text

RECORD_CHANGED = "drive.file.bitable_record_changed_v1"


class EventRejected(Exception):
    """The request is not a genuine Feishu event: ``status`` is the HTTP answer."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status


@dataclass(frozen=True)
class Challenge:
    challenge: str


@dataclass(frozen=True)
class Event:
    event_id: str
    event_type: str
    event: dict[str, Any]


@dataclass(frozen=True)
class RecordChange:
    app_token: str
    table_id: str
    record_id: str
    action: str  # record_added, record_edited, record_deleted
    field_ids: frozenset[str]
    after: dict[str, Any]  # field_id -> new value (decoded), for the fields that changed


class Webhook:
    """Opens webhook requests as Feishu signs and encrypts them (schema 2.0 events)."""

    def __init__(self, encrypt_key: str, verification_token: str) -> None:
        self.encrypt_key, self.verification_token = encrypt_key, verification_token

    def open(self, headers: Mapping[str, str], body: bytes) -> Challenge | Event:
        """``headers`` must look names up case-insensitively (Starlette's do)."""
        payload = self._decode(body)
        if payload.get("type") == "url_verification":
            # Not signed: the verification token is what proves it comes from Feishu.
            self._check_token(payload.get("token"))
            return Challenge(str(payload.get("challenge", "")))
        self._check_signature(headers, body)
        header = payload.get("header")
        if payload.get("schema") != "2.0" or not isinstance(header, dict):
            raise EventRejected(400, "only schema 2.0 events are handled")
        self._check_token(header.get("token"))
        event_id = header.get("event_id")
        if not isinstance(event_id, str) or not event_id:
            raise EventRejected(400, "event without event_id")
        event = payload.get("event")
        return Event(event_id, str(header.get("event_type", "")), event if isinstance(event, dict) else {})

    def _decode(self, body: bytes) -> dict[str, Any]:
        try:
            payload = json.loads(body)
            if isinstance(payload, dict) and isinstance(payload.get("encrypt"), str):
                if not self.encrypt_key:
                    raise EventRejected(400, "encrypted event but no encrypt_key is configured")
                payload = json.loads(decrypt(self.encrypt_key, payload["encrypt"]))
        except EventRejected:
            raise
        except ValueError as exc:  # bad JSON, base64, padding, key or UTF-8
            raise EventRejected(400, f"cannot read the event: {exc}") from None
        if not isinstance(payload, dict):
            raise EventRejected(400, "the event is not a JSON object")
        return payload

    def _check_token(self, token: Any) -> None:
        if self.verification_token and not (
            isinstance(token, str) and hmac.compare_digest(token.encode(), self.verification_token.encode())
        ):
            raise EventRejected(401, "verification token does not match")

    def _check_signature(self, headers: Mapping[str, str], body: bytes) -> None:
        if not self.encrypt_key:
            return  # Feishu signs only when an encrypt key is set
        timestamp = headers.get("X-Lark-Request-Timestamp") or ""
        nonce = headers.get("X-Lark-Request-Nonce") or ""
        signature = headers.get("X-Lark-Signature") or ""
        expected = hashlib.sha256((timestamp + nonce + self.encrypt_key).encode() + body).hexdigest()
        if not hmac.compare_digest(signature.encode(), expected.encode()):
            raise EventRejected(401, "signature does not match")


def decrypt(encrypt_key: str, data: str) -> str:
    """Feishu's ``encrypt`` field: base64 of IV + AES-256-CBC(PKCS7), key sha256(encrypt_key).

    The SDK's own decryptor would do, but importing lark_oapi costs seconds: the webhook should not.
    """
    raw = base64.b64decode(data, validate=True)
    if len(raw) < 32 or len(raw) % 16:
        raise ValueError("encrypted event has a bad length")
    key = hashlib.sha256(encrypt_key.encode()).digest()
    plain = AES.new(key, AES.MODE_CBC, raw[:16]).decrypt(raw[16:])
    pad = plain[-1]
    if not 1 <= pad <= 16 or plain[-pad:] != bytes([pad]) * pad:
        raise ValueError("encrypted event has bad padding (wrong encrypt_key?)")
    return plain[:-pad].decode()


def record_changes(event: dict[str, Any]) -> list[RecordChange]:
    """The record actions of a ``bitable_record_changed_v1`` event."""
    app_token, table_id = str(event.get("file_token", "")), str(event.get("table_id", ""))
    out = []
    for action in event.get("action_list") or []:
        if not isinstance(action, dict) or not action.get("record_id"):
            continue
        ids = {
            str(v.get("field_id"))
            for key in ("before_value", "after_value")
            for v in action.get(key) or []
            if isinstance(v, dict) and v.get("field_id")
        }
        after = {
            str(v["field_id"]): event_value(v.get("field_value"))
            for v in action.get("after_value") or []
            if isinstance(v, dict) and v.get("field_id")
        }
        out.append(
            RecordChange(
                app_token,
                table_id,
                str(action["record_id"]),
                str(action.get("action", "")),
                frozenset(ids),
                after,
            )
        )
    return out


def wants_audio(
    change: RecordChange, names: FieldNames, pending: str, column_name: Callable[[str], str | None]
) -> bool:
    """Whether a change can call for a new recording.

    Added records may carry text. Edits count when they touch a text, voice or speed column, or
    set the status to pending (a person asking for the audio again); our own writes do neither.
    """
    if change.action == "record_added":
        return True
    if change.action != "record_edited":
        return False
    inputs = set(names.inputs())
    for field_id in change.field_ids:
        name = column_name(field_id)
        if name in inputs or (
            name == names.status and to_text(change.after.get(field_id)).strip() == pending
        ):
            return True
    return False
