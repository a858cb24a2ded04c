"""Durable jobs: a job table (SQLAlchemy) as the source of truth, Huey carrying job ids to workers,
an audio cache, sinks that deliver once, and APScheduler schedules.

Modules: job (types), models and store (the database), abc (interfaces), broker (Huey),
runner (one job), workers (hosting, upkeep, shutdown), cache, artifacts, sinks, retry,
schedules, service (facade), metrics. Their REST routes: integrator/app/job_routes.py; their
commands (`voxflow jobs`, `voxflow worker`): integrator/jobs_cli.py.

Names below are imported lazily so `voxflow say` does not pay for the job stack.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_EXPORTS = {
    "Job": "job", "JobSpec": "job", "JobStatus": "job", "Priority": "job",
    "JobStore": "store", "JobService": "service", "JobRunner": "runner",
    "WorkerHandle": "workers", "start_embedded_workers": "workers", "run_worker": "workers",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f"{__name__}.{module}"), name)
