"""Chapters of plain text (heading lines) and of Markdown (headings, via markdown-it-py)."""

from __future__ import annotations

from collections import Counter

from markdown_it import MarkdownIt
from markdown_it.token import Token

from .book import Book, Chapter, spoken_heading
from .headings import CONTENTS, heading_key, is_heading


def read_text(text: str, default_title: str) -> Book:
    """Chapters start at heading lines ("Chapter 3", "CHAPTER IV. The Storm", "第三章 出发"), with or
    without blank lines around them (see headings.py); a single short line before the first of them
    is the book's title. A table of contents (headings with no text that come again later) is dropped."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    sections: list[tuple[str, list[str]]] = [("", [])]
    for i, line in enumerate(lines):
        if is_heading(line, lines[i - 1] if i else ""):
            sections.append((line.strip(), []))
        else:
            sections[-1][1].append(line)
    sections = [sections[0], *_without_contents(sections[1:])]
    front = "\n".join(sections[0][1]).strip()
    title = default_title
    if len(sections) > 1 and front and "\n" not in front and len(front) <= 80:
        title, front = front, ""
    chapters = [Chapter("Opening", front)] if front else []
    chapters += [Chapter(head, "\n".join(body).strip(), heading=head) for head, body in sections[1:]]
    if not chapters:
        chapters = [Chapter(default_title, "")]
    elif len(sections) == 1:
        chapters = [Chapter(default_title, front)]
    return Book(title, None, chapters)


def _without_contents(sections: list[tuple[str, list[str]]]) -> list[tuple[str, list[str]]]:
    """Drop headings with nothing under them that are a table of contents: its own heading, and
    entries whose chapter comes again later."""
    keys = [heading_key(head) for head, _ in sections]
    return [
        (head, body)
        for i, (head, body) in enumerate(sections)
        if "".join(body).strip() or (keys[i] not in keys[i + 1 :] and not CONTENTS.match(head))
    ]


def read_markdown(text: str, default_title: str) -> Book:
    """Chapters split at the highest heading level used more than once; a lone heading above that
    level is the book's title."""
    blocks = _blocks(MarkdownIt("commonmark").parse(text))
    levels = Counter(level for level, _ in blocks if level)
    if not levels:
        return Book(default_title, None, [Chapter(default_title, "\n\n".join(t for _, t in blocks))])
    repeated = sorted(lv for lv, n in levels.items() if n > 1)
    split = repeated[0] if repeated else min(levels)
    book_title = default_title
    top = min(levels)
    if top < split and levels[top] == 1:
        book_title = next(t for lv, t in blocks if lv == top)
    sections: list[tuple[str, list[str]]] = [("", [])]
    for level, content in blocks:
        if level == split:
            sections.append((content, []))
        elif level and level < split and content == book_title:
            continue  # the book's title, not part of any chapter
        else:
            sections[-1][1].append(spoken_heading(content) if level else content)
    chapters = [
        Chapter(head or "Opening", "\n\n".join(parts), heading=head)
        for head, parts in sections
        if head or parts
    ]
    return Book(book_title, None, chapters)


def _blocks(tokens: list[Token]) -> list[tuple[int, str]]:
    """(heading level, text) for headings and (0, text) for paragraphs; code is not read aloud."""
    out: list[tuple[int, str]] = []
    level = 0
    for token in tokens:
        if token.type == "heading_open":
            level = int(token.tag[1])
        elif token.type == "paragraph_open":
            level = 0
        elif token.type == "inline":
            content = _plain(token).strip()
            if content:
                out.append((level, content))
            level = 0
    return out


def _plain(inline: Token) -> str:
    parts = []
    for child in inline.children or []:
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type == "softbreak":
            parts.append(" ")
        elif child.type == "hardbreak":
            parts.append("\n")
    return "".join(parts)
