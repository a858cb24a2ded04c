"""Sinks deliver finished artifacts; the delivery table makes each (job, sink) happen once.

Configured by name in ``jobs.sinks`` ({name: {type: ..., ...}}); a job names the sinks it
wants. ``file`` and ``memory`` are built in; connectors add sink types (integrator.plugins).
"""

from __future__ import annotations

import os
import shutil
import threading
import uuid
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from .abc import DeliveryRejected, Receipt, Sink
from .job import Job
from .store import JobStore

SinkFactory = Callable[[str, dict[str, Any]], Sink]


class FileSink(Sink):
    """Copies the artifact to ``directory/<job id>.<ext>`` (temp file, then rename: same name on a re-run)."""

    def __init__(self, key: str, directory: Path) -> None:
        self.key = key
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)

    def deliver(self, job: Job, artifact: Path, params: dict[str, Any]) -> Receipt:
        target = self.directory / artifact.name
        tmp = self.directory / f".{artifact.name}.{uuid.uuid4().hex[:8]}.part"
        try:
            shutil.copyfile(artifact, tmp)
            os.replace(tmp, target)
        finally:
            tmp.unlink(missing_ok=True)
        return Receipt(self.key, str(target), {"bytes": target.stat().st_size})


class MemorySink(Sink):
    """The in-memory twin: keeps every delivery; ``fail_first`` makes the first N calls raise
    a transient error, ``reject`` makes every call refuse for good."""

    def __init__(self, key: str = "memory", *, fail_first: int = 0, reject: str | None = None) -> None:
        self.key = key
        self.fail_first = fail_first
        self.reject = reject
        self.calls: list[tuple[str, bytes, dict[str, Any]]] = []
        self._lock = threading.Lock()

    def deliver(self, job: Job, artifact: Path, params: dict[str, Any]) -> Receipt:
        with self._lock:
            if self.reject:
                self.calls.append((job.id, b"", dict(params)))
                raise DeliveryRejected(f"{self.key}: {self.reject}")
            if self.fail_first > 0:
                self.fail_first -= 1
                raise ConnectionError(f"{self.key}: simulated delivery failure")
            self.calls.append((job.id, artifact.read_bytes(), dict(params)))
            n = len(self.calls)
        return Receipt(self.key, f"{self.key}#{n}", {"bytes": artifact.stat().st_size})


def builtin_sink_types() -> dict[str, SinkFactory]:
    return {
        "file": lambda name, opts: FileSink(name, Path(opts["directory"])),
        "memory": lambda name, opts: MemorySink(name),
    }


def build_sinks(
    config: Mapping[str, Mapping[str, Any]], types: Mapping[str, SinkFactory] | None = None
) -> dict[str, Sink]:
    """Sinks from ``jobs.sinks`` with the built-in types and ``types`` (connectors' own); an unknown
    type or a missing option fails here, at start-up."""
    known_types = {**builtin_sink_types(), **(types or {})}
    sinks: dict[str, Sink] = {}
    for name, options in config.items():
        opts = dict(options)
        kind = opts.pop("type", None)
        factory = known_types.get(str(kind))
        if factory is None:
            known = ", ".join(sorted(known_types))
            raise ValueError(f"jobs.sinks.{name}: unknown type {kind!r}; known: {known}")
        try:
            sinks[name] = factory(name, opts)
        except KeyError as exc:
            raise ValueError(f"jobs.sinks.{name}: missing option {exc.args[0]!r}") from None
    return sinks


def deliver_once(
    store: JobStore, sink: Sink, job: Job, artifact: Path, params: dict[str, Any]
) -> dict[str, Any]:
    """Deliver unless the delivery table says it was done; returns the receipt either way."""
    record = store.begin_delivery(job.id, sink.key)
    if record.status == "delivered":
        assert record.receipt is not None
        return record.receipt
    try:
        receipt = sink.deliver(job, artifact, params).as_dict()
    except DeliveryRejected as exc:
        # Recorded failed with its reason; `voxflow jobs retry` makes it pending again.
        store.fail_delivery(job.id, sink.key, str(exc), final=True)
        raise
    except Exception as exc:
        store.fail_delivery(job.id, sink.key, f"{type(exc).__name__}: {exc}")
        raise
    store.complete_delivery(job.id, sink.key, receipt)
    return receipt
