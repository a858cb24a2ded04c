"""Live feeds moved to the :mod:`connectors.feeds` package; this name keeps older imports working."""

from connectors.feeds import (
    CHANNEL,
    CLOSE_TOO_SLOW,
    LOCAL_HUB,
    REDIS_PREFIX,
    ROUTE,
    FeedHub,
    Listener,
    Message,
    RedisFeedBridge,
    RedisFeedPublisher,
    Replay,
    hub_for,
    install,
    publisher_for,
    router,
)

__all__ = [
    "CHANNEL",
    "CLOSE_TOO_SLOW",
    "LOCAL_HUB",
    "REDIS_PREFIX",
    "ROUTE",
    "FeedHub",
    "Listener",
    "Message",
    "RedisFeedBridge",
    "RedisFeedPublisher",
    "Replay",
    "hub_for",
    "install",
    "publisher_for",
    "router",
]
