"""Signal helpers, checked on measured properties of their output."""

from __future__ import annotations

import math

import numpy as np
import pytest
import soxr

from tts_engine.audio import (
    Resampler,
    fade,
    gain_for_target,
    limit,
    loudness_lufs,
    remove_dc,
    resample,
    silence,
    time_stretch,
    trim_silence,
)
from tts_engine.errors import InvalidOptionError


def tone(rate: int, seconds: float, hz: float = 440.0, amplitude: float = 0.5) -> np.ndarray:
    t = np.arange(round(rate * seconds)) / rate
    return (amplitude * np.sin(2 * np.pi * hz * t)).astype(np.float32)


def peak_hz(x: np.ndarray, rate: int) -> float:
    spectrum = np.abs(np.fft.rfft(x * np.hanning(len(x)), n=8 * len(x)))
    return float(np.fft.rfftfreq(8 * len(x), 1 / rate)[np.argmax(spectrum)])


def test_fade_starts_and_ends_at_zero_and_leaves_the_middle() -> None:
    rate = 24_000
    x = np.full(rate // 10, 0.8, np.float32)
    y = fade(x, rate, in_ms=5, out_ms=8)
    assert y[0] == 0.0
    assert abs(y[-1]) < 1e-6
    n_in, n_out = 120, 192  # 5 ms and 8 ms at 24 kHz
    assert np.all(np.diff(y[:n_in]) > 0)  # rises smoothly
    assert np.all(np.diff(y[-n_out:]) < 0)
    np.testing.assert_array_equal(y[n_in:-n_out], x[n_in:-n_out])
    assert np.all(x == 0.8)  # the input is untouched


def test_fade_on_a_clip_shorter_than_both_fades() -> None:
    x = np.ones(50, np.float32)
    y = fade(x, 16_000, in_ms=5, out_ms=8)  # 80 + 128 samples asked for
    assert y[0] == 0.0
    assert abs(y[-1]) < 1e-6
    assert len(y) == 50


def test_remove_dc() -> None:
    x = tone(16_000, 0.5) + np.float32(0.2)
    y = remove_dc(x)
    assert abs(float(np.mean(y))) < 1e-6
    np.testing.assert_allclose(y, x - 0.2, atol=1e-3)


def test_silence_length() -> None:
    s = silence(250, 22_050)
    assert s.dtype == np.float32
    assert len(s) == round(0.25 * 22_050)
    assert not np.any(s)


def test_trim_silence_keeps_a_margin() -> None:
    rate = 22_050
    speech = tone(rate, 0.3, amplitude=0.2)
    x = np.concatenate([silence(500, rate), speech, silence(400, rate)])
    x[: len(x) // 3] += np.float32(1e-4)  # a faint hiss below the threshold
    y = trim_silence(x, rate, threshold_db=-45, keep_ms=30)
    # 30 ms kept each side, plus up to one 10 ms analysis window of slack
    assert 0.36 <= len(y) / rate <= 0.38
    assert np.max(np.abs(y)) == pytest.approx(0.2, abs=1e-3)


def test_trim_silence_of_pure_silence_is_empty() -> None:
    assert len(trim_silence(silence(300, 16_000), 16_000)) == 0


@pytest.mark.parametrize(("src", "dst"), [(22_050, 24_000), (24_000, 16_000), (16_000, 48_000)])
def test_streaming_resampler_matches_one_shot(src: int, dst: int) -> None:
    rng = np.random.default_rng(7)
    x = (tone(src, 1.3) + 0.05 * rng.standard_normal(round(src * 1.3))).astype(np.float32)
    one_shot = resample(x, src, dst)
    assert len(one_shot) == round(len(x) * dst / src)

    resampler = Resampler(src, dst)
    step = src * 37 // 1000
    chunks = [resampler.process(x[i : i + step]) for i in range(0, len(x), step)]
    chunks.append(resampler.process(np.zeros(0, np.float32), last=True))
    streamed = np.concatenate(chunks)
    assert len(streamed) == len(one_shot)
    np.testing.assert_allclose(streamed, one_shot, atol=1e-3)
    np.testing.assert_allclose(one_shot, soxr.resample(x, src, dst, "HQ"), atol=1e-6)
    assert peak_hz(streamed, dst) == pytest.approx(440.0, abs=2.0)


def test_resampler_passes_through_at_equal_rates() -> None:
    x = tone(16_000, 0.1)
    np.testing.assert_array_equal(Resampler(16_000, 16_000).process(x), x)
    np.testing.assert_array_equal(resample(x, 16_000, 16_000), x)


@pytest.mark.parametrize("speed", [0.5, 0.8, 1.25, 2.0])
def test_time_stretch_changes_duration_and_keeps_pitch(speed: float) -> None:
    rate = 22_050
    x = tone(rate, 2.0, hz=300.0)
    y = time_stretch(x, rate, speed)
    assert len(y) / len(x) == pytest.approx(1 / speed, rel=0.05)
    assert peak_hz(y, rate) == pytest.approx(300.0, abs=5.0)
    rms_in, rms_out = (float(np.sqrt(np.mean(np.square(v)))) for v in (x, y))
    assert rms_out == pytest.approx(rms_in, rel=0.1)


def test_time_stretch_keeps_events_in_place() -> None:
    rate = 24_000
    x = np.zeros(2 * rate, np.float32)
    x[rate // 2 : 3 * rate // 2] = tone(rate, 1.0)
    y = time_stretch(x, rate, 2.0)
    loud = np.flatnonzero(np.abs(y) > 0.1) / rate
    assert loud[0] == pytest.approx(0.25, abs=0.02)
    assert loud[-1] == pytest.approx(0.75, abs=0.02)


def test_time_stretch_at_speed_one_returns_the_input() -> None:
    x = tone(16_000, 0.2)
    assert time_stretch(x, 16_000, 1.0) is x


@pytest.mark.parametrize("speed", [0.0, -1.0, math.nan, math.inf])
def test_time_stretch_rejects_bad_speed(speed: float) -> None:
    with pytest.raises(InvalidOptionError):
        time_stretch(tone(16_000, 0.1), 16_000, speed)


def test_loudness_gain_brings_levels_together() -> None:
    rate = 24_000
    quiet, loud = tone(rate, 2.0, amplitude=0.05), tone(rate, 2.0, hz=220.0, amplitude=0.5)
    assert loudness_lufs(loud, rate) - loudness_lufs(quiet, rate) > 15
    levelled = [v * gain_for_target(v, rate, -20.0) for v in (quiet, loud)]
    for v in levelled:
        assert loudness_lufs(v, rate) == pytest.approx(-20.0, abs=0.5)


def test_loudness_of_a_clip_shorter_than_a_gating_block() -> None:
    rate = 16_000
    long, short = tone(rate, 2.0, hz=400.0), tone(rate, 0.15, hz=400.0)
    assert loudness_lufs(short, rate) == pytest.approx(loudness_lufs(long, rate), abs=0.5)


def test_loudness_of_silence() -> None:
    assert loudness_lufs(silence(500, 16_000), 16_000) == -math.inf
    assert gain_for_target(silence(500, 16_000), 16_000) == 1.0


def test_gain_is_clamped() -> None:
    rate = 16_000
    assert gain_for_target(tone(rate, 1.0, amplitude=0.003), rate) == 10.0
    assert gain_for_target(tone(rate, 1.0, amplitude=1.0), rate, target_lufs=-60.0) == 0.1


@pytest.mark.parametrize("ceiling", [0.97, 0.5, 1.0])
def test_limiter_never_exceeds_the_ceiling(ceiling: float) -> None:
    rng = np.random.default_rng(3)
    x = (3.0 * rng.standard_normal(50_000)).astype(np.float32)
    x[:3] = [1e9, -1e9, 0.0]
    y = limit(x, ceiling)
    assert float(np.max(np.abs(y))) <= ceiling
    quiet = np.abs(x) < 0.85 * ceiling
    np.testing.assert_allclose(y[quiet], x[quiet], atol=1e-7)  # untouched below the knee
    order = np.argsort(x)
    assert np.all(np.diff(y[order]) >= 0)  # monotonic: no folding back


def test_limiter_rejects_bad_ceiling() -> None:
    with pytest.raises(InvalidOptionError):
        limit(np.zeros(4, np.float32), 1.5)
