"""The channels of one process: jobs take turns on a channel, listeners hear them live after the
channel's replay window."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from connectors.feeds.listener import Listener
from connectors.feeds.replay import Replay
from connectors.feeds.writer import Message, Writer, ends
from integrator.jobs.abc import FeedPublisher, FeedWriter

log = logging.getLogger(__name__)

SWEEP_EVERY_S = 1.0  # how often channels nobody uses any more are looked for


@dataclass
class _Channel:
    replay: Replay
    listeners: set[Listener] = field(default_factory=set)
    active: str | None = None  # the job being heard
    waiting: dict[str, list[Message]] = field(default_factory=dict)  # later jobs, in arrival order
    waiting_bytes: int = 0
    discarded: set[str] = field(default_factory=set)

    def idle(self) -> bool:
        return not self.listeners and self.active is None and not self.waiting and self.replay.empty()


class FeedHub(FeedPublisher):
    """The channels of this process. Thread-safe: runners post from worker threads, the Redis bridge
    from its thread, and WebSocket handlers subscribe from the event loop."""

    def __init__(
        self,
        listener_queue: int = 256,
        max_waiting_bytes: int = 64 * 1024 * 1024,
        replay_s: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.listener_queue = listener_queue
        self.max_waiting_bytes = max_waiting_bytes
        self.replay_s = replay_s
        self.clock = clock
        self._channels: dict[str, _Channel] = {}
        self._lock = threading.Lock()
        self._swept_at = clock()

    def open(self, channel: str, job_id: str, *, sample_rate: int, voice: str) -> FeedWriter:
        writer = Writer(lambda message: self.post(channel, job_id, message), job_id)
        writer.begin(sample_rate, voice)
        return writer

    def _channel(self, channel: str) -> _Channel:
        ch = self._channels.get(channel)
        if ch is None:
            ch = self._channels[channel] = _Channel(Replay(self.replay_s, self.clock))
        return ch

    # -- publishing ------------------------------------------------------------
    def post(self, channel: str, job_id: str, message: Message) -> None:
        with self._lock:
            ch = self._channel(channel)
            if job_id in ch.discarded:
                if ends(message):
                    ch.discarded.discard(job_id)
                return
            if ch.active is None and not ch.waiting:
                ch.active = job_id
            if ch.active == job_id:
                self._deliver(ch, message)
                self._next_turn(ch)
            else:
                self._wait(ch, channel, job_id, message)
            if ch.idle():
                del self._channels[channel]
            self._sweep()

    def _wait(self, ch: _Channel, channel: str, job_id: str, message: Message) -> None:
        size = len(message) if isinstance(message, bytes) else 0
        if ch.waiting_bytes + size > self.max_waiting_bytes:
            log.warning("feed %s: job %s waited with too much audio; its turn is skipped", channel, job_id)
            ch.waiting_bytes -= sum(len(m) for m in ch.waiting.pop(job_id, []) if isinstance(m, bytes))
            if not ends(message):
                ch.discarded.add(job_id)
            return
        ch.waiting.setdefault(job_id, []).append(message)
        ch.waiting_bytes += size

    def _next_turn(self, ch: _Channel) -> None:
        # After a job ends, the next waiting one plays what it has so far, then goes on live.
        while ch.active is None and ch.waiting:
            job_id = next(iter(ch.waiting))
            backlog = ch.waiting.pop(job_id)
            ch.waiting_bytes -= sum(len(m) for m in backlog if isinstance(m, bytes))
            ch.active = job_id
            for message in backlog:
                self._deliver(ch, message)

    def _deliver(self, ch: _Channel, message: Message) -> None:
        ch.replay.record(message)
        for listener in ch.listeners:
            listener.offer(message)
        if ends(message):
            ch.active = None

    def _sweep(self) -> None:
        """Drop channels with nothing left to replay and no one on them (at most once a second)."""
        now = self.clock()
        if now - self._swept_at < SWEEP_EVERY_S:
            return
        self._swept_at = now
        for name, ch in list(self._channels.items()):
            ch.replay.expire()
            if ch.idle():
                del self._channels[name]

    # -- listening -------------------------------------------------------------
    def subscribe(self, channel: str, loop: asyncio.AbstractEventLoop) -> Listener:
        """Call on ``loop``: the new listener first gets the channel's replay window, then live."""
        listener = Listener(loop, self.listener_queue)
        with self._lock:
            ch = self._channel(channel)
            listener.preload(ch.replay.messages())
            ch.listeners.add(listener)
            self._sweep()
        return listener

    def unsubscribe(self, channel: str, listener: Listener) -> None:
        with self._lock:
            ch = self._channels.get(channel)
            if ch is not None:
                ch.listeners.discard(listener)
                if ch.idle():
                    del self._channels[channel]

    def listeners(self, channel: str) -> int:
        with self._lock:
            ch = self._channels.get(channel)
            return len(ch.listeners) if ch else 0

    def replayed_ms(self, channel: str) -> float:
        """Audio the channel keeps for joiners now (bounded by ``replay_s`` plus one sentence)."""
        with self._lock:
            ch = self._channels.get(channel)
            if ch is None:
                return 0.0
            ch.replay.expire()
            return ch.replay.audio_ms
