import numpy as np
import pytest

from tts_engine.prosody.measure import hear

RATE = 16000


def tone(hz: float, seconds: float, amplitude: float = 0.2) -> np.ndarray:
    t = np.arange(int(seconds * RATE)) / RATE
    return (amplitude * sum(np.sin(2 * np.pi * k * hz * t) / k for k in range(1, 6))).astype(np.float32)


def test_hears_pitch_length_and_loudness_independently_of_pauses() -> None:
    a = tone(200, 1.0)
    b = np.concatenate([tone(200 * 2 ** (3 / 12), 1.0, 0.4), np.zeros(RATE, np.float32)])
    heard_a, heard_b = hear(a, RATE), hear(b, RATE)
    moved = heard_b.against(heard_a)
    assert heard_a.median_st == pytest.approx(12 * np.log2(2), abs=0.1)
    assert moved["pitch_st"] == pytest.approx(3, abs=0.1)
    assert moved["gain_db"] == pytest.approx(20 * np.log10(2), abs=0.3)  # the pause does not count
    assert moved["rate"] == pytest.approx(0.5)
