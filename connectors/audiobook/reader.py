"""Reads a book from .txt, .md or .epub: picks the reader by suffix (the readers depend on the
book model in book.py, never the other way)."""

from __future__ import annotations

from pathlib import Path

from .book import SUFFIXES, Book, BookError


def read_book(path: Path) -> Book:
    """The chapters of ``path``, by its suffix; BookError for anything unreadable."""
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise BookError(f"{path.name}: unsupported input; give a .txt, .md or .epub file")
    if not path.is_file():
        raise BookError(f"{path}: no such file")
    # The readers load when a book of their kind is read: ebooklib and markdown-it are slow to import.
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
