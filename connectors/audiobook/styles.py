"""Speaking styles of a book: one for the whole book, and any chapter's own by its number.

A chapter's style is written ``STYLE`` or ``STYLE:INTENSITY`` (``sad``, ``cheerful:0.6``,
``开心:60%``); chapters are numbered from 1 as the chapter files are (``003-….mp3`` is chapter 3).
On the command line ``--chapter-style 3=sad``; in a job's args ``{"chapter_styles": {"3": "sad"}}``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from tts_engine.errors import InvalidOptionError
from tts_engine.prosody.expression import Expression
from tts_engine.prosody.styles import NEUTRAL_STYLE, StyleBook, check_intensity

FIELD = "chapter_styles"


@dataclass(frozen=True)
class BookStyle:
    """The book's ``style`` at ``intensity``; ``chapters`` maps a chapter number to its own."""

    style: str | None = None
    intensity: float = 1.0
    chapters: Mapping[int, tuple[str, float]] | None = None

    def of(self, index: int) -> Expression:
        """The expression chapter ``index`` is spoken with."""
        style, intensity = (self.chapters or {}).get(index, (self.style or NEUTRAL_STYLE, self.intensity))
        return Expression(style=style, intensity=intensity)

    def check(self, book: StyleBook) -> None:
        """InvalidOptionError naming the field (``style``, ``chapter_styles.3``) of an unknown style."""
        book.targets(self.style or NEUTRAL_STYLE, self.intensity)
        for index, (style, intensity) in sorted((self.chapters or {}).items()):
            where = f"{FIELD}.{index}"
            book.get(style, where)
            check_intensity(intensity, where)


def chapter_style(text: str, where: str = FIELD) -> tuple[str, float]:
    """``sad`` -> ("sad", 1.0); ``cheerful:0.6`` or ``cheerful:60%`` -> ("cheerful", 0.6)."""
    style, _, level = text.strip().partition(":")
    if not style.strip():
        raise InvalidOptionError(f"{where}: give a style, as in 'sad' or 'cheerful:0.6'", where)
    if not level.strip():
        return style.strip(), 1.0
    raw = level.strip()
    try:
        number = float(raw.removesuffix("%"))
    except ValueError:
        raise InvalidOptionError(f"{where}: intensity {raw!r} is not a number", where) from None
    return style.strip(), check_intensity(number / 100 if raw.endswith("%") else number, where)


def chapter_styles(given: Mapping[object, object] | Iterable[str] | None) -> dict[int, tuple[str, float]]:
    """From job args (``{"3": "sad"}``) or CLI options (``["3=sad", "5=cheerful:0.6"]``)."""
    if given is None:
        return {}
    pairs = given.items() if isinstance(given, Mapping) else (_split(item) for item in given)
    out: dict[int, tuple[str, float]] = {}
    for key, value in pairs:
        number = _chapter_number(key)
        if not isinstance(value, str):
            raise InvalidOptionError(f"{FIELD}.{number}: give a style as text, as in 'sad'", FIELD)
        out[number] = chapter_style(value, f"{FIELD}.{number}")
    return out


def _split(item: str) -> tuple[str, str]:
    number, sep, style = item.partition("=")
    if not sep:
        raise InvalidOptionError(f"{FIELD}: {item!r} is not CHAPTER=STYLE, as in '3=sad'", FIELD)
    return number, style


def _chapter_number(key: object) -> int:
    try:
        number = int(str(key).strip())
    except ValueError:
        number = 0
    if number < 1:
        raise InvalidOptionError(f"{FIELD}: {key!r} is not a chapter number (1, 2, …)", FIELD)
    return number
