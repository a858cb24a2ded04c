"""Language segmentation by script: Han → zh, Latin → en, kana → ja, Hangul → ko, ...

Digits, punctuation and spaces have no script; they join the run around them, so "iPhone 15"
stays English and "版本3.2" Chinese.
"""

from __future__ import annotations

import re
from itertools import groupby
from operator import itemgetter

from tts_engine.text.chars import script_lang
from tts_engine.text.units import UNIT_PATTERN

# Han in a sentence this rich in kana is Japanese kanji, not Chinese.
_KANA_SHARE = 0.25
_SENTENCE = re.compile(r"[^。！？!?\n]+[。！？!?\n]*")
_UNIT_AFTER_NUMBER = re.compile(rf"(?<=\d)\s?({UNIT_PATTERN})")
# Counters that claim the number glued to them: "Hello 2026年" reads 二零二六年.
_ZH_COUNTERS = frozenset("年月日号点时分秒个位次元块岁天周倍人名件条张本台辆家项种份万亿千百")
_NUMBER_CHARS = frozenset("0123456789.,:%-/")
_OPENERS = frozenset("([{“‘\"'「『《（【")

_SCRIPT_FAMILY = {
    "zh": "Hani", "ja": "Hani", "ko": "Hang",
    "ru": "Cyrl", "uk": "Cyrl", "bg": "Cyrl", "be": "Cyrl", "sr": "Cyrl", "kk": "Cyrl", "mk": "Cyrl",
    "ar": "Arab", "fa": "Arab", "ur": "Arab", "und": "",
}  # fmt: skip


def _family(lang: str) -> str:
    return _SCRIPT_FAMILY.get(lang, "Latn")


def labels(text: str) -> list[str | None]:
    """Per character: the language its script implies, None for digits, punctuation and units."""
    out = [script_lang(ch) for ch in text]
    for m in _UNIT_AFTER_NUMBER.finditer(text):
        out[m.start(1) : m.end(1)] = [None] * (m.end(1) - m.start(1))  # "5km" is a number, not English
    for m in _SENTENCE.finditer(text):
        span = out[m.start() : m.end()]
        kana, han = span.count("ja"), span.count("zh")
        if kana and kana / (kana + han) >= _KANA_SHARE:
            out[m.start() : m.end()] = ["ja" if lab == "zh" else lab for lab in span]
    return out


def _split_neutral(text: str, start: int, end: int, after: str) -> int:
    """Where a neutral stretch between two languages changes hands: the index of the first
    character that belongs to the following run. By default all of it stays with the run before."""
    cut = end
    while cut > start and text[cut - 1] in _OPENERS:
        cut -= 1  # an opening quote belongs to what it opens
    if cut == end and end < len(text) and text[end - 1].isdigit():
        # a number glued to what follows belongs to it: "5G" is one token, "2026年" reads 二零二六年
        if (after == "zh" and text[end] in _ZH_COUNTERS) or (after != "zh" and text[end].isalpha()):
            while cut > start and text[cut - 1] in _NUMBER_CHARS:
                cut -= 1
    return cut


def detect(text: str, default: str = "zh") -> list[str]:
    """The language of every character of ``text``; ``default`` when nothing has a script."""
    labs = labels(text)
    out: list[str] = [""] * len(text)
    i = 0
    while i < len(text):
        if labs[i] is not None:
            out[i] = str(labs[i])
            i += 1
            continue
        j = i
        while j < len(text) and labs[j] is None:
            j += 1
        before = out[i - 1] if i else None
        after = labs[j] if j < len(text) else None
        if before is None or after is None or before == after:
            fill = before or after or default
            out[i:j] = [fill] * (j - i)
        else:
            cut = _split_neutral(text, i, j, str(after))
            out[i:cut] = [before] * (cut - i)
            out[cut:j] = [str(after)] * (j - cut)
        i = j
    return out


def segment(text: str, default: str = "zh") -> list[tuple[str, str]]:
    """``text`` as (language, run) pairs in order: "我们用AI做TTS" → zh 我们用, en AI, zh 做, en TTS."""
    pairs = zip(detect(text, default), text, strict=True)
    return [(lang, "".join(ch for _, ch in run)) for lang, run in groupby(pairs, key=itemgetter(0))]


def apply_hint(detected: str, hint: str | None) -> str:
    """An explicit language (SSML ``xml:lang``) wins when it is written in the detected script:
    ``<lang xml:lang="fr">`` makes Latin text French but leaves Han in it Chinese."""
    if not hint or hint == detected:
        return detected
    if detected == "und" or _family(detected) == _family(hint):
        return hint
    return detected
