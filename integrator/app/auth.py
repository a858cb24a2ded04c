"""API keys: ``Authorization: Bearer KEY`` or ``?api_key=KEY`` (browsers cannot set headers on WebSockets).

Keys come from ``server.api_keys`` and ``$VOXFLOW_API_KEYS`` (comma-separated). With none
configured the service is open, which suits its loopback default. Keys are compared in constant
time and never logged.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Receive, Scope, Send

from integrator.stream_protocol import Error

from .errors import ApiError

ENV_KEYS = "VOXFLOW_API_KEYS"
# Reachable without a key: probes, and the web page itself (its API calls need the key).
# Connectors add their webhooks, which check their own signatures (Connector.public_paths).
PUBLIC_PATHS = frozenset({"/healthz", "/readyz", "/", "/favicon.ico"})
PUBLIC_PREFIXES = ("/static/",)
# Signed links (a connector's Connector.link_check): (path, query) -> None when the query carries
# no link signature, else whether it is a valid, unexpired link to that path; a valid one needs no key.
LinkCheck = Callable[[str, str], bool | None]


def configured_keys(config_keys: Iterable[str], environ: Mapping[str, str] = os.environ) -> list[str]:
    keys = [k.strip() for k in config_keys if k.strip()]
    keys += [k.strip() for k in environ.get(ENV_KEYS, "").split(",") if k.strip()]
    return keys


def presented_key(scope: Scope) -> str | None:
    for name, value in scope.get("headers", ()):
        if name == b"authorization":
            scheme, _, token = value.decode("latin-1").partition(" ")
            if scheme.lower() == "bearer" and token.strip():
                return token.strip()
    for name, value in parse_qsl(scope.get("query_string", b"").decode("latin-1")):
        if name == "api_key" and value:
            return value
    return None


def key_matches(given: str, keys: Iterable[str]) -> bool:
    # Digests of equal length: compare_digest's time then says nothing about a key's length either.
    given_d = hashlib.sha256(given.encode()).digest()
    # Compare against every key so the time taken says nothing about which (if any) matched.
    return any([hmac.compare_digest(given_d, hashlib.sha256(key.encode()).digest()) for key in keys])


class APIKeyMiddleware:
    def __init__(
        self, app: ASGIApp, keys: list[str], links: LinkCheck | None = None, public: Sequence[str] = ()
    ) -> None:
        self.app = app
        self.keys = keys
        self.links = links
        self.public = PUBLIC_PATHS | {p for p in public if not p.endswith("/")}
        self.public_prefixes = PUBLIC_PREFIXES + tuple(p for p in public if p.endswith("/"))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket") or not self.keys or self._public(scope["path"]):
            await self.app(scope, receive, send)
            return
        given = presented_key(scope)
        if given is not None and key_matches(given, self.keys):
            await self.app(scope, receive, send)
            return
        message = "a valid API key is required: send Authorization: Bearer KEY or ?api_key=KEY"
        if given is not None:
            message = "the API key is not valid"
        query = scope.get("query_string", b"").decode("latin-1")
        link = self.links(scope["path"], query) if self.links else None
        if link and scope["type"] == "http" and scope.get("method") in ("GET", "HEAD"):
            await self.app(scope, receive, send)
            return
        if link is False and given is None:
            message = "the signed link is not valid or has expired"
        if scope["type"] == "http":
            error = ApiError(401, "invalid_api_key", message, headers={"WWW-Authenticate": "Bearer"})
            await error.response()(scope, receive, send)
            return
        # Accept first so a browser's WebSocket sees the reason; a refused handshake shows it nothing.
        if (await receive())["type"] != "websocket.connect":
            return
        await send({"type": "websocket.accept"})
        error_message = Error(code="invalid_api_key", message=message).wire()
        await send({"type": "websocket.send", "text": json.dumps(error_message)})
        await send({"type": "websocket.close", "code": 1008, "reason": "invalid_api_key"})

    def _public(self, path: str) -> bool:
        return path in self.public or path.startswith(self.public_prefixes)
