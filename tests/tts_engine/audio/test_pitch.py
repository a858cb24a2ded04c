import numpy as np
import parselmouth
import pytest

from tts_engine.audio.pitch import reshape

RATE = 16000


def voiced(hz: np.ndarray) -> np.ndarray:
    """A buzzy vowel-like sound following the pitch track ``hz`` (one value per sample)."""
    phase = 2 * np.pi * np.cumsum(hz) / RATE
    wave = sum(np.sin(k * phase) / k for k in range(1, 12))
    return (0.2 * wave).astype(np.float32)


def pitch_semitones(x: np.ndarray) -> np.ndarray:
    f = parselmouth.Sound(x.astype(np.float64), RATE).to_pitch(0.01, 60, 600).selected_array["frequency"]
    return 12 * np.log2(f[f > 0] / 100)


def test_shift_moves_the_median_and_keeps_the_length() -> None:
    x = voiced(np.full(RATE, 180.0))
    up = reshape(x, RATE, shift_st=3.0)
    assert len(up) == len(x)
    assert np.median(pitch_semitones(up)) - np.median(pitch_semitones(x)) == pytest.approx(3.0, abs=0.3)


def test_range_scales_excursions_around_the_median() -> None:
    glide = 150 * 2 ** (np.sin(np.linspace(0, 4 * np.pi, 2 * RATE)) * 4 / 12)  # ±4 semitones
    x = voiced(glide)
    narrow = reshape(x, RATE, range_factor=0.5)

    def spread(y: np.ndarray) -> float:
        st = pitch_semitones(y)
        return float(np.percentile(st, 90) - np.percentile(st, 10))

    assert spread(narrow) / spread(x) == pytest.approx(0.5, abs=0.08)
    assert np.median(pitch_semitones(narrow)) == pytest.approx(np.median(pitch_semitones(x)), abs=0.4)


def test_silence_and_short_clips_come_back_unchanged() -> None:
    quiet = np.zeros(RATE, np.float32)
    assert np.array_equal(reshape(quiet, RATE, 3.0), quiet)
    short = voiced(np.full(RATE // 20, 200.0))
    assert np.array_equal(reshape(short, RATE, 3.0), short)
