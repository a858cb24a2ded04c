"""Realising a request's expression piece by piece: which targets apply, what the model does and
what is left for signal processing.

Pace goes through the backend's speed (its own rate control, or the engine's time-stretch), pitch
level and range through the model when the backend lists them in ``Backend.controls`` and through
PSOLA (tts_engine.audio.pitch) otherwise, loudness through the engine's gain, pauses through each
piece's ``pause_ms``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from tts_engine.audio import pitch
from tts_engine.errors import InvalidOptionError, SSMLError

from .controls import Controls
from .duration import Fitter, Need, check_target, natural_ms, units
from .expression import Expression
from .styles import StyleBook
from .targets import NEUTRAL, Targets
from .tone import Tone


@dataclass(frozen=True)
class Rendition:
    """A checked request's expression: the style table it was checked against and what it asked."""

    book: StyleBook = field(default_factory=StyleBook)
    expression: Expression = field(default_factory=Expression)
    base: Targets = NEUTRAL

    @classmethod
    def check(cls, book: StyleBook, expression: Expression, tones: Iterable[Tone | None]) -> Rendition:
        """Raises InvalidOptionError naming a bad request field, SSMLError for a bad SSML style."""
        base = expression.check(book)
        for tone in tones:
            if tone is not None and tone.style is not None:
                try:
                    book.get(tone.style)
                except InvalidOptionError as exc:
                    raise SSMLError(str(exc), tag="mstts:express-as") from None
        return cls(book, expression, base)

    @property
    def plain(self) -> bool:
        return self.expression.plain

    def targets(self, tone: Tone | None) -> Targets:
        """What one piece aims for: the request's style (or its SSML style), then the SSML moves."""
        if tone is None:
            return self.base
        base = self.base
        if tone.style is not None:
            base = self.book.targets(tone.style, tone.intensity).then(self.expression.adjust)
        return base.then(tone.adjust)

    def check_duration(self, needs: Sequence[tuple[str, float, float]], ms_per_unit: float) -> None:
        """Refuse a duration_s too far from the natural length of pieces given as (text, speed, pause ms)."""
        if self.expression.duration_s is not None:
            estimate = natural_ms(
                [Need(units(text), speed, pause) for text, speed, pause in needs], ms_per_unit
            )
            check_target(self.expression.duration_s, estimate)

    def fitter(
        self, needs: Sequence[tuple[str, float, float]], sample_rate: int, ms_per_unit: float
    ) -> Fitter | None:
        """A fitter for pieces given as (text, speed, pause ms), or None when no duration was asked."""
        expression = self.expression
        if not expression.fitted:
            return None
        return Fitter(
            [Need(units(text), speed, pause) for text, speed, pause in needs],
            sample_rate,
            ms_per_unit,
            target_ms=None if expression.duration_s is None else 1000.0 * expression.duration_s,
            ratio=expression.duration_ratio,
        )


def controls(targets: Targets) -> Controls:
    return Controls(targets.pitch_st, targets.range)


def after_model(audio: np.ndarray, sample_rate: int, rest: Controls) -> np.ndarray:
    """What the model left undone of pitch level and range, by PSOLA."""
    if rest.neutral:
        return audio
    return pitch.reshape(audio, sample_rate, rest.pitch_st, rest.range)


def gain(targets: Targets) -> float:
    return float(10.0 ** (targets.gain_db / 20.0))
