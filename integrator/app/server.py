"""Runs the app under uvicorn with the settings' address, limits and heartbeats."""

from __future__ import annotations

import logging
import socket

import uvicorn
from fastapi import FastAPI

from integrator.config import Settings

from .factory import create_app


def uvicorn_config(
    app: FastAPI,
    settings: Settings,
    *,
    host: str | None = None,
    port: int | None = None,
    log_level: str = "info",
) -> uvicorn.Config:
    server = settings.server
    return uvicorn.Config(
        app,
        host=host or server.host,
        port=server.port if port is None else port,
        # websockets-sansio: bounded send buffer (a slow reader pauses us) and max_size -> close 1009.
        ws="websockets-sansio",
        ws_max_size=server.ws_max_message_bytes,
        ws_ping_interval=server.heartbeat_s,
        ws_ping_timeout=server.heartbeat_s,
        # uvicorn's access log prints query strings, where browsers put ?api_key=; ours leaves it out.
        access_log=False,
        log_level=log_level,
        timeout_graceful_shutdown=5,
    )


def serve(settings: Settings, *, host: str | None = None, port: int | None = None) -> None:
    """Blocks until interrupted; also runs ``jobs.workers`` embedded job workers on the same engine."""
    from integrator.runtime import build_engine
    from integrator.services import compose

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # APScheduler and Huey log every routine run at INFO; keep the log for what people act on
    for noisy in ("apscheduler", "huey"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    # The composition step of `voxflow serve`: one Services for the app and its embedded workers.
    services = compose(settings)
    engine = build_engine(settings, services.policy)
    app = create_app(engine=engine, services=services)
    workers = None
    if services.settings.jobs.workers:
        handle = services.worker_handle(engine, workers=services.settings.jobs.workers, run_schedules=True)
        workers = handle.start()
    try:
        uvicorn.Server(uvicorn_config(app, settings, host=host, port=port)).run()
    finally:
        if workers is not None:
            workers.stop(settings.jobs.shutdown_grace_seconds)
        services.close()


def bind(host: str = "127.0.0.1", port: int = 0) -> socket.socket:
    """A listening socket (port 0: a free one), for servers started by tests and benchmarks."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    return sock
