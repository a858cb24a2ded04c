"""Character classes: which script a character belongs to, and what to keep of raw input."""

from __future__ import annotations

import unicodedata

# Full-width Chinese punctuation that NFKC would turn into ASCII; it stays so zh text keeps its look
# and the splitter still sees Chinese clause marks.
_KEEP_AS_IS = frozenset("，：；！？（）²³")
# Symbols (category So) that are units, not decoration: NFKC turns them into letters we can read.
_UNIT_SYMBOLS = {"㎡": "m²", "㎥": "m³", "㎢": "km²", "℃": "°C", "℉": "°F"}
_LINE_BREAKS = frozenset("\n\r\u2028\u2029\x0b\x0c\x85")
_TRANSLATE = {"\u2212": "-", "\u2044": "/", "\uff5e": "~"}


def is_han(ch: str) -> bool:
    cp = ord(ch)
    return (
        0x4E00 <= cp <= 0x9FFF
        or 0x3400 <= cp <= 0x4DBF
        or 0x20000 <= cp <= 0x2EBEF
        or 0xF900 <= cp <= 0xFAFF
        or cp == 0x3007  # 〇
    )


def is_kana(ch: str) -> bool:
    cp = ord(ch)
    return 0x3040 <= cp <= 0x30FF or 0x31F0 <= cp <= 0x31FF or 0xFF66 <= cp <= 0xFF9D


def script_lang(ch: str) -> str | None:
    """The language a letter's script implies, or None for neutral characters (digits, punctuation)."""
    if ch.isascii():
        return "en" if ch.isalpha() else None
    if is_han(ch):
        return "zh"
    if is_kana(ch):
        # the long-vowel mark and the middle dot follow whatever precedes them
        return "ja" if ch.isalpha() and ch != "ー" else None
    if not ch.isalpha():
        return None
    name = unicodedata.name(ch, "")
    if name.startswith("LATIN"):
        return "en"
    if name.startswith("HANGUL"):
        return "ko"
    if name.startswith("CYRILLIC"):
        return "ru"
    if name.startswith("ARABIC"):
        return "ar"
    return "und"


def is_speakable(ch: str) -> bool:
    """Letters and digits are spoken; punctuation, spaces and symbols are not."""
    return unicodedata.category(ch)[0] in "LN"


def clean_char(ch: str) -> str:
    """What a raw input character becomes: "" when it has no pronunciation.

    Line breaks become "\\n", other spaces " ". Full-width digits and Latin letters fold to
    ASCII (NFKC) but Chinese punctuation stays. Emoji, pictographs, control and zero-width
    characters are dropped; letters, Han and digits never are.
    """
    if ch in _LINE_BREAKS:
        return "\n"
    if ch in _UNIT_SYMBOLS:
        return _UNIT_SYMBOLS[ch]
    if ch in _TRANSLATE:
        return _TRANSLATE[ch]
    if ch.isspace():
        return " "
    cat = unicodedata.category(ch)
    if cat[0] == "C" or cat in ("Me", "Sk"):
        return ""
    if 0xFE00 <= ord(ch) <= 0xFE0F:  # variation selectors (emoji presentation)
        return ""
    if cat == "So" and ch != "°" and not 0x3380 <= ord(ch) <= 0x33FF:  # keep squared units (㎞)
        return ""
    if ch in _KEEP_AS_IS or ch.isascii():
        return ch
    if 0x3000 <= ord(ch) <= 0x303F or 0x2010 <= ord(ch) <= 0x206F:
        return ch  # CJK and general punctuation: quotes, dashes, 。、
    if cat == "Nd":
        # Any script's decimal digit (Arabic-Indic ٣, Devanagari ३…): the number readers take ASCII only.
        return str(unicodedata.decimal(ch))
    return unicodedata.normalize("NFKC", ch)


def ascii_digits(text: str) -> str:
    """``text`` with every decimal digit of any script as its ASCII digit (``٣`` → ``3``)."""
    return "".join(
        str(unicodedata.decimal(ch)) if not ch.isascii() and unicodedata.category(ch) == "Nd" else ch
        for ch in text
    )
