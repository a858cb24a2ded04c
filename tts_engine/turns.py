"""Who synthesizes next on a voice: a lock that serves a listener about to run out of audio first.

A plain lock wakes waiters in no particular order, so with many streams on one model a stream
whose listener has half a second left can wait behind one that has ten seconds buffered. Each
waiter here names a *deadline*: the monotonic time (s) at which its listener's audio runs out,
or the time of the request for a first piece. Waiters due within URGENT_S go first, earliest
deadline first; the others take turns in arrival order, which shares the model evenly.

Pure earliest-deadline-first was tried and measured worse under a steady stream of new
requests: each new first piece is due at once, so running streams were served only at the
last moment, fell behind at the slightest delay, and held their admission slots longer.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from .errors import SynthesisCancelled

URGENT_S = 1.0  # a listener with less audio than this left goes before the round
POLL_S = 0.05  # how often a waiter looks again: urgency changes with time


class Turns:
    """Up to ``slots`` holders at once; urgent waiters earliest deadline first, the rest in turn."""

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
        """Wait for a turn. ``deadline`` defaults to now: due at once.

        Raises SynthesisCancelled, without taking a turn, once ``give_up()`` is true.
        """
        ticket = (time.monotonic() if deadline is None else deadline, next(self._tickets))
        with self._cond:
            self._waiting.append(ticket)
            try:
                while self._busy >= self.slots or self._next() != ticket:
                    if give_up is not None and give_up():
                        raise SynthesisCancelled("synthesis cancelled while waiting for the voice")
                    self._cond.wait(POLL_S)
            except BaseException:
                self._waiting.remove(ticket)
                self._cond.notify_all()  # the next one may have changed
                raise
            self._waiting.remove(ticket)
            self._busy += 1
            if self._busy < self.slots and self._waiting:
                self._cond.notify_all()  # a slot is still free for the next one

    def _next(self) -> tuple[float, int]:
        """The waiter to serve now: the earliest urgent deadline, else the earliest arrival."""
        due = time.monotonic() + URGENT_S
        return min(self._waiting, key=lambda t: (0, t[0], t[1]) if t[0] < due else (1, t[1], 0.0))

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
