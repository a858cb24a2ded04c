"""The Feishu connector as a Voxflow plugin (entry point ``feishu``): the ``feishu:`` settings,
the Bitable and chat sinks, the ``feishu-poll`` schedule and its action, the event webhook and
``voxflow feishu``. With ``feishu.enabled: false`` it contributes only its settings and commands.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from integrator.config import ScheduleConfig, Settings
from integrator.plugins import Connector, SinkFactory

from .config import CHAT_SINK, RECORD_SINK, FeishuConfig
from .runtime import FeishuRuntime

if TYPE_CHECKING:
    import typer
    from fastapi import FastAPI

    from integrator.jobs.schedules import ActionContext

POLL_SCHEDULE = "feishu-poll"
POLL_ACTION = "feishu.poll"


def _config(settings: Settings) -> FeishuConfig:
    return settings.section("feishu", FeishuConfig)


class FeishuPlugin(Connector):
    name = "feishu"
    sections: ClassVar[Mapping[str, Any]] = {"feishu": FeishuConfig}

    def __init__(self, settings: Settings) -> None:
        super().__init__(settings)
        self.cfg = _config(settings)
        self.runtime = FeishuRuntime(settings)

    @classmethod
    def default_sinks(cls, settings: Settings) -> Mapping[str, dict[str, Any]]:
        if not _config(settings).enabled:
            return {}
        return {RECORD_SINK: {"type": RECORD_SINK}, CHAT_SINK: {"type": CHAT_SINK}}

    @classmethod
    def default_schedules(cls, settings: Settings) -> Sequence[ScheduleConfig]:
        cfg = _config(settings)
        if not cfg.enabled:
            return ()
        return (ScheduleConfig(id=POLL_SCHEDULE, interval_seconds=cfg.poll_interval_s, action=POLL_ACTION),)

    def sink_types(self) -> Mapping[str, SinkFactory]:
        if not self.cfg.enabled:
            return {}
        rt = self.runtime

        def bitable(name: str, options: dict[str, Any]) -> Any:
            from .sinks import BitableSink

            return BitableSink(name, lambda: rt.connector)

        def chat(name: str, options: dict[str, Any]) -> Any:
            from .sinks import ChatSink

            return ChatSink(name, lambda: rt.connector)

        return {RECORD_SINK: bitable, CHAT_SINK: chat}

    def actions(self) -> Mapping[str, Callable[..., Any]]:
        return {POLL_ACTION: self.poll_action} if self.cfg.enabled else {}

    def poll_action(self, ctx: ActionContext) -> dict[str, int]:
        """The ``feishu-poll`` schedule: a pass over the tables, failures written back, events drained."""
        report = self.runtime.poll(ctx.jobs)
        self.runtime.drain(ctx.jobs)
        return {"queued": report.queued, "waiting": report.waiting, "failed": report.failed}

    def _events(self) -> bool:
        return self.cfg.enabled and self.cfg.mode != "poll"

    def install_routes(self, app: FastAPI) -> None:
        if self._events():
            from . import routes

            routes.install(app, self.runtime)

    def public_paths(self) -> Sequence[str]:
        # Feishu cannot send our API key: the webhook checks Feishu's own signature instead.
        from .routes import EVENTS_PATH

        return (EVENTS_PATH,) if self._events() else ()

    @classmethod
    def add_commands(cls, cli: typer.Typer) -> None:
        from .cli import app

        cli.add_typer(app, name="feishu")

    def close(self) -> None:
        self.runtime.stop()
