"""What a cue's text says beyond its words: a style prefix and a speaker label.

``[cheerful] text``, ``[开心 0.6] text``, ``[sad 40%] text`` (also in 【】) set the cue's style and
intensity; a leading bracket is always a style, so ``[MUSIC]`` is refused rather than read out.
``Alice: text`` (or ``Alice：``) names its speaker when Alice is in the speaker table, and a WebVTT
``<v Alice>`` span always does. Either order works: ``Alice: [sad] text``.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass

from .subtitles import Cue, SubtitleError

_BRACKET = re.compile(r"^\s*[\[【]([^\]】]*)[\]】]\s*")
_STYLE = re.compile(r"^\s*(\S+)(?:\s+([0-9.]+)\s*(%?))?\s*$")
_SPEAKER = re.compile(r"^\s*([^:：\[\]【】]{1,40}?)\s*[:：]\s*")


@dataclass(frozen=True)
class Line:
    """A cue's words and what its markup asked: ``style``/``intensity`` None when not given."""

    text: str
    style: str | None = None
    intensity: float | None = None
    speaker: str | None = None


def read(cue: Cue, speakers: Collection[str]) -> Line:
    """The words, style and speaker of ``cue``; ``speakers`` are the labels that name voices
    (matched without regard to case). SubtitleError for an intensity out of range."""
    known = {s.casefold(): s for s in speakers}
    voice = cue.voice.strip() if cue.voice else None
    text, style, intensity, speaker = (
        cue.text,
        None,
        None,
        known.get(voice.casefold(), voice) if voice else None,
    )
    for _ in range(2):
        bracket = _BRACKET.match(text)
        if bracket and style is None:
            found = _STYLE.match(bracket.group(1))
            if found is None:
                raise SubtitleError(
                    f"{cue.label}: {bracket.group(0).strip()!r} is not a style prefix; "
                    "write [style] or [style 0.6] (sound descriptions cannot be spoken)"
                )
            style, intensity = found.group(1), _intensity(cue, found.group(2), found.group(3))
            text = text[bracket.end() :]
            continue
        label = _SPEAKER.match(text)
        if label and speaker is None and label.group(1).strip().casefold() in known:
            speaker = known[label.group(1).strip().casefold()]
            text = text[label.end() :]
    return Line(text.strip(), style, intensity, speaker)


def _intensity(cue: Cue, number: str | None, percent: str | None) -> float | None:
    if number is None:
        return None
    try:
        value = float(number) / (100.0 if percent else 1.0)
    except ValueError:
        value = -1.0
    if not 0.0 <= value <= 1.0:
        raise SubtitleError(f"{cue.label}: intensity {number}{percent or ''} must be 0-1 (or 0-100%)")
    return value
