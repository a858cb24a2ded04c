"""Who synthesizes next on a voice: a lock that serves the listener about to run out of audio first.

A plain lock wakes waiters in no particular order, so with many streams on one model a stream
whose listener has half a second left can wait behind one that has ten seconds buffered. Each
waiter here names a *deadline* — the monotonic time (s) at which its listener's audio runs out,
or the time of the request for a first piece — and the earliest deadline goes first
(earliest-deadline-first scheduling). Ties keep arrival order.
"""

from __future__ import annotations

import heapq
import itertools
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from .errors import SynthesisCancelled

POLL_S = 0.05  # how often a waiter that may give up checks whether it should


class Turns:
    """Up to ``slots`` holders at once; waiters are served earliest deadline first."""

    def __init__(self, slots: int = 1) -> None:
        if slots < 1:
            raise ValueError(f"slots must be at least 1, got {slots}")
        self.slots = slots
        self._cond = threading.Condition(threading.Lock())
        self._busy = 0
        self._waiting: list[tuple[float, int]] = []
        self._tickets = itertools.count()

    @property
    def waiting(self) -> int:
        """How many callers are waiting for a turn."""
        with self._cond:
            return len(self._waiting)

    @property
    def busy(self) -> int:
        """How many callers hold a turn."""
        with self._cond:
            return self._busy

    def acquire(self, deadline: float | None = None, give_up: Callable[[], bool] | None = None) -> None:
        """Wait for a turn. ``deadline`` defaults to now: ahead of every listener with audio left.

        Raises SynthesisCancelled, without taking a turn, once ``give_up()`` is true.
        """
        ticket = (time.monotonic() if deadline is None else deadline, next(self._tickets))
        with self._cond:
            heapq.heappush(self._waiting, ticket)
            try:
                while self._busy >= self.slots or self._waiting[0] != ticket:
                    if give_up is not None and give_up():
                        raise SynthesisCancelled("synthesis cancelled while waiting for the voice")
                    self._cond.wait(POLL_S if give_up is not None else None)
            except BaseException:
                self._waiting.remove(ticket)
                heapq.heapify(self._waiting)
                self._cond.notify_all()  # the head may have changed
                raise
            heapq.heappop(self._waiting)
            self._busy += 1
            if self._busy < self.slots and self._waiting:
                self._cond.notify_all()  # a slot is still free for the new head

    def release(self) -> None:
        with self._cond:
            if self._busy == 0:
                raise RuntimeError("release() without a turn")
            self._busy -= 1
            self._cond.notify_all()

    @contextmanager
    def turn(
        self, deadline: float | None = None, give_up: Callable[[], bool] | None = None
    ) -> Iterator[None]:
        """``with turns.turn(deadline):`` — hold a turn for the block."""
        self.acquire(deadline, give_up)
        try:
            yield
        finally:
            self.release()
