"""Bitable as a source (records waiting for audio) and as a sink (the audio written back).

Each recording is named ``voxflow-<content hash>.<ext>``: the attachment itself says which
version of the text it reads, so a re-run job, a duplicate event or the echo of our own write
can see that nothing changed without any state of ours.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import lark_oapi as lark
from lark_oapi.api.bitable.v1 import (
    AppTableRecord,
    BatchUpdateAppTableRecordRequest,
    BatchUpdateAppTableRecordRequestBody,
    Condition,
    FilterInfo,
    GetAppTableRecordRequest,
    ListAppTableFieldRequest,
    SearchAppTableRecordRequest,
    SearchAppTableRecordRequestBody,
    UpdateAppTableRecordRequest,
)
from lark_oapi.api.drive.v1 import SubscribeFileRequest

from .client import FeishuClient
from .config import FeishuConfig, FieldNames, TableConfig
from .fields import attachments, content_hash, join_text, to_number, to_text
from .uploads import MediaUploads

PAGE_SIZE = 100
BATCH_LIMIT = 500  # records per batch_update
SCHEMA_TTL_S = 300.0
ERROR_CHARS = 500
_NAME = re.compile(r"^voxflow-([0-9a-f]{16})\.\w+$")


class RecordError(Exception):
    """The record itself is wrong (a bad speed): retrying cannot help; the reason goes to the record."""


@dataclass(frozen=True)
class Column:
    field_id: str
    name: str
    type: int


@dataclass(frozen=True)
class Schema:
    columns: tuple[Column, ...]

    def by_name(self, name: str) -> Column | None:
        return next((c for c in self.columns if c.name == name), None)

    def by_id(self, field_id: str) -> Column | None:
        return next((c for c in self.columns if c.field_id == field_id), None)


@dataclass(frozen=True)
class Minutes:
    """What one record asks for, and what it already has."""

    table: TableConfig
    record_id: str
    text: str
    voice: str | None
    speed_text: str  # as typed: a bad value still identifies this version of the record
    fmt: str
    status: str
    recorded_hash: str | None  # hash in the name of the attachment there now, if ours
    style: str | None = None
    intensity_text: str = ""

    @property
    def hash(self) -> str:
        return content_hash(
            self.text, self.voice, self.speed_text, self.fmt, self.style or "", self.intensity_text
        )

    @property
    def speed(self) -> float:
        if not self.speed_text:
            return 1.0
        number = to_number(self.speed_text)
        if number is None:
            raise RecordError(f"speed {self.speed_text!r} is not a number")
        return number

    @property
    def intensity(self) -> float:
        """0–1 as typed, or a percentage: more than 1 (70) or ending in % ("70%") is divided by 100."""
        if not self.intensity_text:
            return 1.0
        text = self.intensity_text.strip()
        number = to_number(text.removesuffix("%"))
        if number is None:
            raise RecordError(f"intensity {self.intensity_text!r} is not a number")
        return number / 100 if text.endswith("%") or number > 1 else number

    @property
    def file_name(self) -> str:
        return f"voxflow-{self.hash}.{'ogg' if self.fmt == 'opus' else self.fmt}"

    @property
    def up_to_date(self) -> bool:
        return self.recorded_hash == self.hash


def read_minutes(cfg: FeishuConfig, table: TableConfig, record_id: str, fields: dict[str, Any]) -> Minutes:
    names = cfg.fields_for(table)
    voice = to_text(fields.get(names.voice)).strip() if names.voice else ""
    style = to_text(fields.get(names.style)).strip() if names.style else ""
    files = attachments(fields.get(names.attachment))
    match = _NAME.match(str(files[0].get("name", ""))) if len(files) == 1 else None
    return Minutes(
        table=table,
        record_id=record_id,
        text=join_text(fields, names.text),
        voice=voice or cfg.voice,
        speed_text=to_text(fields.get(names.speed)).strip() if names.speed else "",
        fmt=cfg.format,
        status=to_text(fields.get(names.status)).strip(),
        recorded_hash=match.group(1) if match else None,
        style=style or cfg.style,
        intensity_text=to_text(fields.get(names.intensity)).strip() if names.intensity else "",
    )


class Bitable:
    """Records, columns and uploads of the configured tables."""

    def __init__(self, client: FeishuClient, cfg: FeishuConfig) -> None:
        self.client, self.cfg = client, cfg
        self.uploads = MediaUploads(client, cfg.upload_all_limit)
        self._schemas: dict[str, tuple[float, Schema]] = {}
        self._schema_lock = threading.Lock()

    # -- columns -----------------------------------------------------------
    def schema(self, table: TableConfig, *, refresh: bool = False) -> Schema:
        """The table's columns (field_id ↔ name), cached for a few minutes."""
        with self._schema_lock:
            cached = self._schemas.get(table.key)
        if cached and not refresh and time.monotonic() - cached[0] < SCHEMA_TTL_S:
            return cached[1]
        columns: list[Column] = []
        token: str | None = None
        while True:

            def send(sdk: lark.Client, token: str | None = token) -> Any:
                b = (
                    ListAppTableFieldRequest.builder()
                    .app_token(table.app_token)
                    .table_id(table.table_id)
                    .page_size(100)
                )
                return sdk.bitable.v1.app_table_field.list((b.page_token(token) if token else b).build())

            data = self.client.call("fields.list", send)
            columns += [
                Column(i["field_id"], i["field_name"], int(i["type"])) for i in data.get("items") or []
            ]
            token = data.get("page_token")
            if not data.get("has_more") or not token:
                break
        schema = Schema(tuple(columns))
        with self._schema_lock:
            self._schemas[table.key] = (time.monotonic(), schema)
        return schema

    def column_name(self, table: TableConfig, field_id: str) -> str | None:
        """A field_id from an event as a column name; an unknown id refreshes the cache once."""
        col = self.schema(table).by_id(field_id) or self.schema(table, refresh=True).by_id(field_id)
        return col.name if col else None

    # -- reading -----------------------------------------------------------
    def search(
        self, table: TableConfig, names: list[str], conditions: list[tuple[str, str, list[str]]]
    ) -> Iterator[tuple[str, dict[str, Any]]]:
        """``(record_id, fields)`` of every matching record, page after page."""
        token: str | None = None
        while True:

            def send(sdk: lark.Client, token: str | None = token) -> Any:
                body = SearchAppTableRecordRequestBody.builder().field_names(names).automatic_fields(False)
                if table.view_id:
                    body = body.view_id(table.view_id)
                if conditions:
                    conds = [
                        Condition.builder().field_name(f).operator(op).value(v).build()
                        for f, op, v in conditions
                    ]
                    body = body.filter(FilterInfo.builder().conjunction("and").conditions(conds).build())
                b = (
                    SearchAppTableRecordRequest.builder()
                    .app_token(table.app_token)
                    .table_id(table.table_id)
                    .page_size(PAGE_SIZE)
                    .request_body(body.build())
                )
                return sdk.bitable.v1.app_table_record.search((b.page_token(token) if token else b).build())

            data = self.client.call("records.search", send)
            for item in data.get("items") or []:
                yield item["record_id"], item.get("fields") or {}
            token = data.get("page_token")
            if not data.get("has_more") or not token:
                return

    def pending(self, table: TableConfig) -> Iterator[Minutes]:
        """Records with text, no attachment, and a status of pending, processing or empty.

        ``processing`` is included so a record whose job was lost is picked up again; the job
        queue's idempotency key keeps a running job from being queued twice.
        """
        names = self.cfg.fields_for(table)
        wanted = {"", self.cfg.status.pending, self.cfg.status.processing}
        for record_id, fields in self.search(
            table, self._read_names(names), [(names.attachment, "isEmpty", [])]
        ):
            minutes = read_minutes(self.cfg, table, record_id, fields)
            if minutes.text and minutes.status in wanted:
                yield minutes

    def get(self, table: TableConfig, record_id: str) -> dict[str, Any]:
        def send(sdk: lark.Client) -> Any:
            req = GetAppTableRecordRequest.builder().app_token(table.app_token).table_id(table.table_id)
            return sdk.bitable.v1.app_table_record.get(req.record_id(record_id).build())

        # A reply without the record must not read as a record without text: the sink would skip it.
        record = self.client.call("records.get", send, expect=("record",))["record"]
        return record.get("fields") or {}

    @staticmethod
    def _read_names(names: FieldNames) -> list[str]:
        extra = [n for n in names.inputs() if n not in names.text]
        return [*names.text, names.attachment, names.status, *extra]

    # -- writing -----------------------------------------------------------
    def update(self, table: TableConfig, record_id: str, fields: dict[str, Any]) -> None:
        def send(sdk: lark.Client) -> Any:
            req = (
                UpdateAppTableRecordRequest.builder()
                .app_token(table.app_token)
                .table_id(table.table_id)
                .record_id(record_id)
                .request_body(AppTableRecord.builder().fields(fields).build())
            )
            return sdk.bitable.v1.app_table_record.update(req.build())

        self.client.call("records.update", send, expect=("record",))

    def claim(self, table: TableConfig, record_ids: list[str]) -> None:
        """Mark records as being processed, up to 500 per call."""
        status = self.cfg.fields_for(table).status
        for start in range(0, len(record_ids), BATCH_LIMIT):
            chunk = record_ids[start : start + BATCH_LIMIT]

            def send(sdk: lark.Client, chunk: list[str] = chunk) -> Any:
                records = [
                    AppTableRecord.builder().record_id(r).fields({status: self.cfg.status.processing}).build()
                    for r in chunk
                ]
                req = (
                    BatchUpdateAppTableRecordRequest.builder()
                    .app_token(table.app_token)
                    .table_id(table.table_id)
                    .request_body(BatchUpdateAppTableRecordRequestBody.builder().records(records).build())
                )
                return sdk.bitable.v1.app_table_record.batch_update(req.build())

            self.client.call("records.batch_update", send, expect=("records",))

    def deliver(self, minutes: Minutes, data: bytes, duration_s: float) -> str:
        """Upload the recording and write attachment, status and duration in one update; the file token."""
        table, names = minutes.table, self.cfg.fields_for(minutes.table)
        token = self.uploads.upload(table.app_token, minutes.file_name, data)
        fields: dict[str, Any] = {
            names.attachment: [{"file_token": token}],
            names.status: self.cfg.status.done,
        }
        if names.duration:
            fields[names.duration] = round(duration_s, 2)
        if names.error:
            fields[names.error] = ""  # clears an error left by an earlier failure
        self.update(table, minutes.record_id, fields)
        return token

    def fail(self, table: TableConfig, record_id: str, reason: str) -> None:
        names = self.cfg.fields_for(table)
        fields: dict[str, Any] = {names.status: self.cfg.status.failed}
        if names.error:
            fields[names.error] = reason[:ERROR_CHARS]
        self.update(table, record_id, fields)

    def subscribe(self, app_token: str) -> None:
        """Ask Feishu to send this base's record-changed events to the app's webhook."""

        def send(sdk: lark.Client) -> Any:
            req = SubscribeFileRequest.builder().file_token(app_token).file_type("bitable").build()
            return sdk.drive.v1.file.subscribe(req)

        self.client.call("files.subscribe", send)
