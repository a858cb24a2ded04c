"""Pinyin overrides: syllable validation, inline markup and homophone fallbacks.

Overrides are tone-numbered syllables such as ``chong2``: lower case, ``ü`` written ``v``,
neutral tone ``5``; tone marks (``chóng``) are accepted and converted. Inline markup puts
them after the Han characters they read: ``重[chong2]新``, ``重(chóng)新`` or a run of
numbered syllables, ``你好ni3 hao3``. Backends that cannot take pinyin speak a homophone instead.
"""

from __future__ import annotations

import re
from functools import cache

from tts_engine.errors import InvalidOptionError
from tts_engine.text.chars import is_han
from tts_engine.text.piece import Piece
from tts_engine.text.words import jieba

_SYLLABLE = re.compile(r"([a-z]+)(\d)")
_MARKS = "āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜńňǹḿ"
_INLINE = re.compile(
    r"\[(?P<bracket>[^\[\]\n]*)\]"  # 重[chong2]新, 重[chóng]新
    r"|[(（](?P<paren>[^()（）\n]*)[)）]"  # 重(chóng)新, 重（chong2）新
    rf"|(?P<run>[a-z{_MARKS}ü]+[1-5](?: ?[a-zü]+[1-5])*)(?![A-Za-z0-9])"  # 你好ni3 hao3
)
_TOKEN = re.compile(rf"[A-Za-zÜü:'’{_MARKS}{_MARKS.upper()}]+\d?")
_COMMON = 200  # jieba frequency above which a character counts as common


@cache
def syllables() -> frozenset[str]:
    """Every toneless syllable pypinyin knows a character for (``zhong``, ``lv``...)."""
    from pypinyin.contrib.tone_convert import to_normal
    from pypinyin.pinyin_dict import pinyin_dict

    readings = {r for value in pinyin_dict.values() for r in value.split(",")}
    bases = (to_normal(r, v_to_u=False) for r in readings)
    return frozenset(b for b in bases if b.isascii() and b.isalpha())


def _has_marks(text: str) -> bool:
    return any(ch in _MARKS for ch in text.lower())


def normalize_syllable(syllable: str) -> str:
    """``Lü4`` → ``lv4``, ``chóng`` → ``chong2``; raises InvalidOptionError naming a syllable
    that is not pinyin."""
    s = syllable.strip().lower()
    if _has_marks(s) and not s[-1:].isdigit():
        from pypinyin.contrib.tone_convert import to_tone3

        s = str(to_tone3(s, v_to_u=False, neutral_tone_with_five=True))
    s = s.replace("u:", "v").replace("ü", "v")
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


def _split_marked(word: str) -> list[str] | None:
    """A tone-marked word written as one (``yīnyuè``) cut into syllables (``yin1``, ``yue4``):
    the cut with the fewest syllables, each a Mandarin syllable holding at most one mark."""
    from pypinyin.contrib.tone_convert import to_normal

    plain = str(to_normal(word.lower(), v_to_u=False)).replace("ü", "v")
    if len(plain) != len(word):
        return None
    best: dict[int, list[str]] = {0: []}
    for end in range(1, len(word) + 1):
        for start in range(max(0, end - 6), end):
            piece = word[start:end]
            if start in best and plain[start:end] in syllables() and sum(map(_has_marks, piece)) <= 1:
                if end not in best or len(best[start]) + 1 < len(best[end]):
                    best[end] = [*best[start], piece]
    return best.get(len(word))


def parse_syllables(text: str) -> tuple[str, ...]:
    """Space- or comma-separated syllables, validated and normalized; a tone-marked word may
    hold several (``yīnyuè``)."""
    out: list[str] = []
    for token in re.sub(r"[,'’]", " ", text).split():
        parts = _split_marked(token) if _has_marks(token) and not token[-1].isdigit() else None
        out += [normalize_syllable(p) for p in (parts if parts and len(parts) > 1 else [token])]
    return tuple(out)


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


def _markup(m: re.Match[str]) -> tuple[str, ...] | None:
    """The syllables a match of _INLINE gives, or None when it is ordinary text.

    Brackets hold pinyin when they hold pinyin-like tokens with a tone, or only real syllables
    (``[test]`` and footnotes ``[1]`` stay text). Parentheses need tone marks, or numbered
    syllables only, since ``(v2)`` or ``(AI)`` are text. A run is numbered syllables only.
    Raises InvalidOptionError for markup naming a bad syllable.
    """
    kind = m.lastgroup
    content = m.group(kind or 0)
    tokens = content.replace(",", " ").split() if kind != "run" else re.findall(r"[a-zü]+\d", content)
    if not tokens or not all(_TOKEN.fullmatch(t) for t in tokens):
        return None
    toned = [t for t in tokens if t[-1].isdigit() or _has_marks(t)]
    if _has_marks(content):  # written with tone marks, where a syllable without one is neutral
        content = " ".join(t if t in toned else t + "5" for t in tokens)
    if kind == "bracket":
        if not toned and not all(t.lower().replace("ü", "v") in syllables() for t in tokens):
            return None  # an English word in brackets, not forgotten tones
        return parse_syllables(content)
    if kind == "paren" and _has_marks(content):
        return parse_syllables(content)
    try:
        return parse_syllables(" ".join(tokens)) if len(toned) == len(tokens) else None
    except InvalidOptionError:
        return None  # (v2), (mp3), a model number after Chinese: text


def parse_inline(text: str) -> list[tuple[str, tuple[str | None, ...]]]:
    """Split inline pinyin markup into segments: (text, per-character pinyin or ``()``).

    Markup counts only right after a Han character; its syllables read the Han characters
    just before it (``你好ni3 hao3``: 你 ni3, 好 hao3). Markup with more syllables than Han
    characters precede it, or naming a bad syllable, raises InvalidOptionError.
    """
    out: list[tuple[str, tuple[str | None, ...]]] = []
    pos = 0
    for m in _INLINE.finditer(text):
        start = m.start()
        if start == 0 or start < pos or not is_han(text[start - 1]):
            continue
        syl = _markup(m)
        if syl is None:
            continue
        first = start - len(syl)
        if first < pos or not all(is_han(ch) for ch in text[first:start]):
            raise InvalidOptionError(
                f"pinyin {m.group()!r} has {len(syl)} syllables but fewer Han characters precede it"
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
