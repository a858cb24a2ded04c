"""Prometheus metrics of the job system, per process (workers count what they do).

They live in a registry of their own; :func:`register_into` adds them to the service's
registry (its /metrics), and `voxflow worker --metrics-port` serves them on their own.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram

REGISTRY = CollectorRegistry()
CACHE_HITS = Counter("voxflow_jobs_cache_hits", "Jobs whose audio came from the cache.", registry=REGISTRY)
CACHE_MISSES = Counter("voxflow_jobs_cache_misses", "Jobs whose audio was synthesized.", registry=REGISTRY)
JOBS_FINISHED = Counter(
    "voxflow_jobs_finished", "Job attempts that ended, by outcome.", ["outcome"], registry=REGISTRY
)
QUEUE_WAIT = Histogram(
    "voxflow_jobs_queue_wait_seconds", "Time from (re)queueing to a worker starting the job.",
    buckets=(0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300), registry=REGISTRY,
)
CHARACTERS = Counter("voxflow_jobs_characters", "Characters synthesized by job workers.", registry=REGISTRY)
_ALL = (CACHE_HITS, CACHE_MISSES, JOBS_FINISHED, QUEUE_WAIT, CHARACTERS)


def register_into(registry: CollectorRegistry) -> None:
    """Expose the job metrics through another registry too (idempotent)."""
    for collector in _ALL:
        try:
            registry.register(collector)
        except ValueError:  # already there
            pass


def cache_hit_ratio() -> float | None:
    """Hits / (hits + misses) in this process, None before the first lookup."""
    hits = CACHE_HITS._value.get()
    total = hits + CACHE_MISSES._value.get()
    return hits / total if total else None
