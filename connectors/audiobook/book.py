"""A book as chapters of text, read from .txt, .md or .epub."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

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


def read_book(path: Path) -> Book:
    """The chapters of ``path``, by its suffix; BookError for anything unreadable."""
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise BookError(f"{path.name}: unsupported input; give a .txt, .md or .epub file")
    if not path.is_file():
        raise BookError(f"{path}: no such file")
    if suffix == ".epub":
        from .epub import read_epub

        return read_epub(path)
    from .text import read_markdown, read_text

    text = decode_text(path)
    return read_markdown(text, path.stem) if suffix in (".md", ".markdown") else read_text(text, path.stem)


def decode_text(path: Path) -> str:
    data = path.read_bytes()
    if b"\x00" in data[:4096]:
        raise BookError(f"{path.name} is not a text file (it holds binary data)")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise BookError(
            f"{path.name} is not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start})"
        ) from None


def spoken_heading(title: str) -> str:
    """A heading read aloud ends with a full stop, so the voice pauses before the chapter."""
    title = title.strip()
    if not title or title[-1] in ".!?。！？:：":
        return title
    return title + ("。" if re.search(r"[\u4e00-\u9fff]", title) else ".")
