"""Signed webhooks as a Voxflow plugin (entry point ``webhooks``): the ``hooks:`` settings and
``POST /v1/hooks/{name}``, which checks each hook's own signature instead of an API key."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from integrator.plugins import Connector

from ..config import HookTable

if TYPE_CHECKING:
    from fastapi import FastAPI


PREFIX = "/v1/hooks/"


class WebhooksPlugin(Connector):
    name = "webhooks"
    sections: ClassVar[Mapping[str, Any]] = {"hooks": HookTable}

    def install_routes(self, app: FastAPI) -> None:
        from . import routes

        routes.install(app, self.settings)

    def public_paths(self) -> Sequence[str]:
        return (PREFIX,)
