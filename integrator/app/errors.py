"""Every error the service answers with, in one shape and with one status table.

HTTP bodies use OpenAI's error shape on every route, so one client-side handler fits all:
``{"error": {"message", "type", "param", "code"}}`` (an unknown voice adds ``known_voices``, a
text the policy refused ``rule``).
WebSocket ``error`` messages carry the same ``code`` and ``message``.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from tts_engine.errors import (
    EmptyTextError,
    InvalidOptionError,
    SSMLError,
    SynthesisCancelled,
    TextRefusedError,
    TextTooLongError,
    TTSError,
    UnknownVoiceError,
    UnsupportedLanguageError,
    VoiceUnavailableError,
)

from .admission import Busy

log = logging.getLogger("voxflow.server")
# The code of a failure inside a voice that is no TTSError (a broken model, out of memory).
SYNTHESIS_FAILED = "synthesis_failed"

# The one place engine errors become HTTP statuses (most specific class first wins via the MRO).
TTS_STATUS: dict[type[TTSError], int] = {
    EmptyTextError: 400,
    TextTooLongError: 413,
    TextRefusedError: 422,
    UnknownVoiceError: 400,
    UnsupportedLanguageError: 400,
    SSMLError: 400,
    InvalidOptionError: 400,
    VoiceUnavailableError: 503,
    SynthesisCancelled: 499,
    TTSError: 400,
}
_HTTP_CODES = {404: "not_found", 405: "method_not_allowed", 413: "body_too_large"}
_TYPES = {401: "authentication_error", 413: "invalid_request_error", 503: "server_error", 500: "server_error"}


class ErrorDetail(BaseModel):
    message: str
    type: str
    param: str | None = None
    code: str | None = None
    known_voices: list[str] | None = None
    rule: str | None = None


class ErrorBody(BaseModel):
    error: ErrorDetail


class ApiError(Exception):
    """An error answer: status, machine-readable code, words for a person."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        param: str | None = None,
        headers: dict[str, str] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.param = param
        self.headers = headers or {}
        self.extra = extra or {}

    def body(self) -> dict[str, Any]:
        kind = _TYPES.get(self.status, "invalid_request_error" if self.status < 500 else "server_error")
        detail: dict[str, Any] = {
            "message": self.message,
            "type": kind,
            "param": self.param,
            "code": self.code,
        }
        detail.update(self.extra)
        return {"error": detail}

    def response(self) -> JSONResponse:
        return JSONResponse(self.body(), status_code=self.status, headers=self.headers)


def tts_status(exc: TTSError) -> int:
    for cls in type(exc).__mro__:
        if cls in TTS_STATUS:
            return TTS_STATUS[cls]
    return 400


def from_tts_error(
    exc: TTSError, *, text_param: str = "text", known_voices: list[str] | None = None
) -> ApiError:
    """``text_param`` names the request field that held the text (``input`` on the OpenAI route)."""
    param: str | None = None
    extra: dict[str, Any] = {}
    status = tts_status(exc)
    if isinstance(exc, InvalidOptionError) and exc.field:
        status, param = 422, exc.field  # a request field with a bad value (style, duration_s, …)
    elif isinstance(exc, UnknownVoiceError):
        param = "voice"
        extra["known_voices"] = sorted(known_voices or [])
    elif isinstance(exc, TextRefusedError):
        param, extra["rule"] = text_param, exc.rule
    elif isinstance(exc, (EmptyTextError, TextTooLongError, SSMLError, UnsupportedLanguageError)):
        param = text_param
    elif isinstance(exc, InvalidOptionError):
        param = next((p for p in ("speed", "sample_rate") if p in str(exc)), None)
    return ApiError(status, exc.code, str(exc), param=param, extra=extra)


def from_stream_failure(exc: BaseException, *, text_param: str = "text") -> ApiError:
    """The error a stream reports when synthesis fails after its answer began (SSE ``error`` event,
    WebSocket ``error`` message): the engine's own error, else ``synthesis_failed``."""
    if isinstance(exc, TTSError):
        return from_tts_error(exc, text_param=text_param)
    return ApiError(500, SYNTHESIS_FAILED, f"synthesis failed: {exc}")


