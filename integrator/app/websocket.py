"""``/v1/tts/stream``: many requests on one WebSocket, text in whole or in pieces, audio as binary frames.

Requests on a connection run one at a time, in order; a ``synthesize`` sent while another runs
waits in the connection's queue (``server.ws_max_pending`` places, then ``too_many_requests``).
So binary frames carry no header: they belong to the request whose ``start`` came last and whose
``done``/``error`` has not come yet. See the README, "Serving".
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter, WebSocket
from pydantic import ValidationError

from integrator.stream_protocol import (
    Append,
    Cancel,
    Done,
    Error,
    Flush,
    Ping,
    Pong,
    Progress,
    Start,
    Synthesize,
    client_message,
)
from tts_engine.audio.codecs import output_rate
from tts_engine.errors import EmptyTextError, TextTooLongError, TTSError
from tts_engine.types import SynthesisOptions

from .admission import Busy, Slot
from .errors import SYNTHESIS_FAILED, describe_validation
from .sentences import SentenceBuffer
from .state import SpeechService, service_of
from .synthesis import AudioStream
from .voices import resolve_voice

ROUTE = "/v1/tts/stream"
router = APIRouter()
log = logging.getLogger("voxflow.server")


@router.websocket(ROUTE)
async def tts_stream(websocket: WebSocket) -> None:
    await websocket.accept()
    await Session(websocket, service_of(websocket)).run()


@dataclass(eq=False)
class StreamTask:
    """One ``synthesize`` request, from the queue to its ``done`` or ``error``."""

    request: Synthesize
    request_id: str
    received_at: float
    cancel: threading.Event = field(default_factory=threading.Event)
    # ``aborted`` ends a wait for a voice slot; ``wake`` a wait for streamed text.
    aborted: asyncio.Event = field(default_factory=asyncio.Event)
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    sentences: SentenceBuffer = field(default_factory=SentenceBuffer)
    backlog: list[str] = field(default_factory=list)
    flushed: bool = False
    chars: int = 0
    stream: AudioStream | None = None
    failure: tuple[str, str] | None = None

    def stop(self, failure: tuple[str, str] | None = None) -> None:
        self.failure = self.failure or failure
        self.cancel.set()
        self.aborted.set()
        self.wake.set()

    def add_text(self, text: str) -> None:
        self.chars += len(text)
        for sentence in self.sentences.append(text):
            self._give(sentence)

    def flush(self) -> None:
        rest = self.sentences.flush()
        if rest:
            self._give(rest)
        self.flushed = True
        self.wake.set()
        if self.stream is not None:
            self.stream.end_input()

    def _give(self, sentence: str) -> None:
        if self.stream is not None:
            self.stream.feed(sentence)
        else:
            self.backlog.append(sentence)
            self.wake.set()

    def attach(self, stream: AudioStream) -> None:
        """From now on complete sentences go straight to the stream's synthesis thread."""
        self.stream = stream
        for sentence in self.backlog:
            stream.feed(sentence)
        self.backlog.clear()
        if self.flushed:
            stream.end_input()


