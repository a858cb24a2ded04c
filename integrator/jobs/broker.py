"""Huey as the job broker: SqliteHuey (embedded), PriorityRedisHuey (many machines), MemoryHuey (tests).

Priorities: SqliteStorage orders by ``priority desc``; plain RedisHuey refuses priorities, so
Redis uses PriorityRedisHuey (a sorted set popped with BZPOPMIN, Redis >= 5); MemoryStorage
keeps a heap. All three take the highest priority first and FIFO within one priority.

Delays (retry back-off) use Huey's own schedule, moved to the queue by the consumer's
scheduler thread (1 s resolution).
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any, ClassVar

from huey import MemoryHuey, PriorityRedisHuey, SqliteHuey
from huey.api import Huey
from huey.consumer import Consumer
from huey.storage import SqliteStorage

from integrator.config import JobsConfig

from .abc import Broker, Consumers, Handler
from .job import Priority

TASK_NAME = "voxflow.run_job"


class _WakingSqliteStorage(SqliteStorage):
    """SqliteStorage whose idle workers wait on a condition instead of Huey's growing sleep.

    An enqueue from this process wakes them at once (embedded mode: the API and the workers
    share the process); one from another process is seen within ``poll_seconds``.
    """

    blocking = True  # Huey's worker then calls dequeue() back to back and we do the waiting
    # One condition per queue file, shared by every storage on it in this process (the API's
    # and the workers' Huey instances are separate objects).
    _conditions: ClassVar[dict[str, threading.Condition]] = {}
    _conditions_lock = threading.Lock()

    def __init__(self, *args: Any, poll_seconds: float = 0.02, **kwargs: Any) -> None:
        self._poll = poll_seconds
        super().__init__(*args, **kwargs)
        key = f"{Path(self.filename).resolve()}#{self.name}"
        with self._conditions_lock:
            self._wake = self._conditions.setdefault(key, threading.Condition())

    def _create_connection(self) -> Any:
        conn = super()._create_connection()
        # WAL + NORMAL: no fsync per message. A message lost to a power cut is re-sent by the
        # sweeper, because the job row, not the message, is the job's source of truth.
        conn.execute("pragma synchronous=1")
        return conn

    def enqueue(self, data: bytes, priority: float | None = None) -> None:
        super().enqueue(data, priority)
        with self._wake:
            self._wake.notify()

    def dequeue(self) -> bytes | None:
        data = super().dequeue()
        if data is None:
            with self._wake:
                self._wake.wait(self._poll)
        return data


class _QuietConsumer(Consumer):
    """A Huey consumer that leaves signal handling to its host (uvicorn, `voxflow worker`)."""

    def _set_signal_handlers(self) -> None:
        pass


class HueyConsumers(Consumers):
    """The worker threads of one or more Huey consumers, stopped and joined together."""

    def __init__(self, consumers: list[Consumer]) -> None:
        self._consumers = consumers

    def stop_taking(self) -> None:
        for c in self._consumers:
            c.stop_flag.set()

    def join(self, timeout: float) -> bool:
        threads = [t for c in self._consumers for t in [*(w for _, w in c.worker_threads), c.scheduler]]
        deadline = time.monotonic() + timeout
        for t in threads:
            t.join(max(0.0, deadline - time.monotonic()))
        return not any(t.is_alive() for t in threads)

    def check_health(self) -> None:
        for c in self._consumers:
            if not c.stop_flag.is_set():
                c.check_worker_health()


class _Lane:
    """One Huey queue carrying ``run_job(job_id)`` messages."""

    def __init__(self, huey: Huey, dispatch: Handler, poll_seconds: float) -> None:
        self.huey = huey
        self.task = huey.task(name=TASK_NAME)(dispatch)
        self.poll = poll_seconds

    def enqueue(self, job_id: str, priority: int, delay: float) -> None:
        if delay > 0:
            self.task.schedule((job_id,), delay=delay, priority=priority)
        else:
            self.huey.enqueue(self.task.s(job_id, priority=priority))

    def consumer(self, workers: int) -> Consumer:
        consumer = _QuietConsumer(
            self.huey, workers=workers, periodic=False, worker_type="thread",
            # Non-blocking storages (memory) poll at a fixed short interval instead of backing off to 10 s.
            initial_delay=self.poll, backoff=1.0, max_delay=self.poll, check_worker_health=True,
        )
        consumer.start()
        return consumer

    def close(self) -> None:
        close = getattr(self.huey.storage, "close", None)
        if close is not None:
            close()


class HueyBroker(Broker):
    """Job ids through Huey; a message is ``run_job(job_id)`` and nothing else.

    Priority orders the main queue, but a worker busy with an hour-long book does not stop for a
    live request. So jobs at ``live_priority`` or above are also sent to a live lane with threads
    of its own (``live_workers``): whichever message comes first claims the job, the other finds
    it taken and does nothing.
    """

    def __init__(
        self, huey: Huey, *, live: Huey | None = None, live_priority: int = Priority.LIVE,
        poll_seconds: float = 0.02,
    ) -> None:
        self.huey = huey
        self.name = type(huey).__name__
        self.live_priority = live_priority
        self._handler: Handler | None = None
        self._main = _Lane(huey, self._dispatch, poll_seconds)
        self._live = _Lane(live, self._dispatch, poll_seconds) if live is not None else None

    def _dispatch(self, job_id: str) -> None:
        if self._handler is None:
            raise RuntimeError("a message arrived at a broker with no consumer handler")
        self._handler(job_id)

    def enqueue(self, job_id: str, priority: int = 0, delay: float = 0.0) -> None:
        self._main.enqueue(job_id, priority, delay)
        if self._live is not None and priority >= self.live_priority:
            self._live.enqueue(job_id, priority, delay)

    def pending(self) -> int:
        return int(self.huey.pending_count())

    def consume(self, handler: Handler, workers: int, live_workers: int = 0) -> Consumers:
        self._handler = handler
        consumers = [self._main.consumer(workers)] if workers > 0 else []
        if self._live is not None and live_workers > 0:
            consumers.append(self._live.consumer(live_workers))
        return HueyConsumers(consumers)

    def close(self) -> None:
        self._main.close()
        if self._live is not None:
            self._live.close()


def make_broker(cfg: JobsConfig, data_dir: Path, *, backend: str | None = None) -> HueyBroker:
    """The broker ``jobs.backend`` names (``backend`` overrides it; ``memory`` is the test twin)."""
    kind = backend or cfg.backend
    common: dict[str, Any] = {"results": False, "utc": True}

    def queue(name: str) -> Huey:
        if kind == "sqlite":
            data_dir.mkdir(parents=True, exist_ok=True)
            return SqliteHuey(
                name, filename=str(data_dir / "huey.db"), storage_class=_WakingSqliteStorage,
                poll_seconds=cfg.poll_seconds, **common,
            )
        if kind == "redis":
            # BZPOPMIN wakes at once on new work; the timeout only bounds how fast an idle worker stops.
            return PriorityRedisHuey(name, url=cfg.redis_url, read_timeout=0.25, **common)
        if kind == "memory":
            return MemoryHuey(name, **common)
        raise ValueError(f"unknown jobs backend {kind!r}")

    live = queue(f"{cfg.queue_name}_live")
    return HueyBroker(queue(cfg.queue_name), live=live, poll_seconds=cfg.poll_seconds)

