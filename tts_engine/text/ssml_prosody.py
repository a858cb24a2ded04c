"""Values of SSML's expressive attributes: ``<prosody pitch range volume>`` and Azure's
``<mstts:express-as styledegree>``, read into prosody targets.

Relative values only: Voxflow moves a voice from its own delivery, it has no absolute pitch to aim
for. Each reader raises ValueError with words for the person who wrote the SSML.
"""

from __future__ import annotations

import math
import re

PITCH_WORDS = {"x-low": -4.0, "low": -2.0, "medium": 0.0, "default": 0.0, "high": 2.0, "x-high": 4.0}
RANGE_WORDS = {"x-low": 0.5, "low": 0.75, "medium": 1.0, "default": 1.0, "high": 1.3, "x-high": 1.6}
VOLUME_WORDS = {"x-soft": -12.0, "soft": -6.0, "medium": 0.0, "default": 0.0, "loud": 6.0, "x-loud": 10.0}
MIN_DEGREE, MAX_DEGREE = 0.01, 2.0

_NUMBER = r"([+-]?\d+(?:\.\d+)?)"


def _words(table: dict[str, float]) -> str:
    return "|".join(table)


def pitch_st(value: str) -> float:
    """ "+2st", "-1.5st", "+10%" (of the voice's pitch) or a word → semitones."""
    v = value.strip().lower()
    if v in PITCH_WORDS:
        return PITCH_WORDS[v]
    if m := re.fullmatch(_NUMBER + r"st", v):
        return float(m.group(1))
    if (m := re.fullmatch(_NUMBER + "%", v)) and float(m.group(1)) > -100:
        return 12.0 * math.log2(1.0 + float(m.group(1)) / 100.0)
    raise ValueError(
        f"invalid pitch {value!r}; use semitones such as '+2st', a change such as '-10%', "
        f"or {_words(PITCH_WORDS)} (absolute hertz are not supported)"
    )


def range_factor(value: str) -> float:
    """ "+50%", "-30%" or a word → factor on the pitch range."""
    v = value.strip().lower()
    if v in RANGE_WORDS:
        return RANGE_WORDS[v]
    if (m := re.fullmatch(_NUMBER + "%", v)) and float(m.group(1)) > -100:
        return 1.0 + float(m.group(1)) / 100.0
    raise ValueError(
        f"invalid range {value!r}; use a change such as '+50%' or '-30%', or {_words(RANGE_WORDS)}"
    )


def volume_db(value: str) -> float:
    """ "+3dB", "-6dB", "+50%" (of the amplitude) or a word → decibels."""
    v = value.strip().lower()
    if v in VOLUME_WORDS:
        return VOLUME_WORDS[v]
    if m := re.fullmatch(_NUMBER + r"db", v):
        return float(m.group(1))
    if (m := re.fullmatch(_NUMBER + "%", v)) and float(m.group(1)) > -100:
        return 20.0 * math.log10(1.0 + float(m.group(1)) / 100.0)
    raise ValueError(
        f"invalid volume {value!r}; use decibels such as '+3dB', a change such as '-20%', "
        f"or {_words(VOLUME_WORDS)} (use <break> for silence)"
    )


def intensity(styledegree: str) -> float:
    """Azure's styledegree (0.01–2, 1 the style as defined) → intensity 0–1.

    Voxflow's styles are defined at the strongest the voices still speak clearly, so a degree
    above 1 is that full style, not more."""
    try:
        degree = float(styledegree)
    except ValueError:
        degree = math.nan
    if not (math.isfinite(degree) and MIN_DEGREE <= degree <= MAX_DEGREE):
        raise ValueError(
            f"invalid styledegree {styledegree!r}; use a number from {MIN_DEGREE} to {MAX_DEGREE:g}"
        )
    return min(1.0, degree)
