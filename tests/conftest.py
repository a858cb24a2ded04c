from __future__ import annotations

from collections.abc import Iterator

import pytest

from integrator.config import load_settings
from integrator.runtime import build_engine
from tts_engine.engine import Engine


@pytest.fixture(scope="session")
def engine() -> Iterator[Engine]:
    """The engine on the embedded defaults, shared by every test that needs real voices."""
    yield build_engine(load_settings())
