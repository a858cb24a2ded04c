"""Chapters of an EPUB: the spine's documents in reading order, titled from the table of contents."""

from __future__ import annotations

import re
import warnings
from pathlib import Path
from typing import Any

from bs4 import BeautifulSoup
from ebooklib import ITEM_DOCUMENT, epub

from .book import Book, BookError, Chapter

BLOCKS = ("p", "div", "li", "blockquote", "pre", "tr", "br", "h1", "h2", "h3", "h4", "h5", "h6", "section")


def read_epub(path: Path) -> Book:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # ebooklib warns about its own future defaults
            book = epub.read_epub(str(path), options={"ignore_ncx": True})
    except Exception as exc:  # zip, XML and ebooklib errors alike: the file is not a usable EPUB
        reason = str(exc).strip() or type(exc).__name__
        raise BookError(f"{path.name} is not a readable EPUB ({reason})") from None
    titles = _toc_titles(book.toc)
    chapters: list[Chapter] = []
    for idref, _linear in book.spine:
        item = book.get_item_with_id(idref)
        if item is None or item.get_type() != ITEM_DOCUMENT or isinstance(item, epub.EpubNav):
            continue
        soup = BeautifulSoup(item.get_content(), "lxml")
        found = soup.body.find(re.compile(r"^h[1-6]$")) if soup.body else None
        heading = found.get_text(" ", strip=True) if found else ""
        if found:
            found.decompose()  # read aloud once, as the heading, not again in the text
        title = (
            titles.get(item.get_name())
            or heading
            or (soup.title.get_text(strip=True) if soup.title else "")
            or f"Section {len(chapters) + 1}"
        )
        chapters.append(Chapter(title, _text(soup), heading=heading))
    if not chapters:
        raise BookError(f"{path.name} has no text documents in its spine")
    meta_title = book.get_metadata("DC", "title")
    creator = book.get_metadata("DC", "creator")
    return Book(meta_title[0][0] if meta_title else path.stem, creator[0][0] if creator else None, chapters)


def _toc_titles(toc: Any) -> dict[str, str]:
    """Document name → its first title in the table of contents (fragments dropped)."""
    out: dict[str, str] = {}
    for entry in toc:
        if isinstance(entry, tuple):  # (Section, [children])
            section, children = entry
            href = getattr(section, "href", None)
            if href:
                out.setdefault(href.split("#")[0], section.title)
            for name, title in _toc_titles(children).items():
                out.setdefault(name, title)
        elif getattr(entry, "href", None):
            out.setdefault(entry.href.split("#")[0], entry.title)
    return out


def _text(soup: BeautifulSoup) -> str:
    for tag in soup(["script", "style", "head"]):
        tag.decompose()
    # Blocks end in a line break, so "He said <em>no</em>." stays one sentence and paragraphs part.
    for tag in soup.find_all(BLOCKS):
        tag.append("\n")
    lines = (re.sub(r"\s+", " ", line).strip() for line in soup.get_text().split("\n"))
    return "\n\n".join(line for line in lines if line)
