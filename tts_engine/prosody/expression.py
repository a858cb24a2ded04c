"""What a request asks for beyond its words: a style, how strongly, and how long the speech lasts.

One value carried in ``SynthesisOptions.expression``; every way in (CLI, HTTP, WebSocket, OpenAI
``instructions``, later jobs and connectors) only fills it in.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from tts_engine.errors import InvalidOptionError

from .styles import NEUTRAL_STYLE, StyleBook, check_intensity
from .targets import NEUTRAL, Targets

MIN_DURATION_RATIO, MAX_DURATION_RATIO = 0.5, 2.0
MAX_DURATION_S = 6 * 3600.0


@dataclass(frozen=True)
class Expression:
    """``style`` (a name or alias from the style table) at ``intensity`` 0–1; ``adjust`` further
    moves on top (from instructions such as "loudly"); at most one of ``duration_s`` (seconds of
    output) and ``duration_ratio`` (0.5–2.0 times the natural length)."""

    style: str = NEUTRAL_STYLE
    intensity: float = 1.0
    duration_s: float | None = None
    duration_ratio: float | None = None
    adjust: Targets = NEUTRAL

    @property
    def plain(self) -> bool:
        """Nothing to do: neutral, no moves, natural length."""
        return (
            self.style == NEUTRAL_STYLE
            and self.adjust.neutral
            and self.duration_s is None
            and self.duration_ratio is None
        )

    @property
    def fitted(self) -> bool:
        return self.duration_s is not None or self.duration_ratio is not None

    def check(self, book: StyleBook) -> Targets:
        """The request's targets; raises InvalidOptionError naming the field that is wrong."""
        targets = book.targets(self.style, check_intensity(self.intensity))
        if self.duration_s is not None and self.duration_ratio is not None:
            raise InvalidOptionError("give duration_s or duration_ratio, not both", "duration_s")
        if self.duration_s is not None:
            _check_range("duration_s", self.duration_s, 0.0, MAX_DURATION_S, low_open=True)
        if self.duration_ratio is not None:
            _check_range("duration_ratio", self.duration_ratio, MIN_DURATION_RATIO, MAX_DURATION_RATIO)
        return targets.then(self.adjust)


def _check_range(field: str, value: float, low: float, high: float, *, low_open: bool = False) -> None:
    ok = isinstance(value, int | float) and math.isfinite(value) and value <= high
    ok = ok and (value > low if low_open else value >= low)
    if not ok:
        lower = f"more than {low:g}" if low_open else f"at least {low:g}"
        raise InvalidOptionError(f"{field} must be {lower} and at most {high:g}, got {value!r}", field)
