"""Probes and metrics: ``/healthz`` (the process answers), ``/readyz`` (voices warmed up), ``/metrics``."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST
from starlette.responses import Response

from .errors import error_responses
from .state import ServiceDep

router = APIRouter(tags=["operations"])


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """200 while the process serves requests; no key needed."""
    return {"status": "ok"}


@router.get(
    "/readyz",
    responses={503: {"description": "Voices are still loading, or one failed to (its error is listed)"}},
)
async def readyz(service: ServiceDep) -> JSONResponse:
    """200 once every `engine.preload` voice is loaded and levelled; no key needed."""
    body: dict[str, Any] = {
        "status": "ready" if service.ready else "warming_up",
        "preload": service.preload,
    }
    if service.warm_up_errors:
        body.update(status="failed", errors=service.warm_up_errors)
    if service.warm_up_s is not None:
        body["warm_up_s"] = round(service.warm_up_s, 2)
    return JSONResponse(body, status_code=200 if service.ready else 503)


@router.get(
    "/metrics",
    response_class=Response,
    responses={
        200: {
            "content": {CONTENT_TYPE_LATEST: {"schema": {"type": "string"}}},
            "description": "Prometheus text format",
        },
        **error_responses(401),
    },
)
async def metrics(service: ServiceDep) -> Response:
    """First-audio latency and RTF histograms per voice, active streams, queue depth, requests."""
    return Response(service.metrics.render(), media_type=CONTENT_TYPE_LATEST)
