"""``POST /v1/hooks/{name}``: answers 202 with the job at once; the job runs on the job workers.

Hooks authenticate by their signature (auth.py lets the prefix through without an API key).
Errors have the service's shape, ``{"error": {message, type, param, code}}``: 401 for a missing,
wrong or stale signature, 409 for a replayed one, 400 for a body that is not JSON, 422 naming
the JSON path that holds no text (or the field a job cannot take).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from integrator.app.errors import ApiError

from ..config import callbacks_of, hooks_of
from .hooks import HookRejected, Hooks
from .replay import SqlReplayGuard

if TYPE_CHECKING:
    from integrator.config import Settings

PREFIX = "/v1/hooks/"


def install(app: FastAPI, settings: Settings) -> Hooks | None:
    """Add the route when hooks are configured; a hook without its secret stops start-up here."""
    if not hooks_of(settings):
        return None
    jobs = app.state.jobs  # integrator.app.job_routes.install runs first
    hooks = Hooks(hooks_of(settings), jobs, SqlReplayGuard(jobs.store.engine), callbacks_of(settings))
    problems = hooks.problems()
    if problems:
        raise ValueError("; ".join(problems))
    app.state.hooks = hooks

    async def receive_hook(name: str, request: Request) -> JSONResponse:
        body = await request.body()
        try:
            job, created = await run_in_threadpool(hooks.receive, name, request.headers, body)
        except HookRejected as exc:
            headers = {"WWW-Authenticate": 'Signature realm="voxflow-hooks"'} if exc.status == 401 else None
            return ApiError(exc.status, exc.code, str(exc), param=exc.param, headers=headers).response()
        view: dict[str, Any] = {
            "job_id": job.id,
            "status": job.status.value,
            "url": f"/v1/jobs/{job.id}",
            "created": created,
        }
        return JSONResponse(view, status_code=202 if created else 200, headers={"Location": view["url"]})

    app.add_api_route(
        PREFIX + "{name}",
        receive_hook,
        methods=["POST"],
        tags=["connectors"],
        status_code=202,
        summary="Signed webhook: speak a field of the JSON body as a job",
    )
    return hooks
