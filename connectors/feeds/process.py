"""This process's feed hub, and where its job runners publish: the hub itself, or Redis when
workers run on other machines (then a bridge feeds the hub from Redis)."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from connectors.feeds.hub import FeedHub
from connectors.feeds.redis_transport import RedisFeedBridge, RedisFeedPublisher
from integrator.jobs.abc import FeedPublisher

if TYPE_CHECKING:
    from integrator.config import Settings


LOCAL_HUB = FeedHub()
_bridges: dict[str, RedisFeedBridge] = {}
_publishers: dict[str, RedisFeedPublisher] = {}
_lock = threading.Lock()


def _redis_url(settings: Settings) -> str | None:
    cfg = settings.feeds
    if cfg.backend == "redis" or (cfg.backend == "auto" and settings.jobs.backend == "redis"):
        return cfg.redis_url or settings.jobs.redis_url
    return None


def publisher_for(settings: Settings) -> FeedPublisher:
    """Where this process's job runners publish."""
    url = _redis_url(settings)
    if url is None:
        return hub_for(settings)
    with _lock:
        if url not in _publishers:
            _publishers[url] = RedisFeedPublisher(url)
        return _publishers[url]


def hub_for(settings: Settings) -> FeedHub:
    """The hub listeners of this process subscribe to (with the Redis bridge when feeds cross machines)."""
    LOCAL_HUB.listener_queue = settings.feeds.listener_queue
    LOCAL_HUB.max_waiting_bytes = settings.feeds.max_waiting_bytes
    LOCAL_HUB.replay_s = settings.feeds.replay_s
    url = _redis_url(settings)
    if url is not None:
        with _lock:
            if url not in _bridges:
                _bridges[url] = RedisFeedBridge(LOCAL_HUB, url).start()
    return LOCAL_HUB
