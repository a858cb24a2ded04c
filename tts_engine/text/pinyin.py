"""Pinyin overrides: syllable validation, inline ``字[zi4]`` markup and homophone fallbacks.

Overrides are tone-numbered syllables such as ``chong2``: lower case, ``ü`` written ``v``,
neutral tone ``5``. Backends that cannot take pinyin speak a homophone instead.
"""

from __future__ import annotations

import re
from functools import cache

from tts_engine.errors import InvalidOptionError
from tts_engine.text.chars import is_han
from tts_engine.text.piece import Piece
from tts_engine.text.words import jieba

_SYLLABLE = re.compile(r"([a-z]+)(\d)")
_INLINE = re.compile(r"\[([^\[\]\n]*)\]")
_TOKEN = re.compile(r"[A-Za-zÜü:]+\d?")
_COMMON = 200  # jieba frequency above which a character counts as common


@cache
def syllables() -> frozenset[str]:
    """Every toneless syllable pypinyin knows a character for (``zhong``, ``lv``...)."""
    from pypinyin.contrib.tone_convert import to_normal
    from pypinyin.pinyin_dict import pinyin_dict

    readings = {r for value in pinyin_dict.values() for r in value.split(",")}
    bases = (to_normal(r, v_to_u=False) for r in readings)
    return frozenset(b for b in bases if b.isascii() and b.isalpha())


def normalize_syllable(syllable: str) -> str:
    """``Lü4`` → ``lv4``; raises InvalidOptionError naming a syllable that is not pinyin."""
    s = syllable.strip().lower().replace("u:", "v").replace("ü", "v")
    m = _SYLLABLE.fullmatch(s)
    if not m:
        raise InvalidOptionError(
            f"invalid pinyin syllable {syllable!r}: expected letters and a tone number 1-5, e.g. 'chong2'"
        )
    base, tone = m.groups()
    if base not in syllables() and base.replace("ue", "ve") in syllables():
        base = base.replace("ue", "ve")  # lue4 is a common spelling of lve4
    if base not in syllables():
        raise InvalidOptionError(f"invalid pinyin syllable {syllable!r}: {base!r} is not a Mandarin syllable")
    if tone not in "12345":
        raise InvalidOptionError(f"invalid pinyin syllable {syllable!r}: the tone must be 1-5")
    return base + tone


def parse_syllables(text: str) -> tuple[str, ...]:
    """Space- or comma-separated syllables, validated and normalized."""
    return tuple(normalize_syllable(s) for s in text.replace(",", " ").split())


def han_count(text: str) -> int:
    return sum(1 for ch in text if is_han(ch))


def spread(word: str, syllables: tuple[str, ...]) -> tuple[str | None, ...]:
    """Assign syllables to the Han characters of ``word`` in order; other characters get None."""
    if han_count(word) != len(syllables):
        raise InvalidOptionError(
            f"{word!r} has {han_count(word)} Han characters but {len(syllables)} pinyin syllables were given"
        )
    it = iter(syllables)
    return tuple(next(it) if is_han(ch) else None for ch in word)


def parse_inline(text: str) -> list[tuple[str, tuple[str | None, ...]]]:
    """Split ``重[chong2]新`` markup into segments: (text, per-character pinyin or ``()``).

    ``[...]`` counts as markup only after a Han character and when it holds pinyin-like tokens,
    so footnotes such as ``[1]`` or ``see [ref]`` stay text. A bracket that covers more
    syllables than Han characters precede it, or names a bad syllable, raises InvalidOptionError.
    """
    out: list[tuple[str, tuple[str | None, ...]]] = []
    pos = 0
    for m in _INLINE.finditer(text):
        tokens = m.group(1).split()
        if not tokens or not all(_TOKEN.fullmatch(t) for t in tokens):
            continue
        start = m.start()
        if start == 0 or not is_han(text[start - 1]):
            continue
        if not any(t[-1].isdigit() for t in tokens) and not all(
            t.lower().replace("ü", "v") in syllables() for t in tokens
        ):
            continue  # an English word in brackets, not forgotten tones
        syl = parse_syllables(m.group(1))
        first = start - len(syl)
        if first < pos or not all(is_han(ch) for ch in text[first:start]):
            raise InvalidOptionError(
                f"pinyin [{m.group(1)}] has {len(syl)} syllables but fewer Han characters precede it"
            )
        if first > pos:
            out.append((text[pos:first], ()))
        out.append((text[first:start], syl))
        pos = m.end()
    if pos < len(text):
        out.append((text[pos:], ()))
    return out


def _tone3(reading: str) -> str:
    from pypinyin.contrib.tone_convert import to_tone3

    return str(to_tone3(reading, v_to_u=False, neutral_tone_with_five=True))


@cache
def _homophones() -> dict[str, tuple[str, ...]]:
    """pinyin → common characters read that way, best first.

    A character qualifies when its first (default) reading matches. Common characters with a
    single reading come first, since no backend can misread them; then polyphones, whose default
    reading backends usually but not always pick; then rare characters. jieba's frequency of the
    character as a word ranks each tier.
    """
    from pypinyin.pinyin_dict import pinyin_dict

    freq = jieba().dt.FREQ
    ranked: dict[str, list[tuple[int, int, str]]] = {}
    tone3 = cache(_tone3)
    for cp, readings in pinyin_dict.items():
        if not 0x4E00 <= cp <= 0x9FFF:
            continue
        ch = chr(cp)
        count = freq.get(ch, 0)
        if count == 0:
            continue  # not in jieba's dictionary: rare, a backend may not know it either
        tones = list(dict.fromkeys(tone3(r) for r in readings.split(",")))
        tier = 1 if len(tones) > 1 else 0 if count >= _COMMON else 2
        ranked.setdefault(tones[0], []).append((tier, -count, ch))
    return {py: tuple(ch for *_, ch in sorted(c)[:8]) for py, c in ranked.items()}


def homophone(pinyin: str, avoid: str = "") -> str | None:
    """A common character read ``pinyin`` (e.g. ``chong2`` → ``虫``), not one of ``avoid``."""
    for ch in _homophones().get(normalize_syllable(pinyin), ()):
        if ch not in avoid:
            return ch
    return None


def apply_homophones(piece: Piece) -> str:
    """The piece's text with each overridden character replaced by a homophone, for backends
    that cannot take pinyin (重[chong2]新 → 崇新). Characters without a homophone stay."""
    chars = list(piece.text)
    for index, py in piece.pinyin.items():
        sub = homophone(py, avoid=chars[index])
        if sub:
            chars[index] = sub
    return "".join(chars)
