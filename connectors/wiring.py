"""How the webhook, callback, feed and audiobook connectors hook into a process.

:func:`install` runs whenever settings load (integrator.config.install_connectors), in every
process: it keeps the settings for the ``callback`` sink and the ``audiobook`` job kind, adds the
``callback`` sink to ``jobs.sinks``, and registers the ``audiobook.batch`` schedule action when a
schedule uses it. It imports nothing heavy: the modules load when first used.
:func:`install_routes` adds ``POST /v1/hooks/{name}`` and ``WS /v1/feeds/{channel}`` to the app.
"""

from __future__ import annotations

import threading
from importlib import import_module
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fastapi import FastAPI

    from integrator.config import Settings

    from .signing import LinkSigner

CALLBACK_SINK = "callback"
_current: Settings | None = None
_links: dict[tuple[str, str], LinkSigner] = {}
_lock = threading.Lock()


def install(settings: Settings) -> None:
    global _current
    _current = settings
    settings.jobs.sinks.setdefault(CALLBACK_SINK, {"type": "callback"})
    if any(s.action.startswith("audiobook.") for s in settings.jobs.schedules):
        import_module("connectors.audiobook.job")  # registers the audiobook.batch action


def current() -> Settings:
    """The settings this process loaded last (the sinks and job kinds built from them read these)."""
    if _current is None:
        raise RuntimeError(
            "connector settings are not installed: load them with integrator.config.load_settings"
        )
    return _current


def links(settings: Settings) -> LinkSigner:
    """The signer of audio links for ``settings`` (one per data dir and configured secret)."""
    from .signing import LinkSigner

    secret = settings.callbacks.link_secret.get_secret_value()
    key = (str(settings.data_dir.resolve()), secret)
    with _lock:
        if key not in _links:
            _links[key] = LinkSigner.from_config(secret, settings.data_dir / "link.key")
        return _links[key]


def install_routes(app: FastAPI, settings: Settings) -> None:
    from .feeds import route as feeds
    from .webhook import routes

    routes.install(app, settings)
    feeds.install(app, settings)
