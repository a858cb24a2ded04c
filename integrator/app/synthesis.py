"""One request's audio, made in a worker thread and handed to the event loop through a bounded buffer.

The engine's inference blocks, so it never runs on the event loop. A dedicated thread iterates
``Engine.run`` for each plan of the request, encodes the chunks there too (mp3/opus encoding is
CPU work), and hands frames over. At most ``buffer`` frames wait for the consumer: when a slow
reader stops taking them the thread blocks, which stops it pulling from ``Engine.run``, whose own
lookahead queue then fills and pauses synthesis. Setting ``cancel`` stops the thread within a piece.
"""

from __future__ import annotations

import asyncio
import queue
import threading
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, replace

from tts_engine.audio.codecs import StreamEncoder, open_encoder
from tts_engine.engine import Engine, Plan
from tts_engine.errors import EmptyTextError, SynthesisCancelled
from tts_engine.types import AudioChunk, SynthesisOptions


@dataclass(frozen=True)
class Frame:
    """Encoded bytes for one chunk (``chunk`` is ``None`` for the encoder's closing bytes; ``data`` is
    empty when the stream does not encode).

    ``sentence`` counts sentences across every plan of the request, ``offset_ms`` is where the
    chunk starts in the request's audio, and ``new_sentence`` marks the first chunk of a sentence.
    """

    data: bytes
    chunk: AudioChunk | None = None
    sentence: int = 0
    sentence_text: str = ""
    sentence_start_ms: float = 0.0
    offset_ms: float = 0.0
    new_sentence: bool = False


class _Stopped(Exception):
    pass


_END = object()


