"""The fake Feishu's data: tables, cells in the shapes the API reads back, filters, pages, forms."""

from __future__ import annotations

import base64
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

# Bitable field type ids
TEXT, NUMBER, SINGLE_SELECT, MULTI_SELECT, DATE, CHECKBOX, URL, ATTACHMENT = 1, 2, 3, 4, 5, 7, 15, 17
UI_TYPES = {TEXT: "Text", NUMBER: "Number", SINGLE_SELECT: "SingleSelect", MULTI_SELECT: "MultiSelect",
            DATE: "DateTime", CHECKBOX: "Checkbox", URL: "Url", ATTACHMENT: "Attachment"}
CONVERSION_ERRORS = {TEXT: 1254060, NUMBER: 1254061, SINGLE_SELECT: 1254062, MULTI_SELECT: 1254063,
                     DATE: 1254064, CHECKBOX: 1254065, URL: 1254068, ATTACHMENT: 1254069}
MIME = {"mp3": "audio/mpeg", "ogg": "audio/ogg", "opus": "audio/ogg", "wav": "audio/wav", "m4a": "audio/mp4",
        "aac": "audio/aac", "flac": "audio/flac"}


class ApiError(Exception):
    """Answered as ``{"code", "msg"}`` with HTTP ``status``."""

    def __init__(self, code: int, msg: str, status: int = 400) -> None:
        super().__init__(msg)
        self.code, self.msg, self.status = code, msg, status


@dataclass
class FakeField:
    field_id: str
    name: str
    type: int
    options: list[str] = field(default_factory=list)


@dataclass
class FakeTable:
    table_id: str
    fields: list[FakeField]
    records: dict[str, dict[str, Any]] = field(default_factory=dict)  # record_id -> field_id -> value
    views: list[str] = field(default_factory=list)
    revision: int = 0

    def by_name(self, name: str) -> FakeField:
        for f in self.fields:
            if f.name == name:
                return f
        raise ApiError(1254045, "FieldNameNotFound")

    def present(self, cells: dict[str, Any], names: list[str] | None = None) -> dict[str, Any]:
        """Cells by column name, as the API reads them; empty cells are absent."""
        return {f.name: cells[f.field_id] for f in self.fields
                if f.field_id in cells and (names is None or f.name in names)}


@dataclass
class Media:
    name: str
    data: bytes
    parent_type: str
    parent_node: str

    @property
    def mime(self) -> str:
        return MIME.get(self.name.rsplit(".", 1)[-1].lower(), "application/octet-stream")


@dataclass
class Upload:
    name: str
    size: int
    parent_type: str
    parent_node: str
    block_num: int
    parts: dict[int, bytes] = field(default_factory=dict)


def convert(fld: FakeField, value: Any, attachment: Callable[[str], dict[str, Any] | None]) -> Any:
    """A written value in the shape the API reads back; None clears the cell.

    ``attachment(file_token)`` is the stored cell of an uploaded file, or None when unknown.
    """
    if value is None or value == "" or value == []:
        return None
    kind = fld.type
    out: Any = None
    if kind == TEXT:
        if isinstance(value, str):
            out = [{"type": "text", "text": value}]
        elif isinstance(value, list) and all(isinstance(s, dict) for s in value):
            out = value
    elif kind in (NUMBER, DATE):
        out = value if isinstance(value, int | float) and not isinstance(value, bool) else None
    elif kind == SINGLE_SELECT and isinstance(value, str):
        if value not in fld.options:
            fld.options.append(value)  # Feishu adds an option written by name
        out = value
    elif kind == MULTI_SELECT and isinstance(value, list) and all(isinstance(v, str) for v in value):
        out = value
    elif kind == CHECKBOX and isinstance(value, bool):
        return value or None
    elif kind == URL and isinstance(value, dict) and "link" in value:
        out = {"text": value.get("text", value["link"]), "link": value["link"]}
    elif kind == ATTACHMENT and isinstance(value, list):
        cells = [attachment(item.get("file_token", "")) if isinstance(item, dict) else None for item in value]
        out = cells if all(cells) else None
    elif kind not in CONVERSION_ERRORS:
        out = value
    if out is None:
        raise ApiError(CONVERSION_ERRORS.get(kind, 1254060), f"field {fld.name!r}: value cannot be converted")
    return out


def cell_text(value: Any) -> str:
    """Plain text of a stored cell, for filters."""
    if value is None:
        return ""
    if isinstance(value, list):
        return "".join(str(v.get("text", "")) if isinstance(v, dict) else cell_text(v) for v in value)
    if isinstance(value, dict):
        return str(value.get("text", ""))
    return str(value)


def record_filter(table: FakeTable, spec: dict[str, Any] | None) -> Callable[[dict[str, Any]], bool]:
    """The search API's ``filter``: conditions joined by ``conjunction``, with optional ``children``."""
    if not spec:
        return lambda cells: True

    def condition(c: dict[str, Any]) -> Callable[[dict[str, Any]], bool]:
        fid, op = table.by_name(c["field_name"]).field_id, c.get("operator", "is")
        want = (c.get("value") or [""])[0]
        tests: dict[str, Callable[[str, bool], bool]] = {
            "isEmpty": lambda text, present: not present,
            "isNotEmpty": lambda text, present: present,
            "is": lambda text, present: text == want,
            "isNot": lambda text, present: text != want,
            "contains": lambda text, present: want in text,
            "doesNotContain": lambda text, present: want not in text,
        }
        if op not in tests:
            raise ApiError(1254018, f"InvalidFilter: operator {op}")
        return lambda cells: tests[op](cell_text(cells.get(fid)), fid in cells)

    def group(conj: str, preds: list[Callable[[dict[str, Any]], bool]]) -> Callable[[dict[str, Any]], bool]:
        if conj == "or":
            return lambda cells: any(p(cells) for p in preds)
        return lambda cells: all(p(cells) for p in preds)

    preds = [condition(c) for c in spec.get("conditions") or []]
    preds += [group(ch.get("conjunction", "and"), [condition(c) for c in ch.get("conditions") or []])
              for ch in spec.get("children") or []]
    return group(spec.get("conjunction", "and"), preds)


def page(items: list[dict[str, Any]], query: dict[str, str], *, default: int, limit: int) -> dict[str, Any]:
    """One page of ``items`` with Feishu's opaque ``page_token``."""
    size = int(query.get("page_size") or default)
    if not 0 < size <= limit:
        raise ApiError(1254000, f"page_size must be 1..{limit}")
    try:
        start = int(base64.urlsafe_b64decode(query["page_token"]).decode()) if query.get("page_token") else 0
    except ValueError:
        raise ApiError(1254000, "invalid page_token") from None
    more = start + size < len(items)
    token = base64.urlsafe_b64encode(str(start + size).encode()).decode() if more else ""
    return {"has_more": more, "page_token": token, "total": len(items), "items": items[start:start + size]}


def parse_multipart(content_type: str, body: bytes) -> dict[str, bytes]:
    """Form fields of a multipart/form-data body, byte-exact (the email parser mangles binary parts)."""
    m = re.search(r'boundary="?([^";]+)"?', content_type)
    if not content_type.startswith("multipart/form-data") or m is None:
        raise ApiError(1061002, "params error: expected multipart/form-data")
    form = {}
    for part in body.split(b"--" + m.group(1).encode())[1:]:
        if part.startswith(b"--"):
            break
        head, _, data = part[2:].partition(b"\r\n\r\n")
        name = re.search(rb'name="([^"]*)"', head)
        if name:
            form[name.group(1).decode()] = data[:-2] if data.endswith(b"\r\n") else data
    return form
