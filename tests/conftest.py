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


def pytest_sessionstart(session: pytest.Session) -> None:
    """Connectors are found through the package's entry points: an install made before they were
    declared finds none, and every connector test would fail for that one reason."""
    from integrator.plugins import discover

    if not discover():
        pytest.exit(
            "no Voxflow connectors are installed (entry points voxflow.connectors): "
            "run `pip install -e .` (./dev setup does) after pyproject.toml changes",
            returncode=4,
        )
