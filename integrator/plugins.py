"""The connector plugin interface: what a connector hands a Voxflow process.

A connector is a package that registers a :class:`Connector` subclass under the
``voxflow.connectors`` entry point group (``[project.entry-points."voxflow.connectors"]`` in its
pyproject.toml). :func:`discover` finds them; ``integrator.services.compose`` makes one
instance of each per process from the settings and gathers what they contribute: settings
sections, job sinks, job kinds, schedule actions and schedules, routes, a live-feed publisher,
signed-link checks and CLI commands. Nothing in ``integrator`` names a connector.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from importlib.metadata import entry_points
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from integrator.config import ScheduleConfig, Settings, load_settings

if TYPE_CHECKING:
    import typer
    from fastapi import FastAPI

    from integrator.jobs.abc import FeedPublisher, Sink
    from integrator.jobs.kinds import JobKind

ENTRY_POINTS = "voxflow.connectors"
SinkFactory = Callable[[str, dict[str, Any]], "Sink"]
# (path, query) -> None when the query carries no link signature, else whether it is a valid link.
LinkCheck = Callable[[str, str], bool | None]


class PluginError(Exception):
    """A connector that cannot be loaded or that clashes with another one."""


class Connector:
    """One process's instance of a connector, built from that process's settings.

    Subclasses set ``name`` and ``sections`` and override what they contribute; by default a
    connector contributes nothing. Instances hold the connector's own state (threads, clients),
    so two processes, or two apps in one process, never share it.
    """

    name: ClassVar[str]
    # Settings sections this connector owns: top-level key -> its type (a pydantic model, or any
    # type pydantic validates). load_settings validates each section with it.
    sections: ClassVar[Mapping[str, Any]] = {}

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    # -- jobs --------------------------------------------------------------
    @classmethod
    def default_sinks(cls, settings: Settings) -> Mapping[str, dict[str, Any]]:
        """``jobs.sinks`` entries added unless configured by hand (name -> {type: ...})."""
        return {}

    @classmethod
    def default_schedules(cls, settings: Settings) -> Sequence[ScheduleConfig]:
        """``jobs.schedules`` entries added unless one with the same id is configured."""
        return ()

    def sink_types(self) -> Mapping[str, SinkFactory]:
        """Sink types: ``{type: name}`` in ``jobs.sinks`` builds a sink with ``factory(name, options)``."""
        return {}

    def job_kinds(self) -> Mapping[str, JobKind]:
        return {}

    def actions(self) -> Mapping[str, Callable[..., Any]]:
        """Schedule actions, called as ``fn(context, **args)``."""
        return {}

    def feed_publisher(self) -> FeedPublisher | None:
        """Where job runners publish audio for live listeners, if this connector carries feeds."""
        return None

    # -- the HTTP service ----------------------------------------------------
    def install_routes(self, app: FastAPI) -> None:
        """Add routes to the app (``app.state.jobs`` is the app's job service)."""

    def public_paths(self) -> Sequence[str]:
        """Paths reachable without an API key (the connector checks its own signature); a path
        ending in ``/`` is a prefix."""
        return ()

    def link_check(self) -> LinkCheck | None:
        return None

    # -- the command line ------------------------------------------------------
    @classmethod
    def add_commands(cls, cli: typer.Typer) -> None:
        """Add ``voxflow`` subcommands; each builds what it needs from its own settings."""

    def close(self) -> None:
        """Stop what the instance started (threads, connections)."""


def discover() -> list[type[Connector]]:
    """The connectors installed in this environment, in name order."""
    found: list[type[Connector]] = []
    for ep in sorted(entry_points(group=ENTRY_POINTS), key=lambda e: e.name):
        try:
            cls = ep.load()
        except Exception as exc:
            raise PluginError(f"connector {ep.name!r} ({ep.value}) cannot be loaded: {exc}") from exc
        if not (isinstance(cls, type) and issubclass(cls, Connector)):
            raise PluginError(f"connector {ep.name!r} ({ep.value}) is not an integrator.plugins.Connector")
        found.append(cls)
    return found


def sections_of(connectors: Sequence[type[Connector]]) -> dict[str, Any]:
    """Every settings section the connectors own; two connectors owning one section is an error."""
    owned: dict[str, Any] = {}
    owner: dict[str, str] = {}
    for cls in connectors:
        for key, model in cls.sections.items():
            if key in owner and owner[key] != cls.name:
                raise PluginError(f"settings section {key!r} is claimed by {owner[key]} and {cls.name}")
            owned[key], owner[key] = model, cls.name
    return owned


def load_installed_settings(
    path: str | Path | None = None, connectors: Sequence[type[Connector]] | None = None
) -> Settings:
    """:func:`integrator.config.load_settings` with the sections of ``connectors`` (default: the
    installed ones) validated now, so a bad section stops a process at start-up."""
    return load_settings(path, sections_of(discover() if connectors is None else connectors))
