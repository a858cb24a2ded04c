"""How long each cue may speak: its slot, and how its natural speech is fitted to it.

A cue's slot runs from its start to its end, or to the next cue's start when they overlap; its
room runs on to the next cue's start (the end of the track for the last cue). Speech longer than
the slot is compressed to it, up to ``max_compression`` times; speech that would need more takes
as much of the silence after the slot as brings it to ``max_compression``, and speech that would
need more than its whole room cannot be dubbed without running into the next cue: that stops
the run with a message naming the cue. Speech shorter than the slot is kept as spoken, or slowed
by at most ``max_slowdown`` towards it; it is never dragged across a long slot.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from tts_engine.prosody.duration import DEFAULT_MS_PER_UNIT, speech_ms, units

from .config import DubbingConfig
from .subtitles import Cue, SubtitleError

# Before anything is spoken, a cue whose estimated length (syllables times a typical pace, off by
# up to a quarter) is this much beyond what its room allows is refused at once: a long film then
# fails in a second, not after an hour. The measured length decides the rest.
ESTIMATE_SLACK = 1.5
TYPICAL_MS_PER_UNIT = max(DEFAULT_MS_PER_UNIT.values())
# Within this of the natural length, speech is kept as the model said it: the engine's own
# duration accuracy (±2 % or ±40 ms), so a second run could not land any closer.
KEEP_FRACTION, KEEP_MS = 0.02, 40.0


@dataclass(frozen=True)
class Slot:
    start_ms: float
    end_ms: float
    room_end_ms: float

    @property
    def ms(self) -> float:
        return self.end_ms - self.start_ms

    @property
    def room_ms(self) -> float:
        return self.room_end_ms - self.start_ms


@dataclass(frozen=True)
class Fit:
    """Speak ``target_ms`` of speech (``refit`` False: as it came, no second run); ``compression``
    is natural length / slot; ``borrowed_ms`` the time taken from the silence after the slot."""

    target_ms: float
    compression: float
    borrowed_ms: float = 0.0
    refit: bool = True


def slots(cues: Sequence[Cue]) -> list[Slot]:
    """The slot of each cue of ``cues`` (in time order); the track ends with the last cue."""
    out = []
    for i, cue in enumerate(cues):
        limit = cues[i + 1].start_ms if i + 1 < len(cues) else cue.end_ms
        out.append(Slot(cue.start_ms, min(cue.end_ms, limit), limit))
    return out


def decide(cue: Cue, slot: Slot, natural_ms: float, rules: DubbingConfig) -> Fit:
    """How long ``cue``'s speech of ``natural_ms`` will be in ``slot``; SubtitleError when it
    cannot be fitted even using all the silence up to the next cue."""
    compression = natural_ms / slot.ms
    if compression <= 1.0:
        target = min(slot.ms, natural_ms * rules.max_slowdown)
        return Fit(target, compression, refit=_differs(target, natural_ms))
    if compression <= rules.max_compression:
        return Fit(slot.ms, compression)
    need = natural_ms / rules.max_compression
    if need <= slot.room_ms:
        return Fit(need, compression, borrowed_ms=need - slot.ms)
    raise SubtitleError(
        f"{cue.label}: its speech takes {natural_ms / 1000:.2f} s, {compression:.1f} times its "
        f"{slot.ms / 1000:.2f} s slot; even using all the time up to the next cue "
        f"({slot.room_ms / 1000:.2f} s) "
        f"it would need {natural_ms / slot.room_ms:.1f} times (at most {rules.max_compression:g} is "
        "understandable): shorten its text or lengthen the cue"
    )


def estimate_ms(text: str) -> float:
    """About how long ``text`` takes to say: its syllables at a typical pace (the engine's rule)."""
    return speech_ms(units(text), TYPICAL_MS_PER_UNIT, 1.0)


def check_estimate(cue: Cue, slot: Slot, estimate_ms: float, rules: DubbingConfig) -> None:
    """Refuse, before synthesis, a cue far too long for all the time up to the next cue."""
    if estimate_ms > slot.room_ms * rules.max_compression * ESTIMATE_SLACK:
        raise SubtitleError(
            f"{cue.label}: its text takes about {estimate_ms / 1000:.1f} s to say, "
            f"{estimate_ms / slot.room_ms:.1f} times all the time up to the next cue "
            f"({slot.room_ms / 1000:.2f} s): shorten its text or lengthen the cue"
        )


def _differs(target_ms: float, natural_ms: float) -> bool:
    return abs(target_ms - natural_ms) > max(KEEP_MS, KEEP_FRACTION * natural_ms)
