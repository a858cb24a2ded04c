"""Reading books: chapters of EPUB, Markdown and plain text, and clear errors for bad input."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from connectors.audiobook.book import BookError
from connectors.audiobook.reader import read_book
from tests.connectors.audiobook.audiobook_helpers import CHAPTERS, make_epub


def test_an_epub_reads_as_its_spine_titled_by_its_table_of_contents(tmp_path: Path) -> None:
    book = read_book(make_epub(tmp_path / "alice.epub"))
    assert (book.title, book.author) == ("Alice in Tests", "Lewis Carroll")
    # The cover page is in no table of contents and has no heading: it is named by its place.
    assert [c.title for c in book.chapters] == ["Section 1", *(t for t, _ in CHAPTERS)]
    assert book.chapters[0].empty
    second = book.chapters[2]
    assert second.heading == "Chapter 2" and not second.empty
    # Inline markup stays inside its sentence; paragraphs stay apart.
    assert book.chapters[1].text == "\n\n".join(CHAPTERS[0][1])
    assert second.speech.startswith("Chapter 2.\n\n")


def test_markdown_chapters_split_at_the_repeated_heading_level_under_the_book_title(tmp_path: Path) -> None:
    source = tmp_path / "notes.md"
    source.write_text(
        "# Field Notes\n\nA foreword.\n\n## Monday\n\nIt *rained*. We stayed in.\n\n"
        "```\ncode is skipped\n```\n\n## Tuesday\n\n- Sun.\n- A walk to the [harbour](http://x).\n",
        encoding="utf-8",
    )
    book = read_book(source)
    assert book.title == "Field Notes"
    assert [c.title for c in book.chapters] == ["Opening", "Monday", "Tuesday"]
    assert book.chapters[1].text == "It rained. We stayed in."
    assert book.chapters[2].text == "Sun.\n\nA walk to the harbour."


def test_plain_text_chapters_start_at_heading_lines_in_english_and_chinese(tmp_path: Path) -> None:
    source = tmp_path / "story.txt"
    source.write_text(
        "The Long Road\n\nCHAPTER I. Departure\n\nWe left at dawn.\n\n"
        "第二章 到达\n\n我们到了。\n\nChapter 3\n\n…\n",
        encoding="utf-8",
    )
    book = read_book(source)
    assert book.title == "The Long Road"
    assert [(c.title, c.empty) for c in book.chapters] == [
        ("CHAPTER I. Departure", False),
        ("第二章 到达", False),
        ("Chapter 3", True),
    ]
    assert book.chapters[1].speech == "第二章 到达。\n\n我们到了。"


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("broken.epub", b"PK\x03\x04 this is not really a zip", "not a readable EPUB"),
        ("binary.txt", bytes(range(256)) * 4, "not a text file"),
        ("latin1.txt", "Café crème".encode("latin-1"), "not UTF-8 text (byte 0xe9 at offset 3)"),
        ("book.pdf", b"%PDF-1.4", "unsupported input"),
    ],
)
def test_bad_input_gets_a_clear_error(tmp_path: Path, name: str, content: bytes, message: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(BookError, match=message.replace("(", r"\(").replace(")", r"\)")):
        read_book(path)


def test_an_epub_without_its_container_is_not_readable(tmp_path: Path) -> None:
    path = tmp_path / "gutted.epub"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("mimetype", "application/epub+zip")
    with pytest.raises(BookError, match=r"gutted\.epub is not a readable EPUB"):
        read_book(path)
