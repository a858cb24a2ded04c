"""An in-memory twin of the Feishu Open API on loopback, for tests and for trying the connector offline.

It speaks the shapes the real API uses (README section "Meeting minutes from Feishu"): tenant
tokens, Bitable records and fields, Drive media uploads (whole and in blocks), IM files and messages,
file subscriptions, and ``drive.file.bitable_record_changed_v1`` events, encrypted and signed, for a
webhook. A fault script (``fake.faults``) makes the nth call to an endpoint fail the way Feishu fails.

Built on ``http.server`` on purpose: the SDK reads ``Content-Type`` and ``X-Tt-Logid`` from a
case-sensitive dict, and ASGI servers lower-case response headers.
"""


from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable
from http.server import ThreadingHTTPServer
from typing import Any

from .endpoints import FakeEndpoints
from .tables import (
    ATTACHMENT,
    NUMBER,
    SINGLE_SELECT,
    TEXT,
    ApiError,
)
from .wire import RESET, Call, Handler, logid


class FakeFeishu(FakeEndpoints):
    """The fake Open API. ``with FakeFeishu() as fake:`` serves it on a free loopback port."""

    def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        self._host = host
        server = self._server = ThreadingHTTPServer((host, port), Handler)
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
            return fault.status, {"Content-Type": "text/html", "X-Tt-Logid": logid()}, page_
        if fault is not None and fault.kind == "malformed":
            self.log.append((endpoint, fault.status, -1))
            headers = {"Content-Type": "application/json; charset=utf-8", "X-Tt-Logid": logid()}
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
        headers = {"Content-Type": "application/json; charset=utf-8", "X-Tt-Logid": logid(), **(extra or {})}
        return status, headers, json.dumps(payload, ensure_ascii=False).encode()

    def _authorize(self, header: str) -> None:
        if not header.startswith("Bearer ") or not header[7:]:
            raise ApiError(99991661, "Missing access token for authorization.")
        with self._lock:
            if header[7:] not in self._tokens:
                raise ApiError(99991663, "Invalid access token for authorization.")


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


Endpoint = Callable[[FakeFeishu, Call], dict[str, Any]]


def _route(method: str, path: str) -> tuple[str, Endpoint, dict[str, str]] | None:
    for verb, pattern, endpoint, handler in _ROUTES:
        m = re.fullmatch(pattern, path)
        if m and verb == method:
            return endpoint, handler, m.groupdict()
    return None



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

