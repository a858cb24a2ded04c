"""``POST /v1/connectors/feishu/events``: Feishu's webhook. It only verifies, stores and answers.

Feishu wants an answer within 3 s and retries otherwise, so the handler makes no Feishu call:
the event goes into the connector's store (which also drops duplicates) and a background
thread does the rest.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from .events import RECORD_CHANGED, Challenge, EventRejected

if TYPE_CHECKING:
    from .runtime import FeishuRuntime

EVENTS_PATH = "/v1/connectors/feishu/events"


def install(app: FastAPI, rt: FeishuRuntime) -> None:
    """Add the webhook route, with the app's own job service (which knows the engine's voices)."""
    jobs = getattr(app.state, "jobs", None)
    if jobs is not None:
        rt.attach(jobs=jobs)
    app.add_api_route(
        EVENTS_PATH,
        _handler(rt),
        methods=["POST"],
        tags=["connectors"],
        summary="Feishu event webhook (bitable record changes)",
    )


def _handler(rt: FeishuRuntime) -> Callable[[Request], Awaitable[JSONResponse]]:
    async def feishu_events(request: Request) -> JSONResponse:
        body = await request.body()
        try:
            # Starlette's headers look names up case-insensitively, as signature checks need.
            opened = rt.webhook.open(request.headers, body)
        except EventRejected as exc:
            return JSONResponse({"msg": str(exc)}, status_code=exc.status)
        if isinstance(opened, Challenge):
            return JSONResponse({"challenge": opened.challenge})
        if opened.event_type != RECORD_CHANGED:
            # Answered 200 so Feishu does not retry an event this connector never handles.
            return JSONResponse({"msg": "ignored"})
        new = await run_in_threadpool(rt.accept, opened.event_id, opened.event)
        return JSONResponse({"msg": "success" if new else "duplicate"})

    return feishu_events
