"""REST for jobs: submit, read, list, fetch the audio, cancel, follow progress as Server-Sent Events.

Errors use the service's shape, ``{"error": {message, type, param, code}}``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Annotated, Any

import anyio
from fastapi import APIRouter, Depends, FastAPI, Header, Query, Request, Response
from fastapi.params import Depends as DependsParam
from fastapi.responses import FileResponse, JSONResponse
from fastapi.sse import EventSourceResponse, ServerSentEvent
from prometheus_client import CollectorRegistry

from integrator.config import Settings
from integrator.jobs.job import Job, JobSpec, JobStatus
from integrator.jobs.kinds import describe
from integrator.jobs.metrics import register_into
from integrator.jobs.service import InvalidJob, JobError, JobNotFound, JobService, JobStateConflict
from tts_engine.engine import Engine

from .errors import error_responses

PREFIX = "/v1/jobs"
EVENT_POLL_SECONDS = 0.25

router = APIRouter(prefix=PREFIX, tags=["jobs"])

# What each route answers besides success (401 only when API keys are configured).
_WORDS = {
    404: "No job with this id",
    409: "The job is not in a state that allows this (audio before success, cancelling a finished job)",
    422: "Invalid job, unknown field or invalid value (`param` names the field)",
}


def get_jobs(request: Request) -> JobService:
    service = getattr(request.app.state, "jobs", None)
    if not isinstance(service, JobService):
        raise RuntimeError("jobs are not installed on this app (integrator.app.job_routes.install)")
    return service


Jobs = Annotated[JobService, Depends(get_jobs)]


def existing_job(job_id: str, jobs: Jobs) -> Job:
    """Resolved before a response starts, so an unknown id is a 404 even on the event stream."""
    return jobs.get(job_id)


ExistingJob = Annotated[Job, Depends(existing_job)]



def _json_errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """Error answers of a route whose success is not JSON: FastAPI would file the error model
    under the route's media type (text/event-stream), but errors are JSON."""
    body = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}
    return {
        status: {"description": entry["description"], "content": body}
        for status, entry in error_responses(*statuses, described=_WORDS).items()
    }


@router.post(
    "", status_code=202, summary="Queue a job", responses=error_responses(401, 422, described=_WORDS)
)
def create_job(
    spec: JobSpec,
    jobs: Jobs,
    response: Response,
    idempotency_key: Annotated[
        str | None, Header(alias="Idempotency-Key", min_length=1, max_length=200)
    ] = None,
) -> dict[str, Any]:
    """202 and ``Location`` for a new job; 200 with the existing job when the idempotency key
    (body field or ``Idempotency-Key`` header) was used before."""
    if idempotency_key is not None:
        if spec.idempotency_key not in (None, idempotency_key):
            raise InvalidJob("idempotency_key", "Idempotency-Key header and body idempotency_key differ")
        # Validated again, not model_copy'd: a stored spec that breaks the model breaks every read of it.
        spec = JobSpec.model_validate({**spec.model_dump(), "idempotency_key": idempotency_key})
    job, created = jobs.submit(spec)
    response.status_code = 202 if created else 200
    response.headers["Location"] = f"{PREFIX}/{job.id}"
    return job.as_dict()


@router.get("", summary="List jobs, newest first", responses=error_responses(401, 422, described=_WORDS))
def list_jobs(
    jobs: Jobs,
    status: JobStatus | None = None,
    source: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=64)] = None,
) -> dict[str, Any]:
    found, next_cursor = jobs.page(status=status, source=source, limit=limit, cursor=cursor)
    return {"jobs": [j.as_dict() for j in found], "next_cursor": next_cursor}


@router.get(
    "/{job_id}",
    summary="A job's status, progress, errors, artifact and deliveries",
    responses=error_responses(401, 404, described=_WORDS),
)
def get_job(job: ExistingJob, jobs: Jobs) -> dict[str, Any]:
    return describe(job, jobs.kinds)  # a batch adds its own progress (chapters) under its kind's name


