"""The fake's state: apps, tables, records, media, messages and the events record changes make."""

from __future__ import annotations

import hashlib
import itertools
import json
import threading
import time
import uuid
from http.server import ThreadingHTTPServer
from typing import Any

import requests

from .faults import FaultScript
from .tables import ApiError, FakeField, FakeTable, Media, Upload, convert
from .wire import encrypt_event, event_json

EVENT_TYPE = "drive.file.bitable_record_changed_v1"
MB = 1024 * 1024


class FakeState:
    """What the fake Open API holds, and the record operations tests and endpoints share."""

    def __init__(self, app_id: str = "cli_fake", app_secret: str = "fake-secret", *, encrypt_key: str = "",
                 verification_token: str = "", upload_all_limit: int = 20 * MB, block_size: int = 4 * MB,
                 upload_delay_s: float = 0.0) -> None:
        self.app_id, self.app_secret = app_id, app_secret
        self.encrypt_key, self.verification_token = encrypt_key, verification_token
        self.upload_all_limit, self.block_size = upload_all_limit, block_size
        self.upload_delay_s = upload_delay_s  # how long an upload holds the app's upload slot
        self.faults = FaultScript()
        self.apps: dict[str, dict[str, FakeTable]] = {}
        self.media: dict[str, Media] = {}
        self.im_files: dict[str, dict[str, Any]] = {}
        self.messages: list[dict[str, Any]] = []
        self.subscriptions: set[str] = set()
        self.chats: set[str] = set()  # when not empty, the only chats the bot is in
        self.outbox: list[dict[str, Any]] = []  # events not yet delivered
        self.log: list[tuple[str, int, int]] = []  # (endpoint, HTTP status, code)
        self.max_concurrent_uploads = 0
        self._uploads: dict[str, Upload] = {}
        self._active_uploads = 0
        self._tokens: set[str] = set()
        self._ids = itertools.count(1)
        self._lock = threading.RLock()
        self._server: ThreadingHTTPServer | None = None
        self._host = "127.0.0.1"

    @property
    def url(self) -> str:
        assert self._server is not None, "not started"
        return f"http://{self._host}:{self._server.server_port}"

    @property
    def uploads_in_flight(self) -> int:
        """Uploads being received now (a test can stop the client in the middle of one)."""
        with self._lock:
            return self._active_uploads

    @property
    def _bot(self) -> str:
        return f"ou_bot_{self.app_id}"  # the operator of the app's own writes, in events

    def _new_id(self, prefix: str) -> str:
        return f"{prefix}{next(self._ids):08d}{uuid.uuid4().hex[:6]}"

    # -- what a person does in the Feishu UI -------------------------------
    def add_table(self, app_token: str, fields: list[tuple[str, int]], table_id: str | None = None) -> str:
        """Create a table with ``(name, type)`` columns; the first is the primary one."""
        with self._lock:
            table_id = table_id or self._new_id("tbl")
            cols = [FakeField(self._new_id("fld"), name, kind) for name, kind in fields]
            self.apps.setdefault(app_token, {})[table_id] = FakeTable(table_id, cols)
            return table_id

    def table(self, app_token: str, table_id: str) -> FakeTable:
        try:
            return self.apps[app_token][table_id]
        except KeyError:
            raise ApiError(1254041 if app_token in self.apps else 1254040, "not found") from None

    def add_record(self, app_token: str, table_id: str, fields: dict[str, Any],
                   *, user: str = "ou_user") -> str:
        with self._lock:
            table = self.table(app_token, table_id)
            record_id = self._new_id("rec")
            table.records[record_id] = {}
            self._write(app_token, table, record_id, fields, operator=user, action="record_added")
            return record_id

    def edit_record(self, app_token: str, table_id: str, record_id: str, fields: dict[str, Any],
                    *, user: str = "ou_user") -> None:
        with self._lock:
            self._write(app_token, self.table(app_token, table_id), record_id, fields, operator=user)

    def record(self, app_token: str, table_id: str, record_id: str) -> dict[str, Any]:
        """The record's cells by column name, as the API reads them."""
        with self._lock:
            table = self.table(app_token, table_id)
            return table.present(table.records[record_id])

    def attachment_bytes(self, app_token: str, table_id: str, record_id: str, column: str) -> list[bytes]:
        cells = self.record(app_token, table_id, record_id).get(column) or []
        return [self.media[c["file_token"]].data for c in cells]

    # -- records -----------------------------------------------------------
    def _attachment(self, app_token: str, token: str) -> dict[str, Any] | None:
        media = self.media.get(token)
        if media is None or media.parent_node != app_token:
            return None
        url = f"{self.url}/open-apis/drive/v1/medias/{token}"
        return {"file_token": token, "name": media.name, "size": len(media.data), "type": media.mime,
                "url": f"{url}/download", "tmp_url": f"{url}/tmp_download_url"}

    def _converted(self, app_token: str, table: FakeTable, fields: dict[str, Any]) -> dict[str, Any]:
        """Every written value converted first, so a bad one changes nothing (as Feishu does)."""
        return {table.by_name(name).field_id: convert(table.by_name(name), value,
                                                      lambda t: self._attachment(app_token, t))
                for name, value in fields.items()}

    def _write(self, app_token: str, table: FakeTable, record_id: str, fields: dict[str, Any], *,
               operator: str, action: str = "record_edited") -> None:
        if record_id not in table.records:
            raise ApiError(1254043, "RecordIdNotFound")
        cells = table.records[record_id]
        before, after = [], []
        for field_id, value in self._converted(app_token, table, fields).items():
            old = cells.pop(field_id, None)
            if value is not None:
                cells[field_id] = value
            if old != value:
                before.append({"field_id": field_id, "field_value": event_json(old)})
                after.append({"field_id": field_id, "field_value": event_json(value)})
        if action == "record_added" or after:
            table.revision += 1
            self._emit(app_token, table, {"record_id": record_id, "action": action,
                                          "before_value": before if action != "record_added" else [],
                                          "after_value": after}, operator)

    # -- events ------------------------------------------------------------
    def _emit(self, app_token: str, table: FakeTable, action: dict[str, Any], operator: str) -> None:
        if app_token not in self.subscriptions:
            return
        now = time.time()
        self.outbox.append({
            "schema": "2.0",
            "header": {"event_id": uuid.uuid4().hex, "token": self.verification_token,
                       "create_time": str(int(now * 1000)), "event_type": EVENT_TYPE,
                       "tenant_key": "tenant_fake", "app_id": self.app_id},
            "event": {"file_type": "bitable", "file_token": app_token, "table_id": table.table_id,
                      "revision": table.revision, "action_list": [action], "subscriber_id_list": [],
                      "operator_id": {"open_id": operator, "union_id": f"on_{operator}", "user_id": operator},
                      "update_time": int(now)},
        })

    def signed_request(self, payload: dict[str, Any], *, encrypt: bool | None = None,
                       timestamp: str | None = None, nonce: str = "nonce") -> tuple[dict[str, str], bytes]:
        """Headers and body of a webhook POST as Feishu sends it (encrypted when there is an encrypt key)."""
        encrypt = bool(self.encrypt_key) if encrypt is None else encrypt
        plain = json.dumps(payload, ensure_ascii=False).encode()
        body = json.dumps({"encrypt": encrypt_event(self.encrypt_key, plain)}).encode() if encrypt else plain
        ts = timestamp or str(int(time.time()))
        headers = {"Content-Type": "application/json; charset=utf-8", "X-Lark-Request-Timestamp": ts,
                   "X-Lark-Request-Nonce": nonce}
        if self.encrypt_key:
            signed = (ts + nonce + self.encrypt_key).encode() + body
            headers["X-Lark-Signature"] = hashlib.sha256(signed).hexdigest()
        return headers, body

    def take_events(self) -> list[dict[str, Any]]:
        with self._lock:
            events, self.outbox = self.outbox, []
            return events

    def deliver_events(self, webhook_url: str, events: list[dict[str, Any]] | None = None) -> list[int]:
        """POST pending events (or ``events``) to a webhook; returns the HTTP statuses.

        Like Feishu, an event the webhook did not take (unreachable, or not 200) is kept to send again.
        """
        pending = self.take_events() if events is None else list(events)
        statuses = []
        while pending:
            headers, body = self.signed_request(pending[0])
            try:
                status = requests.post(webhook_url, data=body, headers=headers, timeout=10).status_code
            except requests.RequestException:
                status = 0
            statuses.append(status)
            if status != 200:
                break
            pending.pop(0)
        if events is None and pending:
            with self._lock:
                self.outbox[:0] = pending
        return statuses

    # -- HTTP dispatch -----------------------------------------------------
