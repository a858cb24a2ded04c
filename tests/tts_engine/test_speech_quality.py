"""Round trip through Whisper: the default voices must say the words, numbers included."""

from __future__ import annotations

from pathlib import Path

import pytest

from tts_engine.engine import Engine
from tts_engine.scoring import Listener, comparable, error_rate

pytestmark = [pytest.mark.slow, pytest.mark.quality]

ZH = (
    "2026年11月21日下午3:30，项目组召开了季度会议。今年的销售收入增长了15.5%，"
    "达到1,280万元。会议决定下周一发布新版本，请大家提前做好准备。"
)
EN = (
    "On November 21, 2026, the team met at 3:30 pm to review the quarter. "
    "Revenue grew by 15.5 percent to $1,280 per customer. "
    "The new release will ship next Monday, so please be ready."
)


def test_default_mandarin_voice_is_understood(engine: Engine, multilingual_whisper: Path) -> None:
    voice = engine.default_voices["zh"]
    result = engine.synthesize(ZH, voice)
    heard = Listener(multilingual_whisper).hear(result.samples, result.sample_rate, "zh")
    cer = error_rate(ZH, heard, "zh")
    print(f"{voice}: CER {cer:.3f}\nref {comparable(ZH, 'zh')}\nhyp {comparable(heard, 'zh')}")
    assert cer <= 0.08


def test_default_english_voice_is_understood(engine: Engine, multilingual_whisper: Path) -> None:
    voice = engine.default_voices["en"]
    result = engine.synthesize(EN, voice)
    heard = Listener(multilingual_whisper).hear(result.samples, result.sample_rate, "en")
    wer = error_rate(EN, heard, "en")
    print(f"{voice}: WER {wer:.3f}\nref {comparable(EN, 'en')}\nhyp {comparable(heard, 'en')}")
    assert wer <= 0.05
