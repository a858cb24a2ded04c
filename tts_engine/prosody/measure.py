"""Prosody as an independent pitch tracker hears it (Praat, through praat-parselmouth): median pitch,
pitch range, length and loudness, for checking that styles do what their targets say."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

FLOOR_HZ, CEILING_HZ = 60.0, 700.0
_SPEECH_DB = 30.0  # intensity frames this far below the loudest count as pauses


@dataclass(frozen=True)
class Heard:
    """``median_st`` and ``range_st`` (10th–90th percentile) in semitones re 100 Hz over voiced
    frames; ``duration_s`` of the whole clip; ``loudness_db`` the energy mean of Praat's intensity
    over speech frames (pauses left out, so longer pauses do not read as quieter speech)."""

    median_st: float
    range_st: float
    duration_s: float
    loudness_db: float

    def against(self, neutral: Heard) -> dict[str, float]:
        """How far this is from ``neutral`` (the same text spoken plainly), in the targets' terms:
        pitch_st and gain_db differences, range and rate factors (rate from the lengths)."""
        return {
            "pitch_st": self.median_st - neutral.median_st,
            "range": self.range_st / neutral.range_st if neutral.range_st else float("nan"),
            "rate": neutral.duration_s / self.duration_s if self.duration_s else float("nan"),
            "gain_db": self.loudness_db - neutral.loudness_db,
        }


def hear(samples: np.ndarray, sample_rate: int) -> Heard:
    import parselmouth

    sound = parselmouth.Sound(np.asarray(samples, dtype=np.float64), sampling_frequency=sample_rate)
    hz = sound.to_pitch(0.01, FLOOR_HZ, CEILING_HZ).selected_array["frequency"]
    st = 12.0 * np.log2(hz[hz > 0] / 100.0)
    median, spread = (
        (float(np.median(st)), float(np.percentile(st, 90) - np.percentile(st, 10)))
        if len(st)
        else (float("nan"), float("nan"))
    )
    db = np.asarray(sound.to_intensity(minimum_pitch=FLOOR_HZ).values).ravel()
    db = db[np.isfinite(db)]
    speech = db[db >= db.max() - _SPEECH_DB] if len(db) else db
    loudness = float(10.0 * np.log10(np.mean(10.0 ** (speech / 10.0)))) if len(speech) else float("-inf")
    return Heard(median, spread, len(samples) / sample_rate, loudness)
