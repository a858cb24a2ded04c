"""One process's feeds: its hub, and where its job runners publish: the hub itself, or Redis when
workers run on other machines (then a bridge feeds the hub from Redis)."""

from __future__ import annotations

import threading

from connectors.config import feeds_of
from connectors.feeds.hub import FeedHub
from connectors.feeds.redis_transport import RedisFeedBridge, RedisFeedPublisher
from integrator.config import Settings
from integrator.jobs.abc import FeedPublisher


def redis_url(settings: Settings) -> str | None:
    """Redis pub/sub carries feeds when asked to, or by default when jobs cross machines."""
    cfg = feeds_of(settings)
    if cfg.backend == "redis" or (cfg.backend == "auto" and settings.jobs.backend == "redis"):
        return cfg.redis_url or settings.jobs.redis_url
    return None


class ProcessFeeds:
    """The hub listeners of this process subscribe to and this process's publisher; made by the
    feeds plugin, one per composed process. Redis connections open when first used."""

    def __init__(self, settings: Settings) -> None:
        cfg = feeds_of(settings)
        self.hub = FeedHub(cfg.listener_queue, cfg.max_waiting_bytes, cfg.replay_s)
        self.url = redis_url(settings)
        self._publisher: RedisFeedPublisher | None = None
        self._bridge: RedisFeedBridge | None = None
        self._lock = threading.Lock()

    def publisher(self) -> FeedPublisher:
        """Where this process's job runners publish."""
        if self.url is None:
            return self.hub
        with self._lock:
            if self._publisher is None:
                self._publisher = RedisFeedPublisher(self.url)
            return self._publisher

    def listening_hub(self) -> FeedHub:
        """The hub the route serves, bridged from Redis when feeds cross machines."""
        if self.url is not None:
            with self._lock:
                if self._bridge is None:
                    self._bridge = RedisFeedBridge(self.hub, self.url).start()
        return self.hub

    def close(self) -> None:
        with self._lock:
            if self._bridge is not None:
                self._bridge.stop()
                self._bridge = None
            if self._publisher is not None:
                self._publisher.close()
                self._publisher = None
