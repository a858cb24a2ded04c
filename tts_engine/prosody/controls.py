"""The prosody a backend may be asked to realise inside its model, beyond pace."""

from __future__ import annotations

from dataclasses import dataclass, replace

#: Names of the Controls fields; a backend lists those it realises in ``Backend.controls``.
PITCH_ST, RANGE = "pitch_st", "range"


@dataclass(frozen=True)
class Controls:
    """``pitch_st`` shifts the median pitch in semitones; ``range`` scales the pitch excursion
    around it (in semitones: 0.5 halves a 10-semitone range to 5)."""

    pitch_st: float = 0.0
    range: float = 1.0

    @property
    def neutral(self) -> bool:
        return self.pitch_st == 0.0 and self.range == 1.0

    def split(self, native: frozenset[str]) -> tuple[Controls, Controls]:
        """(what a backend realising ``native`` does, what is left for signal processing)."""
        model, rest = Controls(), self
        for name in (PITCH_ST, RANGE):
            if name in native:
                model = replace(model, **{name: getattr(self, name)})
                rest = replace(rest, **{name: getattr(Controls(), name)})
        return model, rest


NO_CONTROLS = Controls()
