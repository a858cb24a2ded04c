"""The fake's endpoints: tenant tokens, Bitable fields and records, Drive uploads, IM files and messages."""

from __future__ import annotations

import json
import math
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from .records import MB, FakeState
from .tables import UI_TYPES, ApiError, Media, Upload, page, record_filter
from .wire import Call, check_form

OPUS_MAGIC = (b"OggS", b"OpusHead")


class FakeEndpoints(FakeState):
    """One method per Open API endpoint: ``ep_<name>(call)`` returns the reply's ``data``."""

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
        check_form(form, data, ("file_name", "parent_type", "parent_node", "size"))
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
        check_form(form, data, ("upload_id", "seq", "size"))
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

