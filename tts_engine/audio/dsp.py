"""Small signal helpers for the streaming engine. All take and return mono float32."""

from __future__ import annotations

import math

import numpy as np
import pyloudnorm
import python_stretch
import soxr

from tts_engine.errors import InvalidOptionError

_BLOCK_S = 0.4  # the BS.1770 gating block pyloudnorm measures in


def _f32(x: np.ndarray) -> np.ndarray:
    return np.asarray(x, dtype=np.float32)


def remove_dc(x: np.ndarray) -> np.ndarray:
    """``x`` minus its mean. Meant for a whole piece: per chunk it would step between chunks."""
    x = _f32(x)
    return x - x.mean(dtype=np.float64).astype(np.float32) if len(x) else x.copy()


def _ms_to_samples(ms: float, sample_rate: int) -> int:
    return max(0, round(ms * sample_rate / 1000.0))


def fade(x: np.ndarray, sample_rate: int, in_ms: float = 5.0, out_ms: float = 8.0) -> np.ndarray:
    """A copy of ``x`` with raised-cosine fades that start and end at exactly zero.

    A clip shorter than both fades gets them shortened in proportion.
    """
    y = _f32(x).copy()
    n_in, n_out = _ms_to_samples(in_ms, sample_rate), _ms_to_samples(out_ms, sample_rate)
    if n_in + n_out > len(y):
        scale = len(y) / (n_in + n_out)
        n_in, n_out = int(n_in * scale), int(n_out * scale)
    if n_in:
        y[:n_in] *= 0.5 - 0.5 * np.cos(np.pi * np.arange(n_in) / n_in)
    if n_out:
        y[len(y) - n_out :] *= 0.5 + 0.5 * np.cos(np.pi * np.arange(1, n_out + 1) / n_out)
    return y


def silence(ms: float, sample_rate: int) -> np.ndarray:
    """``ms`` milliseconds of zeros."""
    return np.zeros(_ms_to_samples(ms, sample_rate), np.float32)


