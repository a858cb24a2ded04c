"""The text policy: the checks every text passes before any of it is synthesized.

A check is any callable taking the text and returning None (fine) or a :class:`Refusal`
naming its rule. :meth:`TextPolicy.screen` is the one place a text is judged: the engine calls
it from ``prepare`` for every request, whatever its entry point, before a voice is asked for
anything, and counts each refusal by rule for the metrics.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from .errors import TextRefusedError
from .text.piece import Piece


@dataclass(frozen=True)
class Refusal:
    """Why a check refuses a text: ``rule`` is short and stable (it labels the metric),
    ``reason`` is words for the person who sent the text."""

    rule: str
    reason: str


TextCheck = Callable[[str], "Refusal | None"]


class TextPolicy:
    """The checks, run in order; the first refusal wins. No checks: every text passes."""

    def __init__(self, checks: Sequence[TextCheck] = ()) -> None:
        self.checks = tuple(checks)
        self._refused: dict[str, int] = {}
        self._lock = threading.Lock()

    def screen(self, text: str) -> None:
        """Raise :class:`TextRefusedError` when a check refuses ``text``; count it by rule."""
        for check in self.checks:
            refusal = _as_refusal(check(text), check)
            if refusal is not None:
                with self._lock:
                    self._refused[refusal.rule] = self._refused.get(refusal.rule, 0) + 1
                raise TextRefusedError(refusal.rule, refusal.reason)

    def refused(self) -> dict[str, int]:
        """Texts refused so far in this process, by rule."""
        with self._lock:
            return dict(self._refused)


def _as_refusal(answer: object, check: TextCheck) -> Refusal | None:
    """A check's answer as a Refusal: None, a Refusal, or a ``(rule, reason)`` pair."""
    if answer is None or isinstance(answer, Refusal):
        return answer
    if isinstance(answer, tuple) and len(answer) == 2 and all(isinstance(x, str) for x in answer):
        return Refusal(*answer)
    name = getattr(check, "__qualname__", repr(check))
    raise TypeError(f"text check {name} returned {answer!r}; expected None, a Refusal or (rule, reason)")


def screened_text(text: str, ssml: bool, pieces: Iterable[Piece]) -> str:
    """What the policy reads of a request: plain text as sent; for SSML, the words it holds
    without the markup, and what it speaks instead where that differs (``<sub alias>``)."""
    if not ssml:
        return text
    pieces = list(pieces)
    shown = "".join(p.display for p in pieces)
    spoken = "".join(p.text for p in pieces)
    return shown if spoken == shown else f"{shown}\n{spoken}"
