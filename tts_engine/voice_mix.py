"""Voice mixes: speakers of one model blended by weight, written as Kokoro-FastAPI writes them.

``zh-kokoro-kumo*0.7+zh-kokoro-alpha*0.3``, or with Kokoro-FastAPI's own parentheses
``zh-kokoro-kumo(0.7)+zh-kokoro-alpha(0.3)``; a voice without a weight counts 1, so
``zh-kokoro-kumo+zh-kokoro-alpha`` is equal parts. Weights are normalised to sum to 1 (as
Kokoro-FastAPI does by default) and must be above 0; a voice named twice gets the sum of its
weights. Kokoro-FastAPI's ``-`` (subtracting a voice) is not taken: ``-`` is part of our voice ids.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .errors import VoiceMixError

_PART = re.compile(
    r"^\s*(?P<id>[A-Za-z0-9_.-]+)\s*(?:\*\s*(?P<star>[^\s()+*]+)|\(\s*(?P<paren>[^()]*?)\s*\))?\s*$"
)


def is_mix(voice: str) -> bool:
    """Whether ``voice`` is written as a mix rather than a voice id."""
    return any(mark in voice for mark in "+*()")


@dataclass(frozen=True)
class VoiceMix:
    """Voice ids and their weights (summing to 1), in the order written."""

    parts: tuple[tuple[str, float], ...]

    @property
    def id(self) -> str:
        """The mix written one way: ``a*0.7+b*0.3`` (weights to at most 4 decimals)."""
        return "+".join(f"{voice}*{_number(w)}" for voice, w in self.parts)

    @property
    def label(self) -> str:
        """The mix for people: ``70% a, 30% b``."""
        return ", ".join(f"{w:.0%} {voice}" for voice, w in self.parts)


def parse_mix(expression: str) -> VoiceMix:
    """``expression`` as a mix; raises VoiceMixError saying what is wrong with it."""
    weights: dict[str, float] = {}
    for raw in expression.split("+"):
        found = _PART.match(raw)
        if not raw.strip() or found is None:
            raise VoiceMixError(
                expression, f"cannot read {raw.strip() or 'an empty part'!r}: write voice*weight+voice*weight"
            )
        written = found.group("star") if found.group("star") is not None else found.group("paren")
        weight = _weight(expression, found.group("id"), written)
        weights[found.group("id")] = weights.get(found.group("id"), 0.0) + weight
    total = sum(weights.values())
    return VoiceMix(tuple((voice, w / total) for voice, w in weights.items()))


def _weight(expression: str, voice: str, written: str | None) -> float:
    if written is None:
        return 1.0
    try:
        weight = float(written)
    except ValueError:
        raise VoiceMixError(expression, f"the weight of {voice} is {written!r}, not a number") from None
    if not weight > 0 or weight == float("inf"):
        raise VoiceMixError(expression, f"the weight of {voice} must be above 0, got {written}")
    return weight


def _number(weight: float) -> str:
    return f"{weight:.4f}".rstrip("0").rstrip(".")
