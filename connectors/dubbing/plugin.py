"""Subtitle dubbing as a Voxflow plugin (entry point ``dubbing``): the ``dubbing:`` settings, the
``dub`` job kind and ``voxflow dub``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from integrator.plugins import Connector

from .config import DubbingConfig

if TYPE_CHECKING:
    import typer

    from integrator.jobs.kinds import JobKind


class DubbingPlugin(Connector):
    name = "dubbing"
    sections: ClassVar[Mapping[str, Any]] = {"dubbing": DubbingConfig}

    def job_kinds(self) -> Mapping[str, JobKind]:
        from .job import KIND, DubKind

        return {KIND: DubKind(self.settings)}

    @classmethod
    def add_commands(cls, cli: typer.Typer) -> None:
        from .cli import dub

        cli.command("dub")(dub)
