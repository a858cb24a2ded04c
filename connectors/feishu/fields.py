"""Bitable cell values in every shape Feishu returns them, as plain text and numbers.

A text cell reads as a list of segments (``text``, ``mention``, ``url``, ``equation``…), sometimes
as a bare string; lookups and formulas wrap their results in ``{"type": …, "value": […]}``; event
payloads carry each value as a JSON string.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

# Bitable field type ids (the ``type`` of the fields API)
TEXT, NUMBER, SINGLE_SELECT, MULTI_SELECT, DATE = 1, 2, 3, 4, 5
CHECKBOX, USER, PHONE, URL, ATTACHMENT, LINK, LOOKUP, FORMULA = 7, 11, 13, 15, 17, 18, 19, 20
TYPE_NAMES = {
    TEXT: "text",
    NUMBER: "number",
    SINGLE_SELECT: "single select",
    MULTI_SELECT: "multi select",
    DATE: "date",
    CHECKBOX: "checkbox",
    USER: "person",
    PHONE: "phone",
    URL: "link (URL)",
    ATTACHMENT: "attachment",
    LINK: "two-way link",
    LOOKUP: "lookup",
    FORMULA: "formula",
}
# What each configured column may be.
TEXT_TYPES = {TEXT, PHONE, URL, LOOKUP, FORMULA, SINGLE_SELECT, MULTI_SELECT}
STATUS_TYPES = {TEXT, SINGLE_SELECT}
DURATION_TYPES = {NUMBER, TEXT}
ERROR_TYPES = {TEXT}
VOICE_TYPES = {TEXT, SINGLE_SELECT}
SPEED_TYPES = {NUMBER, TEXT, SINGLE_SELECT}
STYLE_TYPES = {TEXT, SINGLE_SELECT}
INTENSITY_TYPES = {NUMBER, TEXT, SINGLE_SELECT}

_SPACES = re.compile(r"[ \t]+\n")


def to_text(value: Any) -> str:
    """The plain text a person sees in a cell."""
    if value is None or isinstance(value, bool):
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return f"{value:g}" if isinstance(value, float) else str(value)
    if isinstance(value, dict):
        if "value" in value and "type" in value and not isinstance(value["type"], str):
            return to_text(value["value"])  # lookup / formula result
        for key in ("text", "name", "full_address", "link"):
            if isinstance(value.get(key), str):
                return value[key]
        return ""
    if isinstance(value, list):
        if all(isinstance(v, dict) and "text" in v for v in value):
            return "".join(_segment(v) for v in value)  # rich text: segments run together
        parts = [to_text(v) for v in value]
        return ", ".join(p for p in parts if p)  # multi-select, people, links
    return str(value)


def _segment(seg: dict[str, Any]) -> str:
    text = seg.get("text")
    if isinstance(text, str) and text:
        return text
    if seg.get("type") == "mention" and seg.get("name"):
        return f"@{seg['name']}"
    return str(seg.get("link") or "")


def join_text(fields: dict[str, Any], names: list[str]) -> str:
    """The text of several columns in order, as paragraphs; empty columns are skipped."""
    parts = [_SPACES.sub("\n", to_text(fields.get(name))).strip() for name in names]
    return "\n\n".join(p for p in parts if p)


def to_number(value: Any) -> float | None:
    text = to_text(value).strip().rstrip("x×")
    try:
        return float(text) if text else None
    except ValueError:
        return None


def attachments(value: Any) -> list[dict[str, Any]]:
    """Attachment cells; an empty cell is absent, so None reads as no attachment."""
    return (
        [a for a in value if isinstance(a, dict) and a.get("file_token")] if isinstance(value, list) else []
    )


def event_value(raw: str | None) -> Any:
    """A ``field_value`` from a record-changed event: JSON text, or plain text when it is not JSON."""
    if raw is None or raw == "":
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return raw


def content_hash(
    text: str, voice: str | None, speed: str, fmt: str, style: str = "", intensity: str = ""
) -> str:
    """Identifies what a recording says and how; ties a job and an attachment to one version of a record.
    Without a style the key is what it was before styles, so existing recordings stay current."""
    parts = [text, voice or "", speed, fmt, *([style, intensity] if style or intensity else [])]
    key = json.dumps(parts, ensure_ascii=False)
    return hashlib.sha256(key.encode()).hexdigest()[:16]
