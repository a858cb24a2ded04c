"""Round trip through Whisper: the default voices must say the words, numbers included."""

from __future__ import annotations

import re
from pathlib import Path

import jiwer
import numpy as np
import pytest
import soxr
import zhconv

from tts_engine.engine import Engine
from tts_engine.text.normalize_en import normalize_en
from tts_engine.text.normalize_zh import normalize_zh

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


def transcribe(model_dir: str, samples: np.ndarray, rate: int, language: str) -> str:
    from faster_whisper import WhisperModel

    model = WhisperModel(model_dir, device="cpu", compute_type="int8")
    audio = soxr.resample(samples.astype(np.float32), rate, 16000)
    segments, _ = model.transcribe(audio, language=language, beam_size=5, vad_filter=False)
    return "".join(s.text for s in segments)


def zh_chars(text: str) -> str:
    text = normalize_zh(zhconv.convert(text, "zh-cn"))
    return re.sub(r"[^\u4e00-\u9fff]", "", text)


def en_words(text: str) -> str:
    # Whisper writes "3:30 pm" as "3.30pm"; read both the same way before scoring.
    text = re.sub(r"\b(\d{1,2})[.:](\d{2})\s*([ap])\.?m\b\.?", r"\1:\2 \3m", text, flags=re.I)
    text = normalize_en(text.replace("-", " ")).lower()
    text = re.sub(r"\b([ap]) m\b", r"\1m", text)
    return " ".join(re.sub(r"[^a-z' ]", " ", text).split())


def test_default_mandarin_voice_is_understood(engine: Engine, multilingual_whisper: Path) -> None:
    voice = engine.default_voices["zh"]
    result = engine.synthesize(ZH, voice)
    heard = transcribe(str(multilingual_whisper), result.samples, result.sample_rate, "zh")
    ref, hyp = zh_chars(ZH), zh_chars(heard)
    cer = jiwer.cer(ref, hyp)
    print(f"{voice}: CER {cer:.3f}\nref {ref}\nhyp {hyp}")
    assert cer <= 0.08


def test_default_english_voice_is_understood(engine: Engine, multilingual_whisper: Path) -> None:
    voice = engine.default_voices["en"]
    result = engine.synthesize(EN, voice)
    heard = transcribe(str(multilingual_whisper), result.samples, result.sample_rate, "en")
    ref, hyp = en_words(EN), en_words(heard)
    wer = jiwer.wer(ref, hyp)
    print(f"{voice}: WER {wer:.3f}\nref {ref}\nhyp {hyp}")
    assert wer <= 0.05
