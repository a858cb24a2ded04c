"""Audiobooks as a Voxflow plugin (entry point ``audiobook``): the ``audiobook:`` settings, the
``audiobook`` job kind, the ``audiobook.batch`` schedule action and ``voxflow batch``."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from integrator.plugins import Connector

from ..config import AudiobookConfig

if TYPE_CHECKING:
    import typer

    from integrator.jobs.kinds import JobKind


class AudiobookPlugin(Connector):
    name = "audiobook"
    sections: ClassVar[Mapping[str, Any]] = {"audiobook": AudiobookConfig}

    def job_kinds(self) -> Mapping[str, JobKind]:
        from .job import KIND, AudiobookKind

        return {KIND: AudiobookKind(self.settings)}

    def actions(self) -> Mapping[str, Callable[..., Any]]:
        from .job import batch_action

        return {"audiobook.batch": batch_action}

    @classmethod
    def add_commands(cls, cli: typer.Typer) -> None:
        from .cli import batch

        cli.command("batch")(batch)
