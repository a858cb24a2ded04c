"""Every route an app serves, found by walking its router (FastAPI nests included routers), so the
security tests cover routes added later without being told about them."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from fastapi import FastAPI
from starlette.routing import BaseRoute, Mount, WebSocketRoute


@dataclass(frozen=True)
class Found:
    kind: str  # "http", "websocket" or "mount"
    path: str
    methods: frozenset[str]


def _one(route: BaseRoute, path: str) -> Found:
    if isinstance(route, WebSocketRoute):
        return Found("websocket", path, frozenset())
    if isinstance(route, Mount):
        return Found("mount", path, frozenset({"GET"}))
    return Found("http", path, frozenset(getattr(route, "methods", None) or ()))


def routes_of(app: FastAPI) -> Iterator[Found]:
    for route in app.routes:
        candidates = getattr(route, "effective_candidates", None)
        if candidates is None:
            yield _one(route, getattr(route, "path", ""))
            continue
        for context in candidates():  # FastAPI >= 0.160: an included router's routes, with full paths
            original = context.original_route
            path = context.path or getattr(context.starlette_route, "path", "") or original.path
            yield _one(original, path)


def http_routes(app: FastAPI, method: str) -> list[str]:
    return sorted({r.path for r in routes_of(app) if r.kind == "http" and method in r.methods})


def websocket_routes(app: FastAPI) -> list[str]:
    return sorted({r.path for r in routes_of(app) if r.kind == "websocket"})