def failure_code(exc: BaseException) -> str:
    """The ``code`` of :func:`from_stream_failure`, for metrics."""
    return exc.code if isinstance(exc, TTSError) else SYNTHESIS_FAILED


class StreamAborted(Exception):
    """Raised out of a chunked response whose synthesis failed: the server then closes the
    connection without the terminating chunk, so the client sees an incomplete body, not a short
    one that looks whole. The failure itself is logged and counted where the stream is closed."""


def from_busy(exc: Busy) -> ApiError:
    return ApiError(503, exc.code, str(exc), headers={"Retry-After": str(exc.retry_after_s)})


def describe_validation(errors: list[Any], skip: tuple[str, ...] = ("body",)) -> tuple[str, str | None]:
    """Words for pydantic errors, naming each field; also the first field's name."""
    parts: list[str] = []
    first: str | None = None
    for error in errors:
        loc = [str(p) for p in error.get("loc", ()) if str(p) not in skip]
        field = ".".join(loc) or None
        first = first or field
        kind = error.get("type", "")
        if kind == "extra_forbidden":
            parts.append(f"unknown field {field!r}")
        elif kind == "missing":
            parts.append(f"field {field!r} is required")
        elif field:
            parts.append(f"{field}: {error.get('msg', 'invalid')}")
        else:
            parts.append(str(error.get("msg", "invalid request")).removeprefix("Value error, "))
    return "; ".join(parts) or "invalid request", first


def from_validation(errors: list[Any]) -> ApiError:
    for error in errors:
        if error.get("type") == "json_invalid":
            where = error.get("loc", ("body", "?"))[-1]
            reason = (error.get("ctx") or {}).get("error", "invalid JSON")
            return ApiError(
                400, "invalid_json", f"the request body is not valid JSON ({reason} at position {where})"
            )
    message, param = describe_validation(errors)
    code = "unknown_parameter" if any(e.get("type") == "extra_forbidden" for e in errors) else "invalid_value"
    return ApiError(422, code, message, param=param)


def install(app: FastAPI) -> None:
    """Answer every failure in the one shape."""

    async def api_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, ApiError)
        return exc.response()

    async def tts_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, TTSError)
        known = (
            request.app.state.service.engine.registry.ids() if isinstance(exc, UnknownVoiceError) else None
        )
        return from_tts_error(exc, known_voices=known).response()

    async def busy(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, Busy)
        return from_busy(exc).response()

    async def invalid(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError | ValidationError)
        return from_validation(list(exc.errors())).response()

    async def http_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        code = {404: "not_found", 405: "method_not_allowed", 413: "body_too_large"}.get(
            exc.status_code, "http_error"
        )
        return ApiError(exc.status_code, code, str(exc.detail), headers=dict(exc.headers or {})).response()

    async def crash(request: Request, exc: Exception) -> JSONResponse:
        if not isinstance(exc, StreamAborted):  # logged with its cause when the stream closed
            log.exception("unhandled error on %s %s", request.method, request.url.path)
        return ApiError(500, "internal_error", "internal error; see the server log").response()

    app.add_exception_handler(ApiError, api_error)
    app.add_exception_handler(TTSError, tts_error)
    app.add_exception_handler(Busy, busy)
    app.add_exception_handler(RequestValidationError, invalid)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(Exception, crash)


def error_responses(
    *statuses: int, described: Mapping[int, str] | None = None
) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` entries for the error statuses a route really answers with;
    ``described`` words statuses for this route ({404: "No job with this id"})."""
    words = {
        400: "Bad input: malformed JSON, empty text, unknown voice (lists the known ids), invalid SSML",
        401: "Missing or wrong API key",
        413: "Body or text over the limit",
        422: "Unknown field or invalid value (the message names the field), or a text the text "
        "policy refused (`code` text_refused, `rule` names the rule)",
        503: "The voice is busy (see Retry-After) or cannot load here",
    }
    words |= described or {}
    return {s: {"model": ErrorBody, "description": words[s]} for s in statuses}
