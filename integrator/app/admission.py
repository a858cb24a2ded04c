"""Bounded admission per voice: a few streams synthesize at once, a few more wait, the rest are turned away.

A CPU voice shared by many streams gets slower for all of them; refusing early with a retry hint
keeps latency bounded for the streams that are admitted instead of letting requests pile up.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from integrator.config import ServerConfig, VoiceLimits


class Busy(Exception):
    """Every slot and waiting place of a voice is taken."""

    code = "busy"

    def __init__(self, voice_id: str, retry_after_s: int) -> None:
        super().__init__(f"voice {voice_id} is busy; try again in {retry_after_s} s")
        self.voice_id = voice_id
        self.retry_after_s = retry_after_s


@dataclass
class _Gate:
    slots: asyncio.Semaphore
    queue: int
    active: int = 0
    waiting: int = 0


class Slot:
    """The right to stream one request on one voice; release it exactly once (extra calls are no-ops)."""

    def __init__(self, release: Callable[[], None]) -> None:
        self._release: Callable[[], None] | None = release

    def release(self) -> None:
        if self._release is not None:
            release, self._release = self._release, None
            release()


GaugeHook = Callable[[str, int, int], None]


class Admission:
    """Per-voice limits from ``server.concurrency`` / ``server.queue`` (or ``server.voice_limits``,
    whose entries name a voice or a backend; see :meth:`ServerConfig.gate`).

    ``backend_of(voice_id)`` names a voice's backend, for limits shared by a backend's voices.
    ``on_change(gate, active, waiting)`` is called whenever the counts move (for metrics); a gate
    is named by the voice id, or by the backend when its voices share one.
    """

    def __init__(
        self,
        config: ServerConfig,
        on_change: GaugeHook | None = None,
        backend_of: Callable[[str], str | None] | None = None,
    ) -> None:
        self._config = config
        self._gates: dict[str, _Gate] = {}
        self._on_change = on_change
        self._backend_of = backend_of

    def counts(self, voice_id: str) -> tuple[int, int]:
        """(streaming, waiting) at the gate ``voice_id`` passes."""
        gate = self._gates.get(self._key(voice_id)[0])
        return (gate.active, gate.waiting) if gate else (0, 0)

    def _key(self, voice_id: str) -> tuple[str, VoiceLimits]:
        return self._config.gate(voice_id, self._backend_of(voice_id) if self._backend_of else None)

    def _gate(self, voice_id: str) -> tuple[str, _Gate]:
        key, limits = self._key(voice_id)
        gate = self._gates.get(key)
        if gate is None:
            gate = self._gates[key] = _Gate(asyncio.Semaphore(limits.concurrency), limits.queue)
        return key, gate

    def _changed(self, key: str, gate: _Gate) -> None:
        if self._on_change is not None:
            self._on_change(key, gate.active, gate.waiting)

    async def acquire(self, voice_id: str, abort: asyncio.Event | None = None) -> Slot | None:
        """Wait for a slot. Raises :class:`Busy` when the waiting places are full too.

        Returns ``None`` when ``abort`` is set while waiting (a WebSocket client cancelled).
        Callers must only pass voice ids that exist, so the gate table stays bounded.
        """
        key, gate = self._gate(voice_id)
        if gate.slots.locked():
            if gate.waiting >= gate.queue:
                raise Busy(voice_id, self._config.retry_after_s)
            gate.waiting += 1
            self._changed(key, gate)
            try:
                if not await _acquire_unless(gate.slots, abort):
                    return None
            finally:
                gate.waiting -= 1
                self._changed(key, gate)
        else:
            await gate.slots.acquire()
        gate.active += 1
        self._changed(key, gate)

        def release() -> None:
            gate.active -= 1
            gate.slots.release()
            self._changed(key, gate)

        return Slot(release)


async def _acquire_unless(slots: asyncio.Semaphore, abort: asyncio.Event | None) -> bool:
    if abort is None:
        await slots.acquire()
        return True
    acquiring = asyncio.ensure_future(slots.acquire())
    aborting = asyncio.ensure_future(abort.wait())
    try:
        await asyncio.wait({acquiring, aborting}, return_when=asyncio.FIRST_COMPLETED)
    except BaseException:
        _drop(slots, acquiring)
        raise
    finally:
        aborting.cancel()
    if abort.is_set():
        _drop(slots, acquiring)
        return False
    return True


def _drop(slots: asyncio.Semaphore, acquiring: asyncio.Future[Any]) -> None:
    """Give up a pending acquire, handing the slot back if it was granted meanwhile."""
    if not acquiring.done():
        acquiring.cancel()
    elif not acquiring.cancelled() and acquiring.exception() is None:
        slots.release()