class AudioStream:
    """Synthesizes plans (or text to plan, for text arriving in pieces) one after another.

    ``fmt`` names the streaming encoder to run in the thread; ``None`` leaves the samples raw
    (a whole file is encoded at the end instead, with exact headers).

    Feed it with :meth:`feed`, say there is no more with :meth:`end_input`, iterate frames with
    ``async for``, and always :meth:`aclose` it (that cancels synthesis if it is still running).
    Timing attributes (``first_audio_at``, ``busy_s``, ``audio_ms``) feed the latency metrics;
    ``busy_s`` leaves out time spent waiting for a slow reader or for more text.
    """

    def __init__(
        self,
        engine: Engine,
        *,
        voice_id: str,
        fmt: str | None,
        sample_rate: int,
        options: SynthesisOptions,
        buffer: int,
    ) -> None:
        self.engine = engine
        self.voice_id = voice_id
        self.fmt = fmt
        self.sample_rate = sample_rate
        self.cancel = options.cancel or threading.Event()
        self.options = replace(options, cancel=self.cancel, sample_rate=sample_rate)
        self.first_audio_at: float | None = None
        self.busy_s = 0.0
        self.audio_ms = 0.0
        self.characters = 0
        self.complete = False  # the thread ran out of input, not cancelled
        self.failure: BaseException | None = None  # what stopped synthesis, when it failed
        self._inputs: queue.Queue[Plan | str | None] = queue.Queue()
        self._space = threading.Semaphore(buffer)
        self._frames: asyncio.Queue[object] = asyncio.Queue()
        self._loop = asyncio.get_running_loop()
        self._finished = asyncio.Event()
        self._thread = threading.Thread(target=self._run, name=f"voxflow-stream-{voice_id}", daemon=True)
        self._started = False
        # Time the thread spent waiting for the reader or for more text: not synthesis time.
        self._paused_s = 0.0

    # -- the event loop side ------------------------------------------------
    def feed(self, item: Plan | str) -> None:
        """Queue a prepared plan, or text the thread prepares itself (EmptyTextError is skipped)."""
        self._inputs.put(item)

    def end_input(self) -> None:
        self._inputs.put(None)

    def start(self) -> None:
        self._started = True
        self._thread.start()

    def __aiter__(self) -> AsyncIterator[Frame]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[Frame]:
        while True:
            item = await self._frames.get()
            if item is _END:
                return
            if isinstance(item, BaseException):
                self.failure = item
                raise item
            assert isinstance(item, Frame)
            self._space.release()
            yield item

    @property
    def cancelled(self) -> bool:
        return self.cancel.is_set()

    async def aclose(self) -> None:
        """Stop synthesis (if still running) and wait until the thread has let go of the voice."""
        if not self.complete:
            self.cancel.set()
        self._inputs.put(None)
        if self._started:
            await asyncio.shield(self._finished.wait())

    # -- the worker thread side ----------------------------------------------
    def _hand(self, item: object) -> None:
        try:
            self._loop.call_soon_threadsafe(self._frames.put_nowait, item)
        except RuntimeError:  # the loop closed under us (server shutdown): nobody is listening
            self.cancel.set()

    def _put(self, frame: Frame) -> None:
        waited = time.perf_counter()
        while not self._space.acquire(timeout=0.05):
            if self.cancel.is_set():
                raise _Stopped
        self._paused_s += time.perf_counter() - waited
        self._hand(frame)

    def _next_input(self) -> Plan | str | None:
        waited = time.perf_counter()
        try:
            while not self.cancel.is_set():
                try:
                    return self._inputs.get(timeout=0.05)
                except queue.Empty:
                    continue
            raise _Stopped
        finally:
            self._paused_s += time.perf_counter() - waited

    def _plan(self, item: Plan | str) -> Plan | None:
        if isinstance(item, Plan):
            # A plan prepared before the stream existed must still stop when this stream is cancelled.
            return replace(item, options=replace(item.options, cancel=self.cancel))
        try:
            return self.engine.prepare(item, self.voice_id, self.options)
        except EmptyTextError:
            return None  # a piece of streamed text with nothing to say ("……")

    def _speak(self, plan: Plan, encoder: StreamEncoder | None, sentence_base: int, offset_ms: float) -> None:
        chunks: Iterator[AudioChunk] = self.engine.run(plan)
        last = -1
        try:
            for chunk in chunks:
                data = encoder.encode(chunk.samples) if encoder is not None else b""
                index = chunk.sentence.index
                frame = Frame(
                    data=data,
                    chunk=chunk,
                    sentence=sentence_base + index,
                    sentence_text=chunk.sentence.text,
                    sentence_start_ms=offset_ms + chunk.sentence.start_ms,
                    offset_ms=offset_ms + chunk.offset_ms,
                    new_sentence=index != last,
                )
                last = index
                if self.first_audio_at is None:
                    self.first_audio_at = time.perf_counter()
                self.audio_ms = frame.offset_ms + chunk.duration_ms
                self._put(frame)
        finally:
            close = getattr(chunks, "close", None)
            if close is not None:
                close()  # stops the engine's own worker thread at once

    def _run(self) -> None:
        began = time.perf_counter()
        sentence_base = 0
        offset_ms = 0.0
        outcome: object = _END
        try:
            encoder = open_encoder(self.fmt, self.sample_rate) if self.fmt is not None else None
            while (item := self._next_input()) is not None:
                plan = self._plan(item)
                if plan is None:
                    continue
                self._speak(plan, encoder, sentence_base, offset_ms)
                offset_ms = self.audio_ms
                self.characters += plan.characters
                sentence_base += max(plan.sentence_texts, default=-1) + 1
            tail = encoder.finish() if encoder is not None else b""
            if tail:
                self._put(Frame(data=tail, offset_ms=offset_ms))
            self.complete = True
        except (_Stopped, SynthesisCancelled):
            pass
        except BaseException as exc:  # the consumer re-raises it on the event loop
            outcome = exc
        finally:
            self.busy_s = time.perf_counter() - began - self._paused_s
            self._hand(outcome)
            try:
                self._loop.call_soon_threadsafe(self._finished.set)
            except RuntimeError:
                pass
