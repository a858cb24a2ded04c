"""The jobs running in this process and how each is stopped (cancel, timeout, shutdown, lost lease)."""

from __future__ import annotations

import os
import socket
import threading
from dataclasses import dataclass
from enum import StrEnum


class StopReason(StrEnum):
    CANCEL = "cancel"  # the job was cancelled: it ends cancelled
    TIMEOUT = "timeout"  # it ran past its time limit: a failed attempt
    SHUTDOWN = "shutdown"  # this worker is stopping: the job goes back to the queue
    LOST = "lost"  # the lease is no longer ours: stop and write nothing


@dataclass
class Run:
    """One job running in this process: how to stop it, and why it was stopped."""

    job_id: str
    cancel: threading.Event
    reason: StopReason | None = None

    def stop(self, reason: StopReason) -> None:
        if self.reason is None:
            self.reason = reason
        self.cancel.set()


class LocalRuns:
    """The jobs running in this process, so a cancel from the API in the same process acts at once
    instead of at the worker's next heartbeat."""

    def __init__(self) -> None:
        self._runs: dict[str, Run] = {}
        self._lock = threading.Lock()

    def add(self, run: Run) -> None:
        with self._lock:
            self._runs[run.job_id] = run

    def discard(self, run: Run) -> None:
        with self._lock:
            if self._runs.get(run.job_id) is run:
                del self._runs[run.job_id]

    def cancel(self, job_id: str) -> bool:
        with self._lock:
            run = self._runs.get(job_id)
        if run is None:
            return False
        run.stop(StopReason.CANCEL)
        return True


def worker_name() -> str:
    """This process, as leases name it: host and pid."""
    return f"{socket.gethostname()}:{os.getpid()}"
