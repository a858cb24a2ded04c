"""Builds the FastAPI app: routes, middleware, error handling, warm-up in the lifespan."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.openapi.utils import get_openapi
from fastapi_offline import FastAPIOffline

from integrator.config import Settings
from integrator.plugins import load_installed_settings
from integrator.services import Services, compose
from tts_engine.engine import Engine

from . import errors, health, job_routes, openai_compat, styles, tts, voices, web, websocket
from .auth import PUBLIC_PATHS, APIKeyMiddleware, configured_keys
from .limits import BodyLimitMiddleware
from .metrics import RequestMetricsMiddleware
from .security import SecurityHeadersMiddleware, redact_logs
from .state import SpeechService

DESCRIPTION = (
    "Streaming text to speech in Mandarin and English. `POST /v1/tts` and the OpenAI-compatible "
    "`POST /v1/audio/speech` answer with audio; the WebSocket `/v1/tts/stream` carries many requests "
    'and text arriving in pieces (see the README, "Serving"). '
    'Errors: `{"error": {message, type, param, code}}`.'
)


def create_app(
    settings: Settings | None = None, engine: Engine | None = None, services: Services | None = None
) -> FastAPI:
    """The service on ``settings`` (default: load them), ``engine`` (default: build it from them)
    and ``services`` (default: composed from the settings and the installed connectors)."""
    if services is None:
        services = compose(settings if settings is not None else load_installed_settings())
    settings = services.settings
    if engine is None:
        from integrator.runtime import build_engine

        engine = build_engine(settings, services.policy)
    voices.check_config(engine, settings.server)
    service = SpeechService(engine, settings)
    keys = configured_keys(settings.server.api_keys)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # In the background: the port answers /healthz at once and /readyz says when voices are warm.
        warming = asyncio.create_task(service.warm_up())
        try:
            yield
        finally:
            warming.cancel()
            jobs.close()

    # /docs is Swagger UI from fastapi-offline's bundled assets: it works with no network.
    app = FastAPIOffline(
        title="Voxflow",
        version="0.1.0",
        description=DESCRIPTION,
        lifespan=lifespan,
        redoc_url=None,
        static_url=web.DOCS_ASSETS,
    )
    app.state.service = service
    errors.install(app)
    app.include_router(health.router)
    app.include_router(tts.router)
    app.include_router(styles.router)
    app.include_router(openai_compat.router)
    app.include_router(websocket.router)
    web.install(app)
    # Durable jobs (integrator/jobs): the /v1/jobs routes. Their workers: jobs.start_embedded_workers.
    jobs = job_routes.install(
        app,
        service=services.job_service(voices=engine.registry),
        metrics_registry=service.metrics.registry,
    )
    app.state.services = services
    # Connectors' routes (webhooks, live feeds, Feishu events...), from integrator.plugins.
    services.install_routes(app)
    public = services.public_paths()

    # Added innermost first: metrics see every answer, CORS headers reach 401s and 413s too.
    app.add_middleware(APIKeyMiddleware, keys=keys, links=services.link_check(), public=public)
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.server.max_body_bytes)
    if settings.server.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.server.cors_origins,
            allow_methods=["GET", "POST", "DELETE", "OPTIONS"],
            allow_headers=["Authorization", "Content-Type"],
            expose_headers=["Retry-After", "X-Voxflow-Voice", "X-Voxflow-Sample-Rate", "X-Voxflow-Speed"],
            max_age=600,
        )
    app.add_middleware(RequestMetricsMiddleware, metrics=service.metrics)
    # Outermost: every answer, 401s and 413s included, carries nosniff and the page's CSP.
    app.add_middleware(SecurityHeadersMiddleware)
    redact_logs()

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = _schema(app, secured=bool(keys), public=public)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app


def _schema(app: FastAPI, *, secured: bool, public: list[str]) -> dict[str, Any]:
    schema = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
    _own_validation_errors(schema)
    if secured:
        schema.setdefault("components", {})["securitySchemes"] = {
            "bearer": {"type": "http", "scheme": "bearer"},
            "api_key": {"type": "apiKey", "in": "query", "name": "api_key"},
        }
        schema["security"] = [{"bearer": []}, {"api_key": []}]
        for path, operations in schema.get("paths", {}).items():
            prefixes = tuple(p for p in public if p.endswith("/"))
            if path in PUBLIC_PATHS or path in public or path.startswith(prefixes):
                for operation in operations.values():
                    operation["security"] = []
    return schema


def _own_validation_errors(schema: dict[str, Any]) -> None:
    """FastAPI documents 422 as its ``HTTPValidationError``; our handler answers with ``ErrorBody``
    (declared by our own routes) on every route, including those other packages add."""
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    if "HTTPValidationError" not in components:
        return
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            response = operation.get("responses", {}).get("422")
            if response is not None:
                response["description"] = "Unknown field or invalid value (the message names the field)"
                response["content"] = {
                    "application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}
                }
    for name in ("HTTPValidationError", "ValidationError"):
        components.pop(name, None)
