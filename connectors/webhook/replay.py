"""Replay protection: a signature is accepted once within its tolerance window.

The timestamp check throws out anything older than the window; inside it, the guard
remembers each signature it has accepted, in the job database so every server process sharing
it (and a restarted one) refuses the same request a second time.
"""

from __future__ import annotations

import abc
import threading
import time

from sqlalchemy import Engine, Float, String, delete
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

PRUNE_EVERY_S = 60.0


class ReplayGuard(abc.ABC):
    @abc.abstractmethod
    def first_use(self, key: str, window_s: float) -> bool:
        """Remember ``key`` for ``window_s`` seconds; False when it is already remembered."""


class MemoryReplayGuard(ReplayGuard):
    """The in-memory twin, for tests and single-process use."""

    def __init__(self) -> None:
        self._seen: dict[str, float] = {}
        self._lock = threading.Lock()

    def first_use(self, key: str, window_s: float) -> bool:
        now = time.time()
        with self._lock:
            self._seen = {k: t for k, t in self._seen.items() if t > now}
            if key in self._seen:
                return False
            self._seen[key] = now + window_s
            return True


class _Base(DeclarativeBase):
    pass


class SeenRow(_Base):
    __tablename__ = "voxflow_hook_signatures"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    forget_at: Mapped[float] = mapped_column(Float, index=True)


class SqlReplayGuard(ReplayGuard):
    """Signatures in a table of the job database: the primary key makes the second insert fail."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        _Base.metadata.create_all(engine)
        self._pruned = 0.0

    def first_use(self, key: str, window_s: float) -> bool:
        now = time.time()
        if now - self._pruned > PRUNE_EVERY_S:
            self._pruned = now
            with Session(self.engine) as s, s.begin():
                s.execute(delete(SeenRow).where(SeenRow.forget_at < now))
        try:
            with Session(self.engine) as s, s.begin():
                s.add(SeenRow(key=key, forget_at=now + window_s))
            return True
        except IntegrityError:
            # Remembered, unless that entry outlived its window and waits for the next prune.
            with Session(self.engine) as s, s.begin():
                gone = s.execute(delete(SeenRow).where(SeenRow.key == key, SeenRow.forget_at < now))
                if gone.rowcount:  # type: ignore[attr-defined]
                    s.add(SeenRow(key=key, forget_at=now + window_s))
                    return True
            return False
