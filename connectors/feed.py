"""Live feeds: ``WS /v1/feeds/{channel}``, where every listener hears a job while it is synthesized.

One synthesis, many listeners: the job runner publishes each job that names a ``feed`` once
(``FeedPublisher``), and the channel fans the messages out. Messages are those of
``/v1/tts/stream`` (``start``, ``progress``, binary s16le PCM, ``done`` or ``error``, with the job
id as ``request_id``), after a first ``{"type": "subscribed", "channel"}``.

* A late joiner starts at the current sentence: a channel keeps the current job's ``start``, the
  current sentence's ``progress`` and that sentence's audio so far, and sends them first.
* A slow listener is dropped, not waited for: each has a bounded queue, and one that falls that
  far behind is closed with 1013 and its reason, while the others carry on.
* Jobs on one channel are heard one after another: a job that starts while another plays waits
  its turn, its audio kept (up to ``feeds.max_waiting_bytes``).

Workers in the serving process publish to the process's :class:`FeedHub` directly; workers on
other machines (``jobs.backend: redis``) publish through Redis pub/sub, which a bridge thread in
the serving process feeds into its hub.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, FastAPI, WebSocket, WebSocketDisconnect

from integrator.jobs.abc import FeedPublisher, FeedWriter

if TYPE_CHECKING:
    from integrator.config import Settings

log = logging.getLogger(__name__)

ROUTE = "/v1/feeds/{channel}"
CHANNEL = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
REDIS_PREFIX = "voxflow:feed:"
CLOSE_TOO_SLOW = 1013  # "try again later": the listener fell behind and was dropped
CLOSE_WAIT_S = 30.0  # a dropped reader gets its close frame once it takes what was sent before

Message = dict[str, Any] | bytes


def _ends(message: Message) -> bool:
    return isinstance(message, dict) and message.get("type") in ("done", "error")


class Listener:
    """One subscriber's queue, filled from any thread and read on its event loop."""

    def __init__(self, loop: asyncio.AbstractEventLoop, limit: int) -> None:
        self.loop = loop
        self.limit = limit
        self.items: deque[Message] = deque()
        self.wake = asyncio.Event()
        self.dropped: str | None = None
        self.gone = asyncio.Event()  # set when dropped

    def offer(self, message: Message) -> None:
        """From any thread: queue ``message`` on the listener's loop."""
        try:
            self.loop.call_soon_threadsafe(self._put, message)
        except RuntimeError:  # the loop is gone: nobody is listening
            self.dropped = self.dropped or "closed"

    def preload(self, messages: list[Message]) -> None:
        """On the loop: what a late joiner hears first (may exceed the limit once)."""
        self.items.extend(messages)
        if messages:
            self.wake.set()

    def _put(self, message: Message) -> None:
        if self.dropped is not None:
            return
        if len(self.items) >= self.limit:
            self.dropped = f"too slow: fell {self.limit} messages behind"
            self.items.clear()
            self.wake.set()
            self.gone.set()
            return
        self.items.append(message)
        self.wake.set()

    async def get(self) -> Message | None:
        """The next message; None once the listener was dropped."""
        while not self.items:
            if self.dropped is not None:
                return None
            self.wake.clear()
            await self.wake.wait()
        return None if self.dropped is not None else self.items.popleft()


@dataclass
class _Channel:
    listeners: set[Listener] = field(default_factory=set)
    active: str | None = None  # the job being heard
    start: Message | None = None
    progress: Message | None = None
    frames: list[bytes] = field(default_factory=list)  # audio of the current sentence so far
    waiting: dict[str, list[Message]] = field(default_factory=dict)  # later jobs, in arrival order
    waiting_bytes: int = 0
    discarded: set[str] = field(default_factory=set)

    def snapshot(self) -> list[Message]:
        if self.active is None or self.start is None:
            return []
        return [self.start, *([self.progress] if self.progress is not None else []), *self.frames]

    def idle(self) -> bool:
        return not self.listeners and self.active is None and not self.waiting


