"""An in-memory twin of the Feishu Open API on loopback, for tests and for trying the connector offline.

It speaks the shapes the real API uses (README section "Meeting minutes from Feishu"): tenant
tokens, Bitable records and fields, Drive media uploads (whole and in blocks), IM files and messages,
file subscriptions, and ``drive.file.bitable_record_changed_v1`` events, encrypted and signed, for a
webhook. A fault script (``fake.faults``) makes the nth call to an endpoint fail the way Feishu fails.

Built on ``http.server`` on purpose: the SDK reads ``Content-Type`` and ``X-Tt-Logid`` from a
case-sensitive dict, and ASGI servers lower-case response headers.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
import math
import re
import threading
import time
import uuid
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests
from Crypto.Cipher import AES
from requests.structures import CaseInsensitiveDict

from .fake_faults import (  # noqa: F401 - the fault helpers are part of this module's interface
    Fault,
    FaultScript,
    error,
    gateway_error,
    late,
    lost_reply,
    malformed,
    permission_denied,
    rate_limited,
    reset,
    sets,
    slow,
    token_expired,
    too_many_requests,
    write_conflict,
)
from .fake_tables import (  # noqa: F401
    ATTACHMENT,
    CHECKBOX,
    DATE,
    MULTI_SELECT,
    NUMBER,
    SINGLE_SELECT,
    TEXT,
    UI_TYPES,
    URL,
    ApiError,
    FakeField,
    FakeTable,
    Media,
    Upload,
    convert,
    page,
    parse_multipart,
    record_filter,
)

EVENT_TYPE = "drive.file.bitable_record_changed_v1"
RESET = 0  # the status handle() returns for a connection to drop without an answer
MB = 1024 * 1024
OPUS_MAGIC = (b"OggS", b"OpusHead")


@dataclass
class Call:
    """One request, as an endpoint sees it."""

    params: dict[str, str]  # from the path
    query: dict[str, str]
    headers: CaseInsensitiveDict[str]
    body: bytes

    def json(self) -> dict[str, Any]:
        try:
            data = json.loads(self.body or b"{}")
        except ValueError:
            raise ApiError(1254001, "WrongRequestJson") from None
        return data if isinstance(data, dict) else {}

    def form(self) -> dict[str, bytes]:
        return parse_multipart(self.headers.get("Content-Type", ""), self.body)


class FakeFeishu:
    """The fake Open API. ``with FakeFeishu() as fake:`` serves it on a free loopback port."""

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

    # -- lifecycle ---------------------------------------------------------
    @property
    def url(self) -> str:
        assert self._server is not None, "not started"
        return f"http://{self._host}:{self._server.server_port}"

    def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        self._host = host
        server = self._server = ThreadingHTTPServer((host, port), _Handler)
        server.daemon_threads = True
        server.fake = self  # type: ignore[attr-defined]
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="fake-feishu",
                         daemon=True).start()
        return self.url

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeFeishu:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

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
                before.append({"field_id": field_id, "field_value": _event_json(old)})
                after.append({"field_id": field_id, "field_value": _event_json(value)})
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
    def handle(self, method: str, path: str, call: Call) -> tuple[int, dict[str, str], bytes]:
        route = _route(method, path)
        if route is None:
            return 404, {"Content-Type": "text/plain"}, b"404 page not found"
        endpoint, handler, call.params = route
        fault = self.faults.next_for(endpoint, call.body)
        if fault is not None and fault.kind == "late":
            time.sleep(fault.delay_s)
            return self._answer(endpoint, handler, call)
        if fault is not None and fault.kind in ("slow", "lost"):
            # The work is done and only the answer goes wrong: a client that retries must find it done.
            answer = self._answer(endpoint, handler, call)
            if fault.kind == "slow":
                time.sleep(fault.delay_s)
                return answer
        if fault is not None and fault.kind in ("gateway", "lost"):
            self.log.append((endpoint, fault.status, -1))
            page_ = f"<html><body><h1>{fault.status} Bad Gateway</h1></body></html>".encode()
            return fault.status, {"Content-Type": "text/html", "X-Tt-Logid": _logid()}, page_
        if fault is not None and fault.kind == "malformed":
            self.log.append((endpoint, fault.status, -1))
            headers = {"Content-Type": "application/json; charset=utf-8", "X-Tt-Logid": _logid()}
            return fault.status, headers, fault.body
        if fault is not None and fault.kind == "reset":
            self.log.append((endpoint, 0, -1))
            return RESET, {}, b""
        if fault is not None and fault.kind == "rate_limit":
            extra = {"x-ogw-ratelimit-limit": "5", "x-ogw-ratelimit-reset": str(fault.reset_s)}
            return self._json(endpoint, fault.status, {"code": fault.code, "msg": fault.msg}, extra)
        if fault is not None:
            if fault.kind == "token_expired":
                with self._lock:
                    self._tokens.clear()
            return self._json(endpoint, fault.status, {"code": fault.code, "msg": fault.msg})
        return self._answer(endpoint, handler, call)

    def _answer(self, endpoint: str, handler: Callable[[FakeFeishu, Call], dict[str, Any]],
                call: Call) -> tuple[int, dict[str, str], bytes]:
        try:
            if endpoint != "token":
                self._authorize(call.headers.get("Authorization", ""))
            data = handler(self, call)
            reply = data if endpoint == "token" else {"code": 0, "msg": "success", "data": data}
            return self._json(endpoint, 200, reply)
        except ApiError as exc:
            return self._json(endpoint, exc.status, {"code": exc.code, "msg": exc.msg})

    def _json(self, endpoint: str, status: int, payload: dict[str, Any],
              extra: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
        self.log.append((endpoint, status, int(payload.get("code", 0))))
        headers = {"Content-Type": "application/json; charset=utf-8", "X-Tt-Logid": _logid(), **(extra or {})}
        return status, headers, json.dumps(payload, ensure_ascii=False).encode()

    def _authorize(self, header: str) -> None:
        if not header.startswith("Bearer ") or not header[7:]:
            raise ApiError(99991661, "Missing access token for authorization.")
        with self._lock:
            if header[7:] not in self._tokens:
                raise ApiError(99991663, "Invalid access token for authorization.")

    # -- endpoints: auth and Bitable ---------------------------------------------
    def ep_token(self, c: Call) -> dict[str, Any]:
        req = c.json()  # sent without a Content-Type by the SDK
        if req.get("app_id") != self.app_id or req.get("app_secret") != self.app_secret:
            raise ApiError(10014, "app secret invalid")
        token = "t-" + uuid.uuid4().hex
        with self._lock:
            self._tokens.add(token)
        return {"code": 0, "msg": "ok", "tenant_access_token": token, "expire": 7200}

    def ep_fields(self, c: Call) -> dict[str, Any]:
        with self._lock:
            table = self.table(c.params["app"], c.params["table"])
            items = [{"field_id": f.field_id, "field_name": f.name, "type": f.type, "is_primary": i == 0,
                      "ui_type": UI_TYPES.get(f.type, "Text"),
                      "property": {"options": [{"name": o} for o in f.options]} if f.options else None}
                     for i, f in enumerate(table.fields)]
        return page(items, c.query, default=20, limit=100)

    def ep_search(self, c: Call) -> dict[str, Any]:
        req = c.json()
        with self._lock:
            table = self.table(c.params["app"], c.params["table"])
            if req.get("view_id") and req["view_id"] not in table.views:
                raise ApiError(1254030, "ViewIdNotFound")
            names = req.get("field_names")
            for name in names or []:
                table.by_name(name)
            match = record_filter(table, req.get("filter"))
            items = [{"record_id": rid, "fields": table.present(cells, names)}
                     for rid, cells in table.records.items() if match(cells)]
        return page(items, c.query, default=20, limit=500)

    def ep_get(self, c: Call) -> dict[str, Any]:
        with self._lock:
            table = self.table(c.params["app"], c.params["table"])
            rid = c.params["record"]
            if rid not in table.records:
                raise ApiError(1254043, "RecordIdNotFound")
            return {"record": {"record_id": rid, "fields": table.present(table.records[rid])}}

    def ep_update(self, c: Call) -> dict[str, Any]:
        fields = c.json().get("fields") or {}
        app, rid = c.params["app"], c.params["record"]
        with self._lock:
            table = self.table(app, c.params["table"])
            self._write(app, table, rid, fields, operator=self._bot)
            return {"record": {"record_id": rid, "fields": table.present(table.records[rid])}}

    def ep_batch_update(self, c: Call) -> dict[str, Any]:
        records, app = c.json().get("records") or [], c.params["app"]
        if len(records) > 500:
            raise ApiError(1254104, "RecordCountExceeded")
        with self._lock:
            table = self.table(app, c.params["table"])
            for r in records:  # all or nothing: check every record before writing any
                if r.get("record_id") not in table.records:
                    raise ApiError(1254043, "RecordIdNotFound")
                self._converted(app, table, r.get("fields") or {})
            for r in records:
                self._write(app, table, r["record_id"], r.get("fields") or {}, operator=self._bot)
            out = [{"record_id": r["record_id"], "fields": table.present(table.records[r["record_id"]])}
                   for r in records]
            return {"records": out}

    # -- endpoints: Drive uploads ------------------------------------------------
    @contextmanager
    def _uploading(self) -> Iterator[None]:
        """An upload in flight: Feishu refuses a second concurrent one from the same app (1061045)."""
        with self._lock:
            if self._active_uploads:
                raise ApiError(1061045, "can retry: concurrent upload")
            self._active_uploads += 1
            self.max_concurrent_uploads = max(self.max_concurrent_uploads, self._active_uploads)
        try:
            time.sleep(self.upload_delay_s)
            yield
        finally:
            with self._lock:
                self._active_uploads -= 1

    def ep_upload_all(self, c: Call) -> dict[str, Any]:
        form = c.form()
        data = form.get("file", b"")
        _check_form(form, data, ("file_name", "parent_type", "parent_node", "size"))
        if form["parent_type"] not in (b"bitable_file", b"bitable_image", b"explorer", b"doc_file"):
            raise ApiError(1061002, "params error: parent_type")
        if len(data) > self.upload_all_limit:
            raise ApiError(1061043, "file size beyond limit")
        with self._uploading(), self._lock:
            token = self._new_id("box")
            self.media[token] = Media(form["file_name"].decode(), data, form["parent_type"].decode(),
                                      form["parent_node"].decode())
        return {"file_token": token}

    def ep_upload_prepare(self, c: Call) -> dict[str, Any]:
        req = c.json()
        size = int(req.get("size") or 0)
        if not req.get("file_name") or not req.get("parent_node") or size <= 0:
            raise ApiError(1061002, "params error")
        upload_id, blocks = self._new_id("upl"), math.ceil(size / self.block_size)
        with self._lock:
            self._uploads[upload_id] = Upload(req["file_name"], size, str(req.get("parent_type", "")),
                                              req["parent_node"], blocks)
        return {"upload_id": upload_id, "block_size": self.block_size, "block_num": blocks}

    def ep_upload_part(self, c: Call) -> dict[str, Any]:
        form = c.form()
        data = form.get("file", b"")
        _check_form(form, data, ("upload_id", "seq", "size"))
        upload = self._uploads.get(form["upload_id"].decode())
        if upload is None:
            raise ApiError(1061002, "params error: unknown upload_id")
        seq = int(form["seq"])
        expected = min(self.block_size, upload.size - seq * self.block_size)
        if not 0 <= seq < upload.block_num or len(data) != expected:
            raise ApiError(1061002, "params error: block size")
        with self._uploading():
            upload.parts[seq] = data
        return {}

    def ep_upload_finish(self, c: Call) -> dict[str, Any]:
        req = c.json()
        with self._lock:
            upload = self._uploads.get(str(req.get("upload_id", "")))
            blocks = upload.block_num if upload else -1
            if upload is None or req.get("block_num") != blocks or len(upload.parts) != blocks:
                raise ApiError(1061002, "params error: blocks missing")
            token = self._new_id("box")
            data = b"".join(upload.parts[i] for i in range(upload.block_num))
            self.media[token] = Media(upload.name, data, upload.parent_type, upload.parent_node)
            del self._uploads[req["upload_id"]]
        return {"file_token": token}

    def ep_subscribe(self, c: Call) -> dict[str, Any]:
        if c.query.get("file_type") != "bitable":
            raise ApiError(1061002, "params error: file_type")
        with self._lock:
            if c.params["file"] not in self.apps:
                raise ApiError(1061007, "file has been deleted")
            self.subscriptions.add(c.params["file"])
        return {}

    # -- endpoints: IM ---------------------------------------------------------------
    def ep_im_file(self, c: Call) -> dict[str, Any]:
        form = c.form()
        data, kind = form.get("file", b""), form.get("file_type", b"").decode()
        if kind not in ("opus", "mp4", "pdf", "doc", "xls", "ppt", "stream") or not data:
            raise ApiError(234001, "Invalid request param.")
        if kind == "opus" and not (data.startswith(OPUS_MAGIC[0]) and OPUS_MAGIC[1] in data[:100]):
            raise ApiError(234001, "Invalid request param: not an Ogg Opus file.")
        if len(data) > 30 * MB:
            raise ApiError(234006, "The file size exceed the max value.")
        key = "file_v3_" + uuid.uuid4().hex
        with self._lock:
            self.im_files[key] = {"data": data, "type": kind, "name": form.get("file_name", b"").decode(),
                                  "duration": int(form.get("duration") or 0)}
        return {"file_key": key}

    def ep_message(self, c: Call) -> dict[str, Any]:
        req = c.json()
        if c.query.get("receive_id_type") != "chat_id":
            raise ApiError(230001, "Your request contains an invalid request parameter.")
        with self._lock:
            for sent in self.messages:  # a uuid seen before: the same message, not a second one
                if req.get("uuid") and sent["uuid"] == req["uuid"]:
                    return dict(sent["reply"])
            if self.chats and req.get("receive_id") not in self.chats:
                raise ApiError(230002, "Bot/User can NOT be out of the chat.")
            content = json.loads(req.get("content") or "{}")
            if req.get("msg_type") == "audio" and content.get("file_key") not in self.im_files:
                raise ApiError(230001, "invalid file_key")
            reply = {"message_id": self._new_id("om_"), "chat_id": req.get("receive_id"),
                     "msg_type": req.get("msg_type"), "body": {"content": req.get("content")}}
            self.messages.append({"uuid": req.get("uuid"), "request": req, "reply": reply})
            return reply


_B = r"/open-apis/bitable/v1/apps/(?P<app>[^/]+)/tables/(?P<table>[^/]+)"
_D = r"/open-apis/drive/v1"
_ROUTES: list[tuple[str, str, str, Callable[[FakeFeishu, Call], dict[str, Any]]]] = [
    ("POST", r"/open-apis/auth/v3/tenant_access_token/internal", "token", FakeFeishu.ep_token),
    ("GET", _B + r"/fields", "fields.list", FakeFeishu.ep_fields),
    ("POST", _B + r"/records/search", "records.search", FakeFeishu.ep_search),
    ("POST", _B + r"/records/batch_update", "records.batch_update", FakeFeishu.ep_batch_update),
    ("GET", _B + r"/records/(?P<record>[^/]+)", "records.get", FakeFeishu.ep_get),
    ("PUT", _B + r"/records/(?P<record>[^/]+)", "records.update", FakeFeishu.ep_update),
    ("POST", _D + r"/medias/upload_all", "medias.upload_all", FakeFeishu.ep_upload_all),
    ("POST", _D + r"/medias/upload_prepare", "medias.upload_prepare", FakeFeishu.ep_upload_prepare),
    ("POST", _D + r"/medias/upload_part", "medias.upload_part", FakeFeishu.ep_upload_part),
    ("POST", _D + r"/medias/upload_finish", "medias.upload_finish", FakeFeishu.ep_upload_finish),
    ("POST", _D + r"/files/(?P<file>[^/]+)/subscribe", "files.subscribe", FakeFeishu.ep_subscribe),
    ("POST", r"/open-apis/im/v1/files", "im.files", FakeFeishu.ep_im_file),
    ("POST", r"/open-apis/im/v1/messages", "im.messages", FakeFeishu.ep_message),
]


Handler = Callable[[FakeFeishu, Call], dict[str, Any]]


def _route(method: str, path: str) -> tuple[str, Handler, dict[str, str]] | None:
    for verb, pattern, endpoint, handler in _ROUTES:
        m = re.fullmatch(pattern, path)
        if m and verb == method:
            return endpoint, handler, m.groupdict()
    return None


def _check_form(form: dict[str, bytes], data: bytes, required: tuple[str, ...]) -> None:
    for key in required:
        if not form.get(key):
            raise ApiError(1061002, f"params error: {key}")
    if int(form["size"]) != len(data):
        raise ApiError(1061002, "params error: size does not match the file")
    if form.get("checksum") and int(form["checksum"]) != zlib.adler32(data):
        raise ApiError(1062008, "checksum param Invalid")


def _event_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False) if value is not None else ""


def _logid() -> str:
    return uuid.uuid4().hex[:20]


def encrypt_event(encrypt_key: str, plain: bytes) -> str:
    """AES-256-CBC with key sha256(encrypt_key), a random IV in front, PKCS7; base64."""
    key = hashlib.sha256(encrypt_key.encode()).digest()
    iv = uuid.uuid4().bytes
    pad = 16 - len(plain) % 16
    sealed = AES.new(key, AES.MODE_CBC, iv).encrypt(plain + bytes([pad]) * pad)
    return base64.b64encode(iv + sealed).decode()


class _Handler(BaseHTTPRequestHandler):
    server_version = "FakeFeishu/1.0"

    def _serve(self) -> None:
        fake: FakeFeishu = self.server.fake  # type: ignore[attr-defined]
        parts = urlsplit(self.path)
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        call = Call({}, {k: v[0] for k, v in parse_qs(parts.query).items()},
                    CaseInsensitiveDict(dict(self.headers.items())), body)
        status, headers, payload = fake.handle(self.command, parts.path, call)
        if status == RESET:
            self.close_connection = True  # no status line at all: the client sees the connection drop
            return
        try:
            self.send_response(status)
            for k, v in headers.items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up waiting (a "slow" fault), as it may with a real server

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

    def log_message(self, format: str, *args: Any) -> None:  # quiet: tests read fake.log instead
        pass


DEMO_FIELDS = [("Title", TEXT), ("Minutes", TEXT), ("Audio", ATTACHMENT), ("Status", SINGLE_SELECT),
               ("Duration", NUMBER), ("Error", TEXT)]


DEMO_APP = "bascnVoxflowDemo"


def seed_demo(fake: FakeFeishu, app_token: str = DEMO_APP) -> tuple[str, str]:
    """A meeting-minutes table with a plain record and a rich-text one; returns (app_token, table_id)."""
    table_id = fake.add_table(app_token, DEMO_FIELDS)
    fake.add_record(app_token, table_id, {"Title": "周会", "Minutes": "下午三点开会，讨论新产品的发布计划。"})
    fake.add_record(app_token, table_id, {"Title": "Launch sync", "Minutes": [
        {"type": "text", "text": "Launch moves to next Tuesday. "},
        {"type": "mention", "mentionType": "User", "text": "@Alice", "token": "ou_alice", "name": "Alice"},
        {"type": "text", "text": " owns the checklist; see "},
        {"type": "url", "text": "the plan", "link": "https://example.com/plan"},
        {"type": "text", "text": "."},
    ]})
    return app_token, table_id
