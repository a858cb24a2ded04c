"""Style and voice per cue: a ``[cheerful]`` prefix moves the prosody Praat hears, ``--style``
sets it for the whole file, and speaker labels pick the voices of the speaker table."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from connectors.dubbing.dubber import DubOptions
from connectors.dubbing.run import Result, dub
from connectors.dubbing.subtitles import SubtitleError
from tests.connectors.dubbing.dubbing_helpers import speech_between
from tts_engine.engine import Engine
from tts_engine.prosody.expression import Expression
from tts_engine.prosody.measure import Heard, hear
from tts_engine.types import SynthesisOptions

SENTENCE = "今天下午我们一起去公园散步吧。"
STYLED = f"""1
00:00:00,500 --> 00:00:04,500
{SENTENCE}

2
00:00:05,000 --> 00:00:09,000
[cheerful] {SENTENCE}

3
00:00:09,500 --> 00:00:13,500
[开心 0.5] {SENTENCE}
"""
# The same words for Alice and Bob, so only the voice differs; Dave has no voice in the table.
SPEAKERS = """WEBVTT

00:00:00.500 --> 00:00:03.000
<v Alice>Good morning, everyone.

00:00:03.500 --> 00:00:06.000
<v Bob>Good morning, everyone.

00:00:06.500 --> 00:00:09.000
Carol: Shall we begin?

00:00:09.500 --> 00:00:12.000
<v Dave>Who am I?
"""


def heard_cues(result: Result) -> list[Heard]:
    samples, rate = sf.read(result.path, dtype="float32")
    out = []
    for placed in result.placed:
        span = speech_between(samples, rate, placed.task.slot.start_ms, placed.task.slot.room_end_ms)
        assert span is not None
        out.append(hear(samples[round(span[0] * rate / 1000) : round(span[1] * rate / 1000)], rate))
    return out


def test_a_style_prefix_moves_the_prosody_of_its_cue(fast: Engine, tmp_path: Path) -> None:
    plain, cheerful, half = heard_cues(dub(fast, STYLED, DubOptions(), tmp_path / "a.wav", "wav"))
    moved, moved_half = cheerful.against(plain), half.against(plain)
    assert moved["pitch_st"] >= 1.5 and moved["range"] >= 1.1, moved
    assert 0.3 <= moved_half["pitch_st"] <= moved["pitch_st"] - 0.3, (moved_half, moved)
    # the whole file's style applies to cues without a prefix; a prefix still wins
    sad, cheerful_again, _ = heard_cues(dub(fast, STYLED, DubOptions(style="sad"), tmp_path / "b.wav", "wav"))
    assert sad.against(plain)["pitch_st"] <= -1.0
    assert cheerful_again.against(cheerful)["pitch_st"] == pytest.approx(0.0, abs=0.3)


def test_unknown_styles_are_refused_naming_the_cue_or_the_option(fast: Engine, tmp_path: Path) -> None:
    with pytest.raises(SubtitleError) as caught:
        dub(fast, STYLED.replace("[cheerful]", "[jolly]"), DubOptions(), tmp_path / "x.wav", "wav")
    assert str(caught.value).startswith("cue 2 (00:00:05,000 --> 00:00:09,000): unknown style 'jolly'")
    with pytest.raises(Exception, match="unknown style 'jolly'") as option:
        dub(fast, STYLED, DubOptions(style="jolly"), tmp_path / "x.wav", "wav")
    assert getattr(option.value, "field", None) == "style"
    assert not (tmp_path / "x.wav").exists()


def test_speaker_labels_pick_their_voices(fast: Engine, tmp_path: Path) -> None:
    speakers = {"Alice": "espeak-en", "Bob": "en-piper-joe", "Carol": "espeak-en"}
    options = DubOptions(voice="espeak-zh", speakers=speakers)  # the file's voice for everyone else
    result = dub(fast, SPEAKERS, options, tmp_path / "s.wav", "wav")
    assert [p.task.voice for p in result.placed] == ["espeak-en", "en-piper-joe", "espeak-en", "espeak-zh"]
    assert [p.task.line.text for p in result.placed][2] == "Shall we begin?"  # the label is not spoken
    assert result.notes == ["speaker 'Dave' has no voice in the speaker table; the file's voice speaks"]
    samples, rate = sf.read(result.path, dtype="float32")
    track = [samples[round(p.start_ms * rate / 1000) : round(p.end_ms * rate / 1000)] for p in result.placed]

    def alone(voice: str) -> np.ndarray:
        options = SynthesisOptions(sample_rate=rate, expression=Expression())
        return fast.synthesize("Good morning, everyone.", voice, options).samples

    # Alice and Bob say the same words: each sounds like their own voice, not the other's
    espeak, piper = spectrum(alone("espeak-en"), rate), spectrum(alone("en-piper-joe"), rate)
    alice, bob = spectrum(track[0], rate), spectrum(track[1], rate)
    assert distance(alice, espeak) < distance(alice, piper) and distance(bob, piper) < distance(bob, espeak)


def spectrum(samples: np.ndarray, rate: int, n: int = 1024) -> np.ndarray:
    """The long-term average spectrum in dB, 100 Hz-8 kHz: a voice's timbre, whatever it says."""
    frames = np.lib.stride_tricks.sliding_window_view(samples, n)[:: n // 2] * np.hanning(n)
    power = np.mean(np.abs(np.fft.rfft(frames, axis=1)) ** 2, axis=0)
    hz = np.fft.rfftfreq(n, 1 / rate)
    db = 10 * np.log10(power[(hz >= 100) & (hz <= 8000)] + 1e-12)
    return db - db.mean()


def distance(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.mean(np.abs(a - b)))
