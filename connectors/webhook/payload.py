"""What a hook takes from its JSON body: the text, an idempotency key, a callback URL, a style (JMESPath)."""

from __future__ import annotations

import json
from typing import Any

import jmespath


class PayloadError(Exception):
    """The body cannot make a job; ``status`` and ``code`` are the HTTP answer, ``param`` the path."""

    def __init__(self, status: int, code: str, message: str, param: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.param = param


def parse(body: bytes) -> Any:
    try:
        return json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise PayloadError(400, "invalid_json", f"the body is not valid JSON: {exc}") from None


def text_at(payload: Any, path: str) -> str:
    """The text to speak; 422 naming ``path`` when it is missing, not text, or blank."""
    found = jmespath.search(path, payload)
    if found is None:
        raise PayloadError(422, "text_not_found", f"no text at {path!r} in the body", param=path)
    if not isinstance(found, str):
        raise PayloadError(
            422, "text_not_string", f"{path!r} holds {type(found).__name__}, not text", param=path
        )
    if not found.strip():
        raise PayloadError(422, "empty_text", f"the text at {path!r} is empty", param=path)
    return found


def value_at(payload: Any, path: str) -> str | None:
    """A scalar at ``path`` as text (ids may be numbers); None when absent or not a scalar."""
    found = jmespath.search(path, payload)
    if isinstance(found, bool) or not isinstance(found, str | int | float):
        return None
    return str(found)


def expression_at(payload: Any, paths: dict[str, str]) -> dict[str, Any]:
    """The style and duration fields the body holds (``{"style": path, ...}``), absent ones left
    out; 422 naming the path when a value has the wrong type (ranges are the job's to check)."""
    found: dict[str, Any] = {}
    for field, path in paths.items():
        value = jmespath.search(path, payload)
        if value is None:
            continue
        wanted = str if field == "style" else (int, float)
        if isinstance(value, bool) or not isinstance(value, wanted):
            kind = "text" if field == "style" else "a number"
            message = f"{field} at {path!r} holds {type(value).__name__}, not {kind}"
            raise PayloadError(422, "invalid_value", message, param=path)
        found[field] = value
    return found
