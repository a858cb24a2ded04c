from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from typing import Any

import pytest

from tests.integrator.servekit import Running, running_server, tone_engine, tone_settings, tone_voices


@pytest.fixture(scope="module")
def server() -> Iterator[Running]:
    """One tone-voice server shared by a module's tests (default limits, no keys)."""
    voices = tone_voices()
    with running_server(
        tone_settings(max_body_bytes=64 * 1024), tone_engine(voices, max_chars=2000), voices
    ) as s:
        yield s


@pytest.fixture
def start_server() -> Iterator[Callable[..., Running]]:
    """A fresh tone-voice server with the given ``server:`` settings, stopped after the test."""
    with ExitStack() as stack:

        def start(*, slow_delay_s: float = 0.05, wait_ready: bool = True, **server: Any) -> Running:
            voices = tone_voices(slow_delay_s)
            settings = tone_settings(**server)
            return stack.enter_context(
                running_server(settings, tone_engine(voices), voices, wait_ready=wait_ready)
            )

        yield start