class Session:
    """One connection: a reader answering every message at once, a worker running requests in turn."""

    def __init__(self, websocket: WebSocket, service: SpeechService) -> None:
        self.ws = websocket
        self.service = service
        self.config = service.settings.server
        self.queue: deque[StreamTask] = deque()
        self.active: StreamTask | None = None
        self.wake = asyncio.Event()
        self.send_lock = asyncio.Lock()
        self.gone = False
        self.count = 0

    async def run(self) -> None:
        worker = asyncio.create_task(self._work())
        try:
            await self._read()
        finally:
            self.gone = True
            for job in [*self.queue, *([self.active] if self.active else [])]:
                job.stop()
            worker.cancel()
            try:
                await worker
            except asyncio.CancelledError:
                pass

    # -- sending -------------------------------------------------------------
    async def _send(self, message: dict[str, Any] | bytes) -> bool:
        if self.gone:
            return False
        try:
            async with self.send_lock:
                if isinstance(message, bytes):
                    await self.ws.send_bytes(message)
                else:
                    await self.ws.send_text(json.dumps(message, ensure_ascii=False))
            return True
        except (OSError, RuntimeError):  # closed under us; the reader sees the disconnect
            self.gone = True
            return False

    async def _error(
        self, request_id: str | None, code: str, message: str, retry_after_s: float | None = None
    ) -> bool:
        error = Error(code=code, message=message, request_id=request_id, retry_after_s=retry_after_s)
        return await self._send(error.wire())

    def _count(self, outcome: str) -> None:
        self.service.metrics.requests.labels(ROUTE, outcome).inc()

    # -- reading -------------------------------------------------------------
    async def _read(self) -> None:
        while True:
            try:
                message = await asyncio.wait_for(self.ws.receive(), self.config.idle_timeout_s)
            except TimeoutError:
                if self.active is None and not self.queue:
                    await self.ws.close(1000, "idle timeout")
                    return
                continue
            if message["type"] == "websocket.disconnect":
                return
            if message.get("bytes") is not None:
                await self._error(
                    None, "binary_not_accepted", "send requests as JSON text frames, not binary"
                )
                continue
            await self._handle(message.get("text") or "")

    async def _handle(self, text: str) -> None:
        try:
            raw = json.loads(text)
        except ValueError as exc:
            await self._error(None, "invalid_json", f"the message is not valid JSON: {exc}")
            return
        if not isinstance(raw, dict):
            await self._error(None, "invalid_message", "a message is a JSON object with a 'type'")
            return
        request_id = raw.get("request_id") if isinstance(raw.get("request_id"), str) else None
        try:
            message = client_message.validate_python(raw)
        except ValidationError as exc:
            words, _ = describe_validation(list(exc.errors()), skip=(str(raw.get("type")),))
            await self._error(request_id, "invalid_message", words)
            return
        if isinstance(message, Ping):
            await self._send(Pong(id=message.id).wire())
        elif isinstance(message, Synthesize):
            await self._enqueue(message)
        else:
            await self._steer(message)

    async def _enqueue(self, message: Synthesize) -> None:
        self.count += 1
        request_id = message.request_id or f"r{self.count}"
        if self._find(request_id) is not None:
            await self._error(
                request_id, "duplicate_request_id", f"request {request_id!r} is still running or queued"
            )
            return
        if len(self.queue) >= self.config.ws_max_pending:
            await self._error(
                request_id,
                "too_many_requests",
                f"{len(self.queue)} requests already wait on this connection; send more when one is done",
            )
            self._count("too_many_requests")
            return
        job = StreamTask(message, request_id, time.perf_counter())
        if message.incremental and message.text:
            job.add_text(message.text)
        self.queue.append(job)
        self.wake.set()

    def _find(self, request_id: str) -> StreamTask | None:
        if self.active is not None and self.active.request_id == request_id:
            return self.active
        return next((job for job in self.queue if job.request_id == request_id), None)

    async def _steer(self, message: Append | Flush | Cancel) -> None:
        job = self._find(message.request_id)
        if job is None:
            await self._error(
                message.request_id, "unknown_request", f"no running or queued request {message.request_id!r}"
            )
            return
        if isinstance(message, Cancel):
            if job is self.active:
                job.stop()  # the worker answers done with cancelled: true
            else:
                self.queue.remove(job)
                await self._send(Done(request_id=job.request_id, duration_ms=0.0, cancelled=True).wire())
                self._count("cancelled")
            return
        if not job.request.incremental:
            await self._error(
                job.request_id, "not_incremental", "append and flush need a synthesize with incremental: true"
            )
            return
        if job.flushed:
            await self._error(job.request_id, "already_flushed", "this request was flushed; start a new one")
            return
        if isinstance(message, Flush):
            job.flush()
            return
        limit = self.service.engine.max_chars
        if job.chars + len(message.text) > limit:
            failure = (TextTooLongError.code, str(TextTooLongError(job.chars + len(message.text), limit)))
            if job is self.active:
                job.stop(failure)
            else:
                self.queue.remove(job)
                await self._error(job.request_id, *failure)
                self._count(failure[0])
            return
        job.add_text(message.text)

    async def _finish(self, job: StreamTask, duration_ms: float) -> str:
        """Send the request's closing message; returns the outcome to count."""
        if job.failure is not None:
            sent = await self._error(job.request_id, *job.failure)
            outcome = job.failure[0]
        else:
            cancelled = job.cancel.is_set()
            done = Done(request_id=job.request_id, duration_ms=round(duration_ms, 1), cancelled=cancelled)
            sent = await self._send(done.wire())
            outcome = "cancelled" if cancelled else "done"
        return outcome if sent else "disconnected"

    # -- the worker ------------------------------------------------------------
    async def _work(self) -> None:
        while True:
            while not self.queue:
                self.wake.clear()
                await self.wake.wait()
            job = self.queue.popleft()
            self.active = job
            try:
                await self._run(job)
            finally:
                self.active = None

    async def _run(self, job: StreamTask) -> None:
        service, engine, request = self.service, self.service.engine, job.request
        slot: Slot | None = None
        stream: AudioStream | None = None
        outcome = "disconnected"  # until a closing message is sent
        try:
            options = SynthesisOptions(
                speed=request.speed,
                sample_rate=request.sample_rate,
                ssml=request.ssml is not None,
                cancel=job.cancel,
                expression=request.expression(),
            )
            options.expression.check(engine.styles)  # text in pieces is checked sentence by sentence
            if request.incremental:
                # The voice follows the language of the first sentence when the client names none.
                while not (job.backlog or job.flushed or job.cancel.is_set()):
                    job.wake.clear()
                    await job.wake.wait()
                if job.cancel.is_set():
                    outcome = await self._finish(job, 0.0)
                    return
                if not job.backlog:
                    raise EmptyTextError("the request was flushed without any text to speak")
                voice_id = resolve_voice(engine, request.voice, " ".join(job.backlog), ssml=False)
                plan = None
                rate = output_rate(
                    request.format, request.sample_rate, engine.registry.info(voice_id).sample_rate
                )
            else:
                content = request.text if request.text is not None else request.ssml or ""
                voice_id = resolve_voice(engine, request.voice, content, ssml=options.ssml)
                plan = await service.prepare(content, voice_id, request.format, options)
                rate = plan.sample_rate
            if not job.cancel.is_set():
                slot = await service.admission.acquire(voice_id, abort=job.aborted)
            if slot is None:  # cancelled, or failed, before any audio
                outcome = await self._finish(job, 0.0)
                return
            stream = AudioStream(
                engine,
                voice_id=voice_id,
                fmt=request.format,
                sample_rate=rate,
                options=options,
                buffer=self.config.stream_buffer,
            )
            if plan is not None:
                stream.feed(plan)
                stream.end_input()
            else:
                job.attach(stream)
            stream.start()
            start = Start(request_id=job.request_id, sample_rate=rate, format=request.format, voice=voice_id)
            sent = await self._send(start.wire())
            async for frame in stream:
                if not sent:
                    job.stop()
                    break
                if frame.new_sentence and frame.chunk is not None:
                    progress = Progress(
                        request_id=job.request_id,
                        sentence=frame.sentence,
                        text=frame.sentence_text,
                        offset_ms=round(frame.sentence_start_ms, 1),
                    )
                    sent = await self._send(progress.wire())
                if frame.data and sent:
                    sent = await self._send(frame.data)
            outcome = await self._finish(job, stream.audio_ms)
        except Busy as exc:
            if await self._error(job.request_id, exc.code, str(exc), retry_after_s=exc.retry_after_s):
                outcome = exc.code
        except TTSError as exc:
            if await self._error(job.request_id, exc.code, str(exc)):
                outcome = exc.code
        except Exception as exc:
            # A voice that fails mid-stream (out of memory, a broken model) ends this request with an
            # error; left to escape, it stopped the connection's worker and every later request hung.
            log.exception("request %s failed while synthesizing", job.request_id)
            if await self._error(job.request_id, SYNTHESIS_FAILED, f"synthesis failed: {exc}"):
                outcome = SYNTHESIS_FAILED
        finally:
            self._count(outcome)
            if stream is not None:
                await stream.aclose()
                service.metrics.observe_stream(stream, job.received_at)
            if slot is not None:
                slot.release()
