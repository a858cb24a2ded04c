"""Whisper hears acronyms inside Chinese as letters, said by the Chinese voice."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tts_engine.engine import Engine
from tts_engine.scoring import Listener

pytestmark = [pytest.mark.slow, pytest.mark.quality]

TEXT = "本季度的OKR和KPI已经更新，请把PPT发给HR和CEO审阅。"
ACRONYMS = ("OKR", "KPI", "PPT", "HR", "CEO")


def letters(heard: str) -> str:
    return re.sub(r"[^A-Z]", "", heard.upper())


def test_the_default_chinese_voice_spells_acronyms(engine: Engine, multilingual_whisper: Path) -> None:
    voice = engine.default_voices["zh"]
    result = engine.synthesize(TEXT, voice)
    heard = Listener(multilingual_whisper).hear(result.samples, result.sample_rate, "zh")
    print(f"{voice}: {heard}")
    found = [a for a in ACRONYMS if a in letters(heard)]
    assert len(found) >= len(ACRONYMS) - 1, f"heard {heard!r}"
