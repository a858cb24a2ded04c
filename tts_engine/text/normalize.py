"""Runs each language's normalizer over the atom stream and renders SSML <say-as> content.

Chinese and English have full rule sets; other languages get their plain numbers read by
num2words when it knows the language, and keep the rest for their backend.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

from num2words import CONVERTER_CLASSES, num2words

from tts_engine.text import normalize_en, normalize_zh
from tts_engine.text.atoms import Atom, Stream, rewrite

Spans = Callable[[str], list[tuple[int, int, str]]]
SayAsFn = Callable[[str, str, str | None], str]

# Symbols with no reading of their own once the rules have taken the ones they understand.
_UNSPOKEN_PUNCTUATION = frozenset("#*_`|\\^~/<>")
_NUMBER = re.compile(r"(?<![\d.])-?\d+(?:\.\d+)?(?![\d.])")


def _other_spans(lang: str) -> Spans:
    def spans(text: str) -> list[tuple[int, int, str]]:
        if lang not in CONVERTER_CLASSES:
            return []
        return [(m.start(), m.end(), str(num2words(m.group(), lang=lang))) for m in _NUMBER.finditer(text)]

    return spans


def _other_say_as(lang: str) -> SayAsFn:
    def say_as(text: str, interpret_as: str, date_format: str | None) -> str:
        if interpret_as == "cardinal" and lang in CONVERTER_CLASSES:
            return str(num2words(text.replace(",", ""), lang=lang))
        return text

    return say_as


def _normalizer(lang: str) -> tuple[Spans, SayAsFn]:
    if lang == "zh":
        return normalize_zh.spans, normalize_zh.say_as
    if lang == "en":
        return normalize_en.spans, normalize_en.say_as
    return _other_spans(lang), _other_say_as(lang)


def _unspoken(ch: str) -> bool:
    return ch in _UNSPOKEN_PUNCTUATION or unicodedata.category(ch)[0] == "S"


def normalize(stream: Stream) -> Stream:
    """Spell out numbers and symbols per language; atoms must already carry their language."""
    for item in stream:
        if isinstance(item, Atom) and item.say_as:
            item.text = _normalizer(item.lang)[1](item.text, item.say_as.interpret_as, item.say_as.format)
    out = rewrite(
        stream,
        key=lambda a: (a.lang, a.rate, a.hint, a.tone),
        spans=lambda text, first: [(s, e, spoken, ()) for s, e, spoken in _normalizer(first.lang)[0](text)],
    )
    for item in out:
        if isinstance(item, Atom) and not item.fixed and _unspoken(item.text[:1] or " "):
            item.text = ""
    return out
