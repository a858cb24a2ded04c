"""The text front-end: raw text or SSML in, speakable pieces out.

Order matters: markup (SSML, inline pinyin) first, then the user's lexicon, then language
detection (acronyms inside Chinese stay with the Chinese voice), then per-language
normalization, and splitting last so pieces never cut a number.
"""

from __future__ import annotations

from collections import Counter

from tts_engine.errors import EmptyTextError, InvalidOptionError, TextTooLongError
from tts_engine.text import acronyms, langid, normalize, split
from tts_engine.text.atoms import Atom, Stream, from_text, rewrite
from tts_engine.text.chars import script_lang
from tts_engine.text.lexicon import Lexicon
from tts_engine.text.piece import Piece
from tts_engine.text.ssml import parse as parse_ssml


def _proxy(atom: Atom) -> str:
    """One character standing for an atom in language detection."""
    if len(atom.text) == 1 and not atom.fixed:
        return atom.text
    strong = next((ch for ch in atom.text if script_lang(ch)), None)
    return strong or ("0" if any(ch.isdigit() for ch in atom.text) else " ")


def _assign_languages(stream: Stream, default: str) -> None:
    atoms = [a for a in stream if isinstance(a, Atom)]
    detected = langid.detect("".join(_proxy(a) for a in atoms), default)
    for atom, lang in zip(atoms, detected, strict=True):
        atom.lang = langid.apply_hint(lang, atom.hint)


def _apply_lexicon(stream: Stream, lexicon: Lexicon) -> Stream:
    """Pinyin entries become fixed atoms; substitutions become text that is normalized later."""
    return rewrite(
        stream,
        key=lambda a: (a.rate, a.hint, a.tone),
        spans=lambda text, _: [(m.start, m.end, m.text, m.pinyin) for m in lexicon.matches(text)],
        free_text=True,
    )


def analyze(
    text: str,
    *,
    ssml: bool | None = None,
    lexicon: Lexicon | None = None,
    max_chars: int | None = None,
    first_piece_chars: int = 12,
    max_piece_chars: int = 80,
    default_lang: str = "zh",
) -> list[Piece]:
    """The pieces of ``text`` in speaking order.

    ``ssml=None`` treats text starting with ``<speak`` as SSML. ``default_lang`` is the language
    of text with no letters at all ("12345"); SSML's ``<speak xml:lang>`` replaces it.
    Raises TextTooLongError over ``max_chars``, EmptyTextError when nothing is speakable,
    SSMLError for bad SSML and InvalidOptionError for bad inline pinyin.
    """
    if first_piece_chars < 1 or max_piece_chars < 1:
        raise InvalidOptionError("first_piece_chars and max_piece_chars must be at least 1")
    if max_chars is not None and len(text) > max_chars:
        raise TextTooLongError(len(text), max_chars)
    if is_ssml(text, ssml):
        doc = parse_ssml(text)
        stream, default = doc.stream, doc.lang or default_lang
    else:
        stream, default = list(from_text(text)), default_lang
    if lexicon:
        stream = _apply_lexicon(stream, lexicon)
    _assign_languages(stream, default)
    stream = acronyms.read_in_chinese(stream)
    stream = normalize.normalize(stream)
    pieces = split.split(stream, first_piece_chars, max_piece_chars)
    if all(p.is_silence for p in pieces):
        raise EmptyTextError("the text has nothing to speak: it is empty or only punctuation and symbols")
    return pieces


def is_ssml(text: str, ssml: bool | None = None) -> bool:
    """Whether ``text`` is read as SSML: as ``ssml`` says, or (``None``) when it starts with ``<speak``."""
    return text.lstrip().startswith("<speak") if ssml is None else ssml


def main_language(text: str, *, ssml: bool | None = None, default_lang: str = "zh") -> str:
    """The language a request is mostly in, which picks its voice when it names none.

    Han carries a text: it is ``zh`` when its Han letters number at least a quarter of its Latin
    ones (a Chinese sentence keeps its English product names), else the script most used (Latin:
    ``en``). SSML is judged by what it speaks, not by its markup; text without letters by the
    language the front-end reads it in (``<speak xml:lang>``, else ``default_lang``).
    Raises SSMLError for bad SSML, as :func:`analyze` would.
    """
    if is_ssml(text, ssml):
        doc = parse_ssml(text)
        spoken = "".join(item.text for item in doc.stream if isinstance(item, Atom))
        default_lang = doc.lang or default_lang
    else:
        spoken = text
    letters = Counter(lang for lang in langid.labels(spoken) if lang is not None)
    han = letters.pop("zh", 0)
    if han and han >= letters.get("en", 0) // 4:
        return "zh"
    return letters.most_common(1)[0][0] if letters else default_lang


def warm_up() -> None:
    """Load jieba's dictionary, pypinyin's tables and cn2an now rather than on the first request
    (about a second, once per process)."""
    from tts_engine.text.pinyin import apply_homophones, syllables

    syllables()
    apply_homophones(Piece("重新", "zh", pinyin={0: "zhong4"}))  # pypinyin phrases + homophone table
    analyze("会议于2026年11月21日下午3:30召开，预算¥1,280，增长15.5%。Dr. Smith paid $3.50.")
