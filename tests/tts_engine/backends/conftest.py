from __future__ import annotations

from collections.abc import Callable

import pytest

from tts_engine.backend import Backend
from tts_engine.backends.catalog import builtin_backends


@pytest.fixture(scope="session")
def loaded() -> Callable[[str], Backend]:
    """Loads each built-in voice at most once per test session (models take seconds to load)."""
    factories = builtin_backends({"device": "cpu"})
    cache: dict[str, Backend] = {}

    def get(voice_id: str) -> Backend:
        if voice_id not in cache:
            backend = factories[voice_id]()
            backend.ensure_loaded()
            cache[voice_id] = backend
        return cache[voice_id]

    return get
