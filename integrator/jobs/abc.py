"""The interfaces behind jobs, each with swappable implementations and an in-memory twin for tests.

* ``Broker`` carries job ids to workers (Huey on SQLite, Redis or memory: broker.py).
* ``Sink`` delivers a finished artifact somewhere (file, memory; later Feishu, chat, callbacks: sinks.py).
* ``AudioCache`` keeps encoded audio by normalized request (diskcache or memory: cache.py).
* ``FeedPublisher`` lets listeners hear a job while it is synthesized (connectors/feeds/).
"""

from __future__ import annotations

import abc
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .job import Job

Handler = Callable[[str], None]


class Consumers(abc.ABC):
    """Worker threads taking job ids from a broker."""

    @abc.abstractmethod
    def stop_taking(self) -> None:
        """Take no new message; a job already taken runs on."""

    @abc.abstractmethod
    def join(self, timeout: float) -> bool:
        """Wait for the threads to end; True when they all have."""

    @abc.abstractmethod
    def check_health(self) -> None:
        """Replace threads that died."""


class Broker(abc.ABC):
    """A durable queue of job ids. Messages are hints: the job row says whether there is work.

    A message may be delivered more than once or lost with a dying worker; the store's
    conditional claim and the sweeper make both harmless.
    """

    name: str

    @abc.abstractmethod
    def enqueue(self, job_id: str, priority: int = 0, delay: float = 0.0) -> None:
        """Queue ``job_id``; higher ``priority`` is taken first; ``delay`` seconds before it is due."""

    @abc.abstractmethod
    def pending(self) -> int:
        """Messages waiting (not counting delayed ones)."""

    @abc.abstractmethod
    def consume(self, handler: Handler, workers: int, live_workers: int = 0) -> Consumers:
        """Start ``workers`` threads calling ``handler(job_id)`` for each message, and ``live_workers``
        more that only take live-priority jobs (so those never wait for a batch to finish)."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release connections."""


@dataclass(frozen=True)
class Receipt:
    """What a sink did: ``ref`` identifies the delivered thing (a path, a message id)."""

    sink: str
    ref: str
    detail: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"sink": self.sink, "ref": self.ref, "detail": self.detail}


class DeliveryRejected(Exception):
    """A sink's destination refused the artifact for a reason retrying cannot fix (a missing
    column, no permission): the job fails at once with this reason instead of backing off."""

    code = "delivery_rejected"

    def __init__(self, message: str, code: str | None = None) -> None:
        super().__init__(message)
        if code:
            self.code = code


class Sink(abc.ABC):
    """Delivers a job's artifact. ``deliver`` runs at most once per (job, sink key) to completion:
    the delivery table remembers completed deliveries. A worker that dies mid-delivery makes the
    next attempt call ``deliver`` again, so implementations should be idempotent on their side
    too (same target name, or the remote's idempotency key derived from the job id)."""

    key: str

    @abc.abstractmethod
    def deliver(self, job: Job, artifact: Path, params: dict[str, Any]) -> Receipt:
        """Deliver ``artifact`` (a complete file) for ``job``; ``params`` come from the job's sink request."""

    def notify_failure(  # noqa: B027 - optional hook
        self, job: Job, params: dict[str, Any], status: str, code: str, message: str
    ) -> None:
        """The job ended ``failed`` or ``dead`` and will deliver nothing; a sink may say so (best effort)."""


class AudioCache(abc.ABC):
    """Encoded audio by cache key, with a size cap."""

    @abc.abstractmethod
    def get_to(self, key: str, dest: Path) -> bool:
        """Copy the entry for ``key`` to ``dest``; False on a miss."""

    @abc.abstractmethod
    def put_from(self, key: str, src: Path, duration_ms: float | None = None) -> None:
        """Store the file ``src`` under ``key``, with the length of its audio."""

    @abc.abstractmethod
    def duration(self, key: str) -> float | None:
        """The length stored with ``key``'s entry, or None (no entry, or stored without one)."""

    @abc.abstractmethod
    def __len__(self) -> int: ...

    @abc.abstractmethod
    def volume(self) -> int:
        """Bytes held."""

    def close(self) -> None:  # noqa: B027 - optional hook
        pass


class FeedWriter(abc.ABC):
    """One job's audio on a live channel, in the order the runner makes it."""

    @abc.abstractmethod
    def sentence(self, index: int, text: str, offset_ms: float) -> None:
        """Sentence ``index`` (0-based across the job) starts at ``offset_ms`` of the job's audio."""

    @abc.abstractmethod
    def audio(self, pcm: bytes) -> None:
        """More audio: s16le mono at the sample rate given to :meth:`FeedPublisher.open`."""

    @abc.abstractmethod
    def end(
        self, duration_ms: float, *, cancelled: bool = False, error: tuple[str, str] | None = None
    ) -> None:
        """The job's audio is over (``error``: code and message when it failed)."""


class FeedPublisher(abc.ABC):
    """Where runners publish jobs that name a ``feed``: one synthesis, heard by every listener."""

    @abc.abstractmethod
    def open(self, channel: str, job_id: str, *, sample_rate: int, voice: str) -> FeedWriter: ...

    def close(self) -> None:  # noqa: B027 - optional hook
        pass
