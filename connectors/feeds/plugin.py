"""Live feeds as a Voxflow plugin (entry point ``feeds``): the ``feeds:`` settings, where job
runners publish, and ``WS /v1/feeds/{channel}``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from connectors.config import FeedsConfig
from connectors.feeds.process import ProcessFeeds
from integrator.config import Settings
from integrator.plugins import Connector

if TYPE_CHECKING:
    from fastapi import FastAPI

    from integrator.jobs.abc import FeedPublisher


class FeedsPlugin(Connector):
    name = "feeds"
    sections: ClassVar[Mapping[str, Any]] = {"feeds": FeedsConfig}

    def __init__(self, settings: Settings) -> None:
        super().__init__(settings)
        self.feeds = ProcessFeeds(settings)

    def feed_publisher(self) -> FeedPublisher | None:
        return self.feeds.publisher()

    def install_routes(self, app: FastAPI) -> None:
        from connectors.feeds import route

        route.install(app, self.feeds.listening_hub())

    def close(self) -> None:
        self.feeds.close()
