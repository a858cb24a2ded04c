"""A book as chapters of text: the model the readers (reader.py, text.py, epub.py) produce."""

from __future__ import annotations

import re
from dataclasses import dataclass

SUFFIXES = (".txt", ".md", ".markdown", ".epub")


class BookError(Exception):
    """The input cannot be read as a book; the message says why, in words for a person."""


@dataclass(frozen=True)
class Chapter:
    """``heading`` is read aloud before the ``text``; a chapter with no words in ``text`` is empty."""

    title: str
    text: str
    heading: str = ""

    @property
    def empty(self) -> bool:
        return not re.search(r"\w", self.text)

    @property
    def speech(self) -> str:
        return f"{spoken_heading(self.heading)}\n\n{self.text}" if self.heading.strip() else self.text


@dataclass(frozen=True)
class Book:
    title: str
    author: str | None
    chapters: list[Chapter]


def spoken_heading(title: str) -> str:
    """A heading read aloud ends with a full stop, so the voice pauses before the chapter."""
    title = title.strip()
    if not title or title[-1] in ".!?。！？:：":
        return title
    return title + ("。" if re.search(r"[\u4e00-\u9fff]", title) else ".")
