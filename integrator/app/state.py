"""What one running service holds: the engine, its settings, admission, metrics and readiness."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Annotated

import anyio
from fastapi import Depends, Request
from starlette.requests import HTTPConnection

from integrator.config import PRELOAD_DEFAULTS, Settings
from integrator.policy import RefusalMetrics
from tts_engine.engine import Engine, Plan
from tts_engine.errors import TTSError
from tts_engine.types import SynthesisOptions

from .admission import Admission, Slot
from .metrics import Metrics
from .synthesis import AudioStream

log = logging.getLogger("voxflow.server")


@dataclass
class SpeechService:
    engine: Engine
    settings: Settings
    metrics: Metrics = field(default_factory=Metrics)
    admission: Admission = field(init=False)
    ready: bool = False
    warm_up_errors: dict[str, str] = field(default_factory=dict)
    warm_up_s: float | None = None

    def __post_init__(self) -> None:
        self.metrics.registry.register(RefusalMetrics(self.engine.policy))
        self.admission = Admission(
            self.settings.server, on_change=self.metrics.admission_changed, backend_of=self._backend_of
        )

    def _backend_of(self, voice_id: str) -> str | None:
        try:
            return self.engine.registry.info(voice_id).backend
        except TTSError:  # callers pass known ids; an unknown one just gets its own gate
            return None

    @property
    def preload(self) -> list[str]:
        """The voices warmed up before the service is ready: engine.preload, where ``default``
        stands for the default voices as resolved on this machine."""
        ids: list[str] = []
        for entry in self.settings.engine.preload:
            ids.extend(self.engine.default_voices.values() if entry == PRELOAD_DEFAULTS else [entry])
        return list(dict.fromkeys(ids))

    async def warm_up(self) -> None:
        """Load and level every preload voice in a worker thread, one by one so a failure names its voice."""
        began = time.perf_counter()
        for voice_id in self.preload:
            try:
                await anyio.to_thread.run_sync(self.engine.warm_up, [voice_id])
            except Exception as exc:
                log.error("voice %s failed to load: %s", voice_id, exc)
                self.warm_up_errors[voice_id] = str(exc)
        self.warm_up_s = time.perf_counter() - began
        self.ready = not self.warm_up_errors
        log.info(
            "warm-up done in %.1f s%s",
            self.warm_up_s,
            "" if self.ready else f"; failed: {self.warm_up_errors}",
        )

    async def prepare(self, text: str, voice_id: str, fmt: str, options: SynthesisOptions) -> Plan:
        """Check the request (raising TTSError) off the event loop: the text front-end is CPU work."""
        return await anyio.to_thread.run_sync(self.engine.prepare_encoded, text, voice_id, fmt, options)

    def open_stream(self, plan: Plan, fmt: str | None) -> AudioStream:
        stream = AudioStream(
            self.engine,
            voice_id=plan.voice.id,
            fmt=fmt,
            sample_rate=plan.sample_rate,
            options=plan.options,
            buffer=self.settings.server.stream_buffer,
        )
        stream.feed(plan)
        stream.end_input()
        stream.start()
        return stream

    async def close_stream(self, stream: AudioStream, slot: Slot, received_at: float) -> None:
        try:
            await stream.aclose()
        finally:
            slot.release()
            self.metrics.observe_stream(stream, received_at)
            if stream.failure is not None:
                log.error(
                    "voice %s failed after %.0f ms of audio",
                    stream.voice_id,
                    stream.audio_ms,
                    exc_info=stream.failure,
                )


def service_of(connection: HTTPConnection) -> SpeechService:
    service = connection.app.state.service
    assert isinstance(service, SpeechService)
    return service


def get_service(request: Request) -> SpeechService:
    """FastAPI dependency."""
    return service_of(request)


ServiceDep = Annotated[SpeechService, Depends(get_service)]