class FeedHub(FeedPublisher):
    """The channels of this process. Thread-safe: runners post from worker threads, the Redis bridge
    from its thread, and WebSocket handlers subscribe from the event loop."""

    def __init__(self, listener_queue: int = 256, max_waiting_bytes: int = 64 * 1024 * 1024) -> None:
        self.listener_queue = listener_queue
        self.max_waiting_bytes = max_waiting_bytes
        self._channels: dict[str, _Channel] = {}
        self._lock = threading.Lock()

    def open(self, channel: str, job_id: str, *, sample_rate: int, voice: str) -> FeedWriter:
        writer = _Writer(lambda message: self.post(channel, job_id, message), job_id)
        writer.begin(sample_rate, voice)
        return writer

    # -- publishing ------------------------------------------------------------
    def post(self, channel: str, job_id: str, message: Message) -> None:
        with self._lock:
            ch = self._channels.setdefault(channel, _Channel())
            if job_id in ch.discarded:
                if _ends(message):
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

    def _wait(self, ch: _Channel, channel: str, job_id: str, message: Message) -> None:
        size = len(message) if isinstance(message, bytes) else 0
        if ch.waiting_bytes + size > self.max_waiting_bytes:
            log.warning("feed %s: job %s waited with too much audio; its turn is skipped", channel, job_id)
            ch.waiting_bytes -= sum(len(m) for m in ch.waiting.pop(job_id, []) if isinstance(m, bytes))
            if not _ends(message):
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
        if isinstance(message, bytes):
            ch.frames.append(message)
        elif message.get("type") == "start":
            ch.start, ch.progress, ch.frames = message, None, []
        elif message.get("type") == "progress":
            ch.progress, ch.frames = message, []
        for listener in ch.listeners:
            listener.offer(message)
        if _ends(message):
            ch.active, ch.start, ch.progress, ch.frames = None, None, None, []

    # -- listening -------------------------------------------------------------
    def subscribe(self, channel: str, loop: asyncio.AbstractEventLoop) -> Listener:
        """Call on ``loop``: the new listener first gets the current job's start and current sentence."""
        listener = Listener(loop, self.listener_queue)
        with self._lock:
            ch = self._channels.setdefault(channel, _Channel())
            listener.preload(ch.snapshot())
            ch.listeners.add(listener)
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


class _Writer(FeedWriter):
    """Turns the runner's calls into stream-protocol messages for one job."""

    def __init__(self, send: Callable[[Message], None], job_id: str) -> None:
        self._send = send
        self.job_id = job_id

    def begin(self, sample_rate: int, voice: str) -> None:
        self._send(
            {
                "type": "start",
                "request_id": self.job_id,
                "sample_rate": sample_rate,
                "format": "pcm",
                "voice": voice,
            }
        )

    def sentence(self, index: int, text: str, offset_ms: float) -> None:
        self._send(
            {
                "type": "progress",
                "request_id": self.job_id,
                "sentence": index,
                "text": text,
                "offset_ms": round(offset_ms, 1),
            }
        )

    def audio(self, pcm: bytes) -> None:
        if pcm:
            self._send(pcm)

    def end(
        self, duration_ms: float, *, cancelled: bool = False, error: tuple[str, str] | None = None
    ) -> None:
        if error is not None:
            self._send({"type": "error", "request_id": self.job_id, "code": error[0], "message": error[1]})
        else:
            self._send(
                {
                    "type": "done",
                    "request_id": self.job_id,
                    "duration_ms": round(duration_ms, 1),
                    "cancelled": cancelled,
                }
            )


# -- across machines: Redis pub/sub ------------------------------------------------
def _frame(job_id: str, message: Message) -> bytes:
    head = job_id.encode()
    if isinstance(message, bytes):
        return b"B" + bytes([len(head)]) + head + message
    return b"J" + bytes([len(head)]) + head + json.dumps(message, ensure_ascii=False).encode()


def _unframe(data: bytes) -> tuple[str, Message]:
    size = data[1]
    job_id = data[2 : 2 + size].decode()
    body = data[2 + size :]
    return job_id, (body if data[:1] == b"B" else json.loads(body))


class RedisFeedPublisher(FeedPublisher):
    """For workers on other machines: each message goes to ``voxflow:feed:<channel>``."""

    def __init__(self, url: str) -> None:
        import redis

        self.client = redis.Redis.from_url(url)

    def open(self, channel: str, job_id: str, *, sample_rate: int, voice: str) -> FeedWriter:
        key = REDIS_PREFIX + channel

        def send(message: Message) -> None:
            try:
                self.client.publish(key, _frame(job_id, message))
            except Exception as exc:  # live audio is best effort: the job itself carries on
                log.warning("feed %s: publish failed: %s", channel, exc)

        writer = _Writer(send, job_id)
        writer.begin(sample_rate, voice)
        return writer

    def close(self) -> None:
        self.client.close()


