"""The composition step: what one process (or one app) builds from its settings and its connectors.

``serve``, ``worker`` and each CLI command call :func:`compose` once and pass the result down;
nothing is kept in module globals, so two apps with different settings live side by side.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from integrator.config import Settings
from integrator.plugins import Connector, LinkCheck, PluginError, SinkFactory, discover
from integrator.policy import text_policy
from tts_engine.policy import TextPolicy

if TYPE_CHECKING:
    from fastapi import FastAPI

    from integrator.jobs.abc import FeedPublisher
    from integrator.jobs.kinds import JobKind
    from integrator.jobs.runs import LocalRuns
    from integrator.jobs.service import JobService
    from integrator.jobs.workers import WorkerHandle
    from tts_engine.engine import Engine
    from tts_engine.registry import VoiceRegistry

C = TypeVar("C", bound=Connector)


@dataclass
class Services:
    """``settings`` as this process sees them (connectors' default sinks and schedules added),
    the connector instances, what they contribute to jobs, schedules and the app, and the text
    policy the process's engine screens every text with (``build_engine(settings, policy)``)."""

    settings: Settings
    connectors: tuple[Connector, ...] = ()
    sink_types: dict[str, SinkFactory] = field(default_factory=dict)
    kinds: dict[str, JobKind] = field(default_factory=dict)
    actions: dict[str, Callable[..., Any]] = field(default_factory=dict)
    feeds: FeedPublisher | None = None
    runs: LocalRuns = field(default_factory=lambda: _local_runs())
    policy: TextPolicy = field(default_factory=TextPolicy)

    def connector(self, kind: type[C]) -> C:
        """This process's instance of connector ``kind``."""
        for c in self.connectors:
            if isinstance(c, kind):
                return c
        raise LookupError(f"connector {kind.name!r} is not installed")

    def job_service(
        self, *, voices: Collection[str] | VoiceRegistry | None = None, backend: str | None = None
    ) -> JobService:
        from integrator.jobs.service import JobService

        return JobService.from_settings(
            self.settings, voices=voices, backend=backend, kinds=self.kinds, runs=self.runs
        )

    def worker_handle(
        self, engine: Engine, *, workers: int, run_schedules: bool, service: JobService | None = None
    ) -> WorkerHandle:
        """Job workers (not started) with the connectors' sinks, kinds, actions and feeds."""
        from integrator.jobs.workers import WorkerHandle

        return WorkerHandle(
            self.settings, engine, workers=workers, run_schedules=run_schedules,
            service=service or self.job_service(voices=engine.registry),
            sink_types=self.sink_types, kinds=self.kinds, actions=self.actions, feeds=self.feeds,
        )

    def install_routes(self, app: FastAPI) -> None:
        for c in self.connectors:
            c.install_routes(app)

    def public_paths(self) -> list[str]:
        return [p for c in self.connectors for p in c.public_paths()]

    def link_check(self) -> LinkCheck | None:
        checks = [check for c in self.connectors if (check := c.link_check()) is not None]

        def any_link(path: str, query: str) -> bool | None:
            verdicts = [check(path, query) for check in checks]
            return None if all(v is None for v in verdicts) else any(bool(v) for v in verdicts)

        return any_link if checks else None

    def close(self) -> None:
        for c in self.connectors:
            c.close()


def _local_runs() -> LocalRuns:
    from integrator.jobs.runs import LocalRuns

    return LocalRuns()


def with_connector_jobs(settings: Settings, connectors: Sequence[type[Connector]]) -> Settings:
    """A copy of ``settings`` whose ``jobs.sinks`` and ``jobs.schedules`` carry the connectors'
    defaults (entries configured by hand win). ``settings`` itself is unchanged."""
    sinks: dict[str, dict[str, Any]] = {}
    schedules = list(settings.jobs.schedules)
    ids = {s.id for s in schedules}
    for cls in connectors:
        sinks.update(cls.default_sinks(settings))
        for s in cls.default_schedules(settings):
            if s.id not in ids:
                schedules.append(s)
                ids.add(s.id)
    jobs = settings.jobs.model_copy(
        update={"sinks": {**sinks, **settings.jobs.sinks}, "schedules": schedules}
    )
    return settings.model_copy(update={"jobs": jobs})


def _merge(into: dict[str, Any], more: Mapping[str, Any], what: str, owner: str) -> None:
    for key, value in more.items():
        if key in into:
            raise PluginError(f"{what} {key!r} of connector {owner!r} is already contributed")
        into[key] = value


def compose(settings: Settings, connectors: Sequence[type[Connector]] | None = None) -> Services:
    """Build this process's connectors (default: the installed ones) and gather what they give."""
    kinds_of = discover() if connectors is None else list(connectors)
    effective = with_connector_jobs(settings, kinds_of)
    policy = text_policy(settings.policy)  # first: a bad deny list stops start-up before anything opens
    services = Services(effective, tuple(cls(effective) for cls in kinds_of), policy=policy)
    services.actions["jobs.submit"] = _submit_action()
    for c in services.connectors:
        _merge(services.sink_types, c.sink_types(), "sink type", c.name)
        _merge(services.kinds, c.job_kinds(), "job kind", c.name)
        _merge(services.actions, c.actions(), "schedule action", c.name)
        publisher = c.feed_publisher()
        if publisher is not None:
            if services.feeds is not None:
                raise PluginError(f"connector {c.name!r}: a feed publisher is already contributed")
            services.feeds = publisher
    return services


def _submit_action() -> Callable[..., Any]:
    from integrator.jobs.schedules import submit_job

    return submit_job