def trim_silence(
    x: np.ndarray, sample_rate: int, threshold_db: float = -45.0, keep_ms: float = 30.0
) -> np.ndarray:
    """``x`` without the leading and trailing silence a model adds, keeping ``keep_ms`` of it each side.

    Silence is 10 ms windows whose RMS is below ``threshold_db`` dBFS; an absolute
    level, so quiet speech is never cut for being quieter than loud speech.
    All-silent input gives an empty array.
    """
    x = _f32(x)
    win = max(1, sample_rate // 100)
    n_win = -(-len(x) // win)
    padded = np.zeros(n_win * win, np.float32)
    padded[: len(x)] = x
    rms = np.sqrt(np.mean(np.square(padded.reshape(n_win, win), dtype=np.float64), axis=1))
    loud = np.flatnonzero(rms > 10.0 ** (threshold_db / 20.0))
    if not len(loud):
        return x[:0].copy()
    keep = _ms_to_samples(keep_ms, sample_rate)
    start = max(0, loud[0] * win - keep)
    end = min(len(x), (loud[-1] + 1) * win + keep)
    return x[start:end].copy()


class Resampler:
    """Chunk-by-chunk sample-rate conversion (soxr, 'HQ'); passes audio through when the rates match.

    Output lags input by soxr's filter delay; ``process(..., last=True)`` flushes
    it, after which the chunks add up to the one-shot :func:`resample` length.
    """

    def __init__(self, src_rate: int, dst_rate: int) -> None:
        if src_rate <= 0 or dst_rate <= 0:
            raise InvalidOptionError(f"sample rates must be positive, got {src_rate} and {dst_rate}")
        self.src_rate = src_rate
        self.dst_rate = dst_rate
        self._stream = (
            None if src_rate == dst_rate else soxr.ResampleStream(src_rate, dst_rate, 1, "float32", "HQ")
        )

    def process(self, x: np.ndarray, last: bool = False) -> np.ndarray:
        x = np.ascontiguousarray(x, dtype=np.float32)
        if self._stream is None:
            return x
        return self._stream.resample_chunk(x, last)


def resample(x: np.ndarray, src_rate: int, dst_rate: int) -> np.ndarray:
    """``x`` at ``dst_rate`` in one go (soxr, 'HQ')."""
    x = _f32(x)
    if src_rate == dst_rate:
        return x
    return soxr.resample(x, src_rate, dst_rate, "HQ")


def time_stretch(x: np.ndarray, sample_rate: int, speed: float) -> np.ndarray:
    """``x`` played ``speed`` times faster at the same pitch; ``len(x) / speed`` samples long.

    Uses Signalsmith Stretch through python-stretch (MIT, C++ wheels, released
    2025). The alternatives on PyPI were older or heavier: audiotsm (2017) and
    pytsmod (2023) are pure-Python WSOLA/phase vocoders, librosa's phase vocoder
    smears transients and pulls in numba, and pyrubberband runs the rubberband
    CLI through temporary files. Signalsmith compensates its own latency, so
    output lines up with input. Speed 1.0 returns ``x`` itself.
    """
    if not (math.isfinite(speed) and speed > 0):
        raise InvalidOptionError(f"speed must be a positive number, got {speed}")
    if speed == 1.0:
        return x
    x = _f32(x)
    if not len(x):
        return x.copy()
    stretch = python_stretch.Signalsmith.Stretch(0)  # fixed seed: same input, same output
    stretch.preset(1, sample_rate)
    stretch.timeFactor = speed
    out = stretch.process(np.ascontiguousarray(x[np.newaxis, :]))
    return np.asarray(out, dtype=np.float32)[0]


def loudness_lufs(x: np.ndarray, sample_rate: int) -> float:
    """Integrated loudness (ITU-R BS.1770) in LUFS; ``-inf`` for silence (all below its -70 LUFS gate).

    pyloudnorm needs at least one 400 ms block, so shorter clips are measured
    looped to that length: a loop keeps the clip's level, zero padding would not.
    """
    x = np.asarray(x, dtype=np.float64)
    if not len(x) or not np.any(x):
        return -math.inf
    block = math.ceil(_BLOCK_S * sample_rate) + 1
    if len(x) < block:
        x = np.tile(x, -(-block // len(x)))
    return float(pyloudnorm.Meter(sample_rate).integrated_loudness(x))


def gain_for_target(x: np.ndarray, sample_rate: int, target_lufs: float = -20.0) -> float:
    """Linear gain that brings ``x`` to ``target_lufs``, in [0.1, 10]; 1.0 for silence, not pumping noise."""
    lufs = loudness_lufs(x, sample_rate)
    if not math.isfinite(lufs):
        return 1.0
    return float(min(10.0, max(0.1, 10.0 ** ((target_lufs - lufs) / 20.0))))


def limit(x: np.ndarray, ceiling: float = 0.97) -> np.ndarray:
    """Soft peak limiter: unchanged below 90% of ``ceiling``, a tanh knee above that never reaches it.

    Memoryless, so it suits the few peaks that a loudness gain pushes too far,
    not heavy compression.
    """
    if not 0.0 < ceiling <= 1.0:
        raise InvalidOptionError(f"ceiling must be in (0, 1], got {ceiling}")
    x = np.asarray(x, dtype=np.float64)
    knee = 0.9 * ceiling
    mag = np.abs(x)
    over = mag > knee
    # Slope 1 at the knee, so the curve joins the untouched part without a corner.
    mag[over] = knee + (ceiling - knee) * np.tanh((mag[over] - knee) / (ceiling - knee))
    y = (np.sign(x) * mag).astype(np.float32)
    # float32 rounding may land a hair above the ceiling; the largest float32 not above it caps that.
    cap = np.float32(ceiling)
    if cap > ceiling:
        cap = np.nextafter(cap, np.float32(0))
    return np.clip(y, -cap, cap)