class RedisFeedBridge:
    """A thread in the serving process: feed messages from Redis into the local hub."""

    def __init__(self, hub: FeedHub, url: str) -> None:
        self.hub = hub
        self.url = url
        self._stop = threading.Event()
        self.subscribed = threading.Event()
        self._thread = threading.Thread(target=self._run, name="voxflow-feed-bridge", daemon=True)

    def start(self) -> RedisFeedBridge:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)

    def _run(self) -> None:
        import redis

        while not self._stop.is_set():
            try:
                client = redis.Redis.from_url(self.url)
                pubsub = client.pubsub(ignore_subscribe_messages=True)
                pubsub.psubscribe(REDIS_PREFIX + "*")
                self.subscribed.set()
                while not self._stop.is_set():
                    item = pubsub.get_message(timeout=0.5)
                    if item is None:
                        continue
                    channel = item["channel"].decode().removeprefix(REDIS_PREFIX)
                    job_id, message = _unframe(item["data"])
                    self.hub.post(channel, job_id, message)
                pubsub.close()
                client.close()
            except Exception as exc:
                self.subscribed.clear()
                log.warning("feed bridge: %s; reconnecting", exc)
                self._stop.wait(1.0)


# -- this process's hub and publisher ----------------------------------------------
LOCAL_HUB = FeedHub()
_bridges: dict[str, RedisFeedBridge] = {}
_publishers: dict[str, RedisFeedPublisher] = {}
_lock = threading.Lock()


def _redis_url(settings: Settings) -> str | None:
    cfg = settings.feeds
    if cfg.backend == "redis" or (cfg.backend == "auto" and settings.jobs.backend == "redis"):
        return cfg.redis_url or settings.jobs.redis_url
    return None


def publisher_for(settings: Settings) -> FeedPublisher:
    """Where this process's job runners publish."""
    url = _redis_url(settings)
    if url is None:
        return hub_for(settings)
    with _lock:
        if url not in _publishers:
            _publishers[url] = RedisFeedPublisher(url)
        return _publishers[url]


def hub_for(settings: Settings) -> FeedHub:
    """The hub listeners of this process subscribe to (with the Redis bridge when feeds cross machines)."""
    LOCAL_HUB.listener_queue = settings.feeds.listener_queue
    LOCAL_HUB.max_waiting_bytes = settings.feeds.max_waiting_bytes
    url = _redis_url(settings)
    if url is not None:
        with _lock:
            if url not in _bridges:
                _bridges[url] = RedisFeedBridge(LOCAL_HUB, url).start()
    return LOCAL_HUB


# -- the WebSocket route ----------------------------------------------------------
router = APIRouter()


@router.websocket(ROUTE)
async def feed(websocket: WebSocket, channel: str) -> None:
    await websocket.accept()
    if not CHANNEL.match(channel):
        message = "a channel name is 1-64 letters, digits, '_', '.' or '-'"
        await websocket.send_json({"type": "error", "code": "invalid_channel", "message": message})
        await websocket.close(1008, "invalid_channel")
        return
    hub: FeedHub = websocket.app.state.feeds
    listener = hub.subscribe(channel, asyncio.get_running_loop())
    try:
        await _serve(websocket, channel, listener)
    finally:
        hub.unsubscribe(channel, listener)


async def _serve(websocket: WebSocket, channel: str, listener: Listener) -> None:
    async def pump() -> None:
        await websocket.send_json({"type": "subscribed", "channel": channel})
        while (message := await listener.get()) is not None:
            if isinstance(message, bytes):
                await websocket.send_bytes(message)
            else:
                await websocket.send_text(json.dumps(message, ensure_ascii=False))

    async def drain() -> None:
        # Listeners only listen; reading notices the disconnect (pings are answered below us).
        while (await websocket.receive())["type"] != "websocket.disconnect":
            pass

    sender, reader = asyncio.create_task(pump()), asyncio.create_task(drain())
    dropped = asyncio.create_task(listener.gone.wait())
    try:
        await asyncio.wait({sender, reader, dropped}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in (sender, reader, dropped):
            task.cancel()
        await asyncio.gather(sender, reader, dropped, return_exceptions=True)
    if listener.dropped is not None and reader.cancelled():
        log.info("feed %s: dropped a listener: %s", channel, listener.dropped)
        # The close frame queues behind what the slow reader has not taken yet; don't wait forever.
        try:
            await asyncio.wait_for(websocket.close(CLOSE_TOO_SLOW, listener.dropped[:120]), CLOSE_WAIT_S)
        except (TimeoutError, RuntimeError, WebSocketDisconnect, OSError):
            pass


def install(app: FastAPI, settings: Settings) -> FeedHub:
    """Add ``WS /v1/feeds/{channel}`` with this process's hub as ``app.state.feeds``."""
    app.state.feeds = hub_for(settings)
    app.include_router(router)
    return app.state.feeds
