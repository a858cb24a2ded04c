"""Prometheus metrics, in a registry of the app's own (two apps in one process never collide)."""

from __future__ import annotations

import logging
import time

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .errors import failure_code
from .synthesis import AudioStream

access_log = logging.getLogger("voxflow.access")

FIRST_AUDIO_BUCKETS = (0.05, 0.1, 0.15, 0.2, 0.3, 0.5, 0.75, 1.0, 1.5, 2.5, 5.0, 10.0)
RTF_BUCKETS = (0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1.0, 1.5, 2.0, 5.0)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.first_audio = Histogram(
            "voxflow_first_audio_seconds",
            "Time from receiving a request to its first synthesized audio, per voice",
            ["voice"],
            buckets=FIRST_AUDIO_BUCKETS,
            registry=self.registry,
        )
        self.rtf = Histogram(
            "voxflow_real_time_factor",
            "Synthesis time divided by audio duration, per voice (below 1 is faster than real time)",
            ["voice"],
            buckets=RTF_BUCKETS,
            registry=self.registry,
        )
        self.active_streams = Gauge(
            "voxflow_active_streams",
            "Streams synthesizing now, per admission gate (a voice, or a backend whose voices share one)",
            ["voice"],
            registry=self.registry,
        )
        self.queue_depth = Gauge(
            "voxflow_queue_depth",
            "Requests waiting for a synthesis slot, per admission gate",
            ["voice"],
            registry=self.registry,
        )
        self.stream_failures = Counter(
            "voxflow_stream_failures",
            "Requests whose synthesis failed after the answer began (HTTP: chunked body cut short; "
            "SSE: error event; WebSocket: error message), per voice and error code",
            ["voice", "code"],
            registry=self.registry,
        )
        self.requests = Counter(
            "voxflow_requests",
            "Requests by route and status (WebSocket: per synthesize request, by outcome)",
            ["route", "status"],
            registry=self.registry,
        )

    def admission_changed(self, voice_id: str, active: int, waiting: int) -> None:
        self.active_streams.labels(voice_id).set(active)
        self.queue_depth.labels(voice_id).set(waiting)

    def observe_stream(self, stream: AudioStream, received_at: float) -> None:
        """Record a finished stream; ``received_at`` is ``time.perf_counter()`` when its request arrived."""
        if stream.failure is not None:
            self.stream_failures.labels(stream.voice_id, failure_code(stream.failure)).inc()
        if stream.first_audio_at is None or stream.audio_ms <= 0:
            return
        self.first_audio.labels(stream.voice_id).observe(stream.first_audio_at - received_at)
        if not stream.cancelled:
            self.rtf.labels(stream.voice_id).observe(stream.busy_s / (stream.audio_ms / 1000.0))

    def render(self) -> bytes:
        return generate_latest(self.registry)


class RequestMetricsMiddleware:
    """Counts HTTP requests by route template and status, and writes the access log.

    The log line carries the path without its query string: browsers send ``?api_key=`` there.
    """

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        began = time.perf_counter()
        status = 500

        async def tracked(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, tracked)
        finally:
            self.metrics.requests.labels(route_of(scope), str(status)).inc()
            access_log.info(
                "%s %s %d %.1f ms",
                scope["method"],
                scope["path"],
                status,
                1000 * (time.perf_counter() - began),
            )


def route_of(scope: Scope) -> str:
    """The matched route's template, so label values stay few whatever paths clients send."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    if isinstance(path, str):
        return path
    if scope["path"].startswith("/static/"):
        return "/static"
    return "unmatched"
