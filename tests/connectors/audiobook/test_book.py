"""Reading books: chapters of EPUB, Markdown and plain text, and clear errors for bad input."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from connectors.audiobook.book import BookError
from connectors.audiobook.reader import read_book
from connectors.audiobook.text import read_text
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


WEB_NOVEL = """星河旅人
作者：林远

目录
第一章 出发
第二章　夜行
第十二回 到达

第一章 出发
　　天刚亮，我们就收拾好行李出发了。路上的风很大，谁也没有说话。
　　第一次见面时，他说这条路很长，要走三天三夜。
第三回合，他终于赢了，大家都笑了。
第二章　夜行
　　夜里的山路很难走，我们只能慢慢地往前挪。
第二章讲的是他们怎样走完夜路的，这一点他后来常常提起。
　　第一章里说过的那座桥，终于出现在眼前。
第十二回 到达
　　城门开了，我们终于到了。
"""

GUTENBERG = """THE LONG ROAD

by A. Writer

CONTENTS

 CHAPTER I.     The Start
 CHAPTER II.    Rain
 CHAPTER THREE  Home

CHAPTER I.
The Start

It was a cold morning when we left the village, and the road ran
north between the fields. Part of the reason we went was money, and
Chapter 2 of our plan, as my brother called it, was the city itself.
Book I read on the way was short.

Chapter II. Rain
The rain began at noon and did not stop until the evening came.
Introduction to the family took an hour.

Part of me wanted to stay.

CHAPTER THREE
We came home at last, tired and glad.
"""


def test_web_novel_chapters_start_at_heading_lines_with_no_blank_line_after_them(tmp_path: Path) -> None:
    source = tmp_path / "星河旅人.txt"
    source.write_text(WEB_NOVEL, encoding="utf-8")
    book = read_book(source)
    titles = [c.title for c in book.chapters]
    # The front matter stays one opening section; the table of contents is not read as chapters.
    assert titles == ["Opening", "第一章 出发", "第二章\u3000夜行", "第十二回 到达"]
    assert "目录" not in book.chapters[0].text and "林远" in book.chapters[0].text
    first, second, third = book.chapters[1:]
    assert first.text.startswith("天刚亮") and "第三回合，他终于赢了" in first.text  # prose, not a chapter
    assert "第二章讲的是" in second.text and "第一章里说过的那座桥" in second.text
    assert third.text == "城门开了，我们终于到了。"
    assert second.speech.startswith("第二章\u3000夜行。\n\n夜里的山路")


def test_gutenberg_chapters_start_at_heading_lines_and_prose_lines_stay_prose(tmp_path: Path) -> None:
    source = tmp_path / "road.txt"
    source.write_text(GUTENBERG, encoding="utf-8")
    book = read_book(source)
    assert [c.title for c in book.chapters] == ["Opening", "CHAPTER I.", "Chapter II. Rain", "CHAPTER THREE"]
    assert "CONTENTS" not in book.chapters[0].text
    start, rain, home = book.chapters[1:]
    assert start.text.startswith("The Start\n\nIt was a cold morning")
    assert "Chapter 2 of our plan" in start.text and "Book I read on the way" in start.text
    assert rain.text.startswith("The rain began at noon") and "Part of me wanted to stay." in rain.text
    assert home.text == "We came home at last, tired and glad."


@pytest.mark.parametrize(
    "line",
    ["第一章 出发", "第十二回", "第一回　甄士隐梦幻识通灵　贾雨村风尘怀闺秀", "楔子", "Chapter 2",
     "CHAPTER TWO", "Chapter Twenty-One", "CHAPTER IV. The Storm", "Chapter 1. Loomings.", "Part Two: Home",
     "Prologue"],
)
def test_a_heading_line_directly_above_text_starts_a_chapter(line: str) -> None:
    book = read_text(f"开头的第一句话。\n开头的第二句话。\n{line}\nThe text goes on from here.\n", "book")
    assert [c.title for c in book.chapters] == ["Opening", line]
    assert book.chapters[1].text == "The text goes on from here."


@pytest.mark.parametrize(
    "line",
    ["Part of the reason was money.", "Chapter 3 was the hardest to write, she said.",
     "Book I read was short.", "Introduction to the family took an hour.", "Part one of the plan was simple.",
     "第三回合，他终于赢了。",
     "第二章讲的是他们的故事。", "第一次见面时，他很紧张。", "chapter 2 is lower case"],
)
def test_a_line_of_prose_that_starts_like_a_heading_is_not_one(line: str) -> None:
    book = read_text(f"Chapter 1\n\nFirst words.\n\n{line}\n\nLast words.\n", "book")
    assert [c.title for c in book.chapters] == ["Chapter 1"]
    assert line in book.chapters[0].text
