"""A server with signed hooks and a recording callback receiver, shared by the webhook and callback tests."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.connectors.connectors_helpers import API_KEY, Receiver, Stack, make_settings, stack

SECRET = "orders-secret-0123456789"
OTHER = "hook-secret-abcdef"


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    r = Receiver().start()
    yield r
    r.stop()


@pytest.fixture(scope="module")
def hooked(receiver: Receiver) -> Iterator[Stack]:
    """Hooks: orders (secret from the environment, text at data.content, idempotency header), flaky
    (callback that fails twice), down (callback that always fails), inline (base64 audio), dynamic
    (callback URL from the payload), spoken (plain WAV), calm (a style of its own, another from the
    body at mood.name and mood.level). The API needs a key; hooks and signed links do not."""
    os.environ["VOXFLOW_HOOK_ORDERS_SECRET"] = f"old-secret-rotating,{SECRET}"
    local = {"allow_hosts": ["127.0.0.1"]}
    hooks = {
        "orders": {
            "text_path": "data.content",
            "voice": "tone-en",
            "format": "mp3",
            "idempotency_header": "X-Request-Id",
        },
        "flaky": {
            "secret": OTHER,
            "text_path": "text",
            "format": "wav",
            "callback": {"url": receiver.on("/flaky", 500, 503, 200), **local},
        },
        "down": {
            "secret": OTHER,
            "text_path": "text",
            "callback": {"url": receiver.on("/down", 500), **local},
        },
        "inline": {
            "secret": OTHER,
            "text_path": "text",
            "format": "opus",
            "callback": {"url": receiver.on("/inline", 200), "audio": "base64", **local},
        },
        "spoken": {"secret": OTHER, "text_path": "text", "voice": "tone-zh", "format": "wav"},
        "calm": {
            "secret": OTHER,
            "text_path": "text",
            "voice": "tone-zh",
            "format": "wav",
            "style": "calm",
            "style_path": "mood.name",
            "intensity_path": "mood.level",
        },
        "dynamic": {
            "secret": OTHER,
            "text_path": "message.body",
            "idempotency_path": "message.id",
            "callback": {"url_path": "reply_to", **local},
        },
    }
    settings = make_settings(
        hooks=hooks,
        server={"api_keys": [API_KEY]},
        callbacks={
            "allow_networks": ["127.0.0.1/32"],
            "attempts": 3,
            "backoff_s": 0.05,
            "max_backoff_s": 0.1,
        },
    )
    try:
        with stack(settings) as s:
            settings.callbacks.public_url = s.url  # known once the server has its port
            yield s
    finally:
        del os.environ["VOXFLOW_HOOK_ORDERS_SECRET"]
