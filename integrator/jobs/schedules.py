"""Scheduled actions (connector polls, nightly batches) with APScheduler 3 and a persistent job store.

``jobs.schedules`` in config.yaml lists ``{id, cron | interval_seconds, action, args}``. ``action``
is a name in the process's :class:`ActionRegistry` (``jobs.submit`` and connectors' actions,
called as ``fn(context, **args)``) or a dotted callable (``pkg.module:function`` or
``pkg.module.function``, called as ``fn(**args)``).

Schedules live in the job database (table ``voxflow_schedules``), so a restart keeps each
one's next run time; with ``coalesce`` and ``misfire_grace_time`` runs missed while the
process was down fire once (if recent enough), never as a burst. Exactly one process may run
the schedules — ``voxflow serve`` does; ``voxflow worker`` does not.
"""

from __future__ import annotations

import logging
import pkgutil
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor as Pool
from dataclasses import dataclass
from typing import Any, TypeVar

from apscheduler.executors.pool import BasePoolExecutor
from apscheduler.job import Job as ScheduledRun
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from integrator.config import ScheduleConfig, Settings

from .job import JobSpec, Priority
from .service import JobService

log = logging.getLogger(__name__)
F = TypeVar("F", bound=Callable[..., Any])
TABLE = "voxflow_schedules"


@dataclass(frozen=True)
class ActionContext:
    """What a registered action gets: the settings and the job service of the scheduling process."""

    settings: Settings
    jobs: JobService


class ActionRegistry:
    """Named actions schedules can run (``jobs.submit`` and what connectors contribute)."""

    def __init__(self, named: Mapping[str, Callable[..., Any]] | None = None) -> None:
        self._actions: dict[str, Callable[..., Any]] = dict(named or {})

    def register(self, name: str) -> Callable[[F], F]:
        def decorator(fn: F) -> F:
            if name in self._actions and self._actions[name] is not fn:
                raise ValueError(f"action {name!r} is already registered")
            self._actions[name] = fn
            return fn

        return decorator

    def names(self) -> list[str]:
        return sorted(self._actions)

    def resolve(self, action: str) -> tuple[Callable[..., Any], bool]:
        """The callable for ``action`` and whether it is a registered one (which takes the context)."""
        fn = self._actions.get(action)
        if fn is not None:
            return fn, True
        if "." not in action and ":" not in action:
            raise LookupError(f"unknown action {action!r}; registered: {', '.join(self.names()) or 'none'}")
        try:
            target = pkgutil.resolve_name(action)
        except (ImportError, AttributeError, ValueError) as exc:
            raise LookupError(f"cannot import action {action!r}: {exc}") from None
        if not callable(target):
            raise LookupError(f"action {action!r} is not callable")
        return target, False


def run_action(action: str, args: dict[str, Any]) -> Any:
    """The function every stored schedule names (a module-level name, so the job store can pickle
    it). :class:`_ActionExecutor` runs the action with its process's context instead."""
    raise RuntimeError(f"action {action!r} ran outside the Schedules that own it")


class _BoundRun:
    """A stored schedule run, calling its action with this process's context (APScheduler's
    ``run_job`` reads func, args, kwargs and the rest from it)."""

    def __init__(self, job: ScheduledRun, func: Callable[[], Any]) -> None:
        self._job = job
        self.func = func
        self.args: tuple[Any, ...] = ()
        self.kwargs: dict[str, Any] = {}

    def __getattr__(self, name: str) -> Any:
        return getattr(self._job, name)

    def __str__(self) -> str:
        return str(self._job)


class _ActionExecutor(BasePoolExecutor):
    """APScheduler's thread pool executor, running stored runs with one Schedules' context and
    registry: no module global says which Schedules a stored run belongs to."""

    def __init__(self, context: ActionContext, registry: ActionRegistry, workers: int = 4) -> None:
        super().__init__(Pool(workers))
        self.context = context
        self.registry = registry

    def call(self, action: str, args: dict[str, Any]) -> Any:
        fn, registered = self.registry.resolve(action)
        return fn(self.context, **args) if registered else fn(**args)

    def _do_submit_job(self, job: ScheduledRun, run_times: list[Any]) -> None:
        action, args = job.args
        super()._do_submit_job(_BoundRun(job, lambda: self.call(action, args)), run_times)


def submit_job(ctx: ActionContext, **spec: Any) -> str:
    """Queue a job from a schedule's args (a JobSpec; source defaults to "schedule", priority to batch)."""
    data = {"source": "schedule", "priority": Priority.BATCH, **spec}
    job, _ = ctx.jobs.submit(JobSpec.model_validate(data))
    return job.id


def trigger_for(schedule: ScheduleConfig) -> BaseTrigger:
    if schedule.cron is not None:
        return CronTrigger.from_crontab(schedule.cron)
    assert schedule.interval_seconds is not None
    return IntervalTrigger(seconds=schedule.interval_seconds)


class Schedules:
    def __init__(
        self, settings: Settings, jobs: JobService, registry: ActionRegistry | None = None
    ) -> None:
        self.settings = settings
        self.jobs = jobs
        self.registry = registry if registry is not None else ActionRegistry({"jobs.submit": submit_job})
        self.scheduler: BackgroundScheduler | None = None

    def start(self) -> None:
        cfg = self.settings.jobs
        for s in cfg.schedules:
            self.registry.resolve(s.action)  # an unknown action fails at start-up, not at 2 am
        scheduler = BackgroundScheduler(
            jobstores={"default": SQLAlchemyJobStore(engine=self.jobs.store.engine, tablename=TABLE)},
            executors={"default": _ActionExecutor(ActionContext(self.settings, self.jobs), self.registry)},
            job_defaults={
                "coalesce": True, "misfire_grace_time": cfg.misfire_grace_seconds, "max_instances": 1,
            },
        )
        scheduler.start(paused=True)  # reconcile with the config before anything fires
        self.scheduler = scheduler
        self._sync(cfg.schedules)
        scheduler.resume()

    def _sync(self, schedules: list[ScheduleConfig]) -> None:
        assert self.scheduler is not None
        wanted = {s.id: s for s in schedules}
        for job in self.scheduler.get_jobs():
            if job.id not in wanted:
                log.info("schedule %s is no longer configured; removed", job.id)
                job.remove()
        for s in schedules:
            trigger = trigger_for(s)
            args = (s.action, s.args)
            existing = self.scheduler.get_job(s.id)
            if existing is not None and (str(existing.trigger), tuple(existing.args)) == (str(trigger), args):
                continue  # unchanged: keep its stored next run time
            self.scheduler.add_job(run_action, trigger, args=args, id=s.id, name=s.id, replace_existing=True)

    def next_runs(self) -> dict[str, Any]:
        assert self.scheduler is not None
        return {job.id: job.next_run_time for job in self.scheduler.get_jobs()}

    def stop(self) -> None:
        if self.scheduler is not None:
            self.scheduler.shutdown(wait=False)
            self.scheduler = None
