"""One listener of a feed channel: a bounded queue filled from any thread, read on its event loop."""

from __future__ import annotations

import asyncio
from collections import deque

from connectors.feeds.writer import Message


class Listener:
    """``limit`` bounds how far behind live the listener may fall; the replay it gets on joining
    does not count against it, so a long replay never makes a newcomer look slow."""

    def __init__(self, loop: asyncio.AbstractEventLoop, limit: int) -> None:
        self.loop = loop
        self.limit = limit
        self.items: deque[Message] = deque()
        self.wake = asyncio.Event()
        self.dropped: str | None = None
        self.gone = asyncio.Event()  # set when dropped
        self._replay_left = 0  # replayed messages still queued

    def offer(self, message: Message) -> None:
        """From any thread: queue ``message`` on the listener's loop."""
        try:
            self.loop.call_soon_threadsafe(self._put, message)
        except RuntimeError:  # the loop is gone: nobody is listening
            self.dropped = self.dropped or "closed"

    def preload(self, messages: list[Message]) -> None:
        """On the loop, before any live message: what the listener hears first."""
        self.items.extend(messages)
        self._replay_left += len(messages)
        if messages:
            self.wake.set()

    def _put(self, message: Message) -> None:
        if self.dropped is not None:
            return
        if len(self.items) - self._replay_left >= self.limit:
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
        if self.dropped is not None:
            return None
        self._replay_left = max(0, self._replay_left - 1)
        return self.items.popleft()
