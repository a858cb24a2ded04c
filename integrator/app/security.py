"""Response headers that keep browsers safe, and a log filter that keeps secrets out of log files.

The web page gets a Content-Security-Policy that allows exactly what it uses (its own script and
stylesheet, fetch and WebSocket to its own origin) and no framing; every answer says
``nosniff`` and sends no referrer, so an audio file or an error body is never run as a script and
page URLs never reach other sites. Other answers get no CSP: an audio link opened in a browser
tab must still play, and ``/docs`` starts Swagger UI (served from the package) with an inline script.
"""

from __future__ import annotations

import logging
import re

from starlette.types import ASGIApp, Message, Receive, Scope, Send

PAGE_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
COMMON_HEADERS = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
}
PAGE_PATHS = frozenset({"/", "/favicon.ico"})
PAGE_PREFIXES = ("/static/",)


def is_page(path: str) -> bool:
    return path in PAGE_PATHS or path.startswith(PAGE_PREFIXES)


class SecurityHeadersMiddleware:
    """Adds the headers above to every HTTP answer (a route's own value of a header wins)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = dict(COMMON_HEADERS)
        if is_page(scope["path"]):
            extra["content-security-policy"] = PAGE_CSP

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers += [(k.encode(), v.encode()) for k, v in extra.items() if k.encode() not in present]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, with_headers)


# Query parameters that grant access: an API key (browsers put it there for WebSockets) and the
# signature of a signed audio link.
_SECRET_PARAMS = re.compile(r"(?i)\b(api_key|sig)=[^&\s\"']*")


def redact(text: str) -> str:
    return _SECRET_PARAMS.sub(lambda m: f"{m.group(1)}=[redacted]", text)


class RedactSecrets(logging.Filter):
    """Rewrites a record whose message carries a secret query parameter.

    uvicorn logs every WebSocket handshake with its full query string (``"WebSocket
    /v1/tts/stream?api_key=…" [accepted]``) whatever ``access_log`` says.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = redact(message)
        if clean != message:
            record.msg, record.args = clean, None
        return True


_FILTER = RedactSecrets()
REDACTED_LOGGERS = ("uvicorn.error", "uvicorn.access", "uvicorn", "voxflow.access", "voxflow.server")


def redact_logs(names: tuple[str, ...] = REDACTED_LOGGERS) -> None:
    """Install the filter on the loggers that see request lines (idempotent)."""
    for name in names:
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
