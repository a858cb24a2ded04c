"""What SSML asks of a stretch of text: ``<mstts:express-as>`` and ``<prosody pitch range volume>``."""

from __future__ import annotations

from dataclasses import dataclass

from .targets import NEUTRAL, Targets


@dataclass(frozen=True)
class Tone:
    """A style for this stretch (``None``: the request's), and moves laid over it."""

    style: str | None = None
    intensity: float = 1.0
    adjust: Targets = NEUTRAL

    def within(self, inner: Tone) -> Tone:
        """``inner`` nested inside this tone: its style wins, the moves add up."""
        style, intensity = (inner.style, inner.intensity) if inner.style else (self.style, self.intensity)
        return Tone(style, intensity, self.adjust.then(inner.adjust))