@router.get(
    "/{job_id}/audio",
    summary="The finished audio (409 until the job has succeeded)",
    response_class=FileResponse,
    responses={
        200: {"content": {"audio/*": {}}, "description": "The audio file"},
        **error_responses(401, 404, 409, described=_WORDS),
    },
)
def job_audio(job: ExistingJob, jobs: Jobs) -> FileResponse:
    path = jobs.artifact_path(job)
    assert job.artifact is not None
    return FileResponse(path, media_type=job.artifact.media_type, filename=job.artifact.name)


@router.delete(
    "/{job_id}",
    status_code=202,
    summary="Cancel a job",
    responses=error_responses(401, 404, 409, described=_WORDS),
)
def cancel_job(job_id: str, jobs: Jobs) -> dict[str, Any]:
    """A queued job never starts; a running one stops at its next piece boundary (then reads cancelled)."""
    return jobs.cancel(job_id).as_dict()


@router.get(
    "/{job_id}/events",
    response_class=EventSourceResponse,
    summary="Status and progress as SSE",
    responses=_json_errors(401, 404),
)
async def job_events(job: ExistingJob, jobs: Jobs, request: Request) -> AsyncIterator[ServerSentEvent]:
    """``status`` events when the status changes, ``progress`` events as it moves; ends when the job does."""
    last: tuple[str, float] | None = None
    while True:
        view = _event_view(job)
        if last is None or last[0] != job.status.value:
            yield ServerSentEvent(event="status", data=view, id=f"{job.id}:{job.updated_at.timestamp()}")
        elif last[1] != view["progress"]:
            yield ServerSentEvent(event="progress", data=view)
        last = (job.status.value, view["progress"])
        if job.status.terminal or await request.is_disconnected():
            return
        await anyio.sleep(EVENT_POLL_SECONDS)
        job = await anyio.to_thread.run_sync(jobs.get, job.id)


def _event_view(job: Job) -> dict[str, Any]:
    view = job.as_dict()
    keep = ("id", "status", "progress", "attempts", "error", "artifact", "cancel_requested", "not_before")
    return {k: view[k] for k in keep}


def _error(status: int, exc: JobError, param: str | None = None) -> JSONResponse:
    body = {"message": str(exc), "type": "invalid_request_error", "param": param, "code": exc.code}
    return JSONResponse({"error": body}, status_code=status)


def install(
    app: FastAPI,
    settings: Settings | None = None,
    engine: Engine | None = None,
    *,
    service: JobService | None = None,
    dependencies: Sequence[DependsParam] = (),
    metrics_registry: CollectorRegistry | None = None,
) -> JobService:
    """Add the /v1/jobs routes and their error answers to ``app``; returns the JobService they use.

    Give ``service``, or ``settings`` (and ``engine``, whose voice ids are checked at submit).
    ``metrics_registry`` (the app's /metrics registry) also gets the job metrics: cache hits and
    misses, outcomes, queue wait. The job workers are separate: see
    :func:`integrator.jobs.start_embedded_workers`.
    """
    if metrics_registry is not None:
        register_into(metrics_registry)
    if service is None:
        if settings is None:
            raise ValueError("install() needs settings or a service")
        service = JobService.from_settings(settings, voices=engine.registry if engine else None)
    app.state.jobs = service

    async def not_found(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, JobNotFound)
        return _error(404, exc, "job_id")

    async def conflict(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, JobStateConflict)
        return _error(409, exc)

    async def invalid(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, InvalidJob)
        return _error(422, exc, exc.field)

    app.add_exception_handler(JobNotFound, not_found)
    app.add_exception_handler(JobStateConflict, conflict)
    app.add_exception_handler(InvalidJob, invalid)
    app.include_router(router, dependencies=list(dependencies))
    return service
