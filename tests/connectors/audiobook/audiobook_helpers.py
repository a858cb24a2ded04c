"""Books made in the tests: an EPUB written with ebooklib, a tone engine, ffprobe's view of a file."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

from ebooklib import epub

from tests.integrator.servekit import FFPROBE, tone_engine, tone_voices
from tts_engine.engine import Engine

CHAPTERS = [
    (
        "Down the Rabbit Hole",
        ["Alice was tired of sitting by her sister.", "Then a white rabbit ran by. It had a watch."],
    ),
    (
        "The Pool of Tears",
        ["Curiouser and curiouser, cried Alice.", "She grew taller and taller. Then she wept."],
    ),
    (
        "A Caucus Race",
        ["They all sat down in a ring.", "The race began when they liked and ended when they liked."],
    ),
]


def make_epub(path: Path, *, with_cover_page: bool = True) -> Path:
    """Three chapters in the spine and the table of contents, plus a cover page without any text."""
    book = epub.EpubBook()
    book.set_identifier("voxflow-test-book")
    book.set_title("Alice in Tests")
    book.set_language("en")
    book.add_author("Lewis Carroll")
    spine: list[Any] = ["nav"]
    if with_cover_page:
        cover = epub.EpubHtml(title="Cover", file_name="cover.xhtml", lang="en")
        cover.content = '<html><body><div><img src="cover.png" alt=""/></div></body></html>'
        book.add_item(cover)
        spine.append(cover)
    chapters = []
    for i, (title, paragraphs) in enumerate(CHAPTERS, 1):
        chapter = epub.EpubHtml(title=title, file_name=f"chap_{i}.xhtml", lang="en")
        body = "".join(f"<p>{p.replace('white', '<em>white</em>')}</p>" for p in paragraphs)
        chapter.content = f"<html><body><h1>Chapter {i}</h1>{body}</body></html>"
        book.add_item(chapter)
        chapters.append(chapter)
    book.toc = chapters
    book.add_item(epub.EpubNcx())
    book.add_item(epub.EpubNav())
    book.spine = spine + chapters
    epub.write_epub(str(path), book)
    return path


def engine() -> Engine:
    return tone_engine(tone_voices())


def ffprobe(path: Path) -> dict[str, Any]:
    out = subprocess.run(
        [FFPROBE, "-v", "error", "-show_chapters", "-show_format", "-show_streams", "-of", "json", str(path)],
        capture_output=True,
        check=True,
    )
    return dict(json.loads(out.stdout))
