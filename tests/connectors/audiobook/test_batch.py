"""Books into chapter files, a chaptered book, captions and a playlist; resumed after an interruption."""

from __future__ import annotations

import itertools
import os
import threading
from pathlib import Path

import pytest
import srt
import webvtt
from typer.testing import CliRunner

from connectors.audiobook.batch import Batch, BatchOptions, Progress
from connectors.audiobook.manifest import Manifest
from integrator.cli import cli_app
from tests.connectors.audiobook.audiobook_helpers import CHAPTERS, engine, ffprobe, make_epub
from tests.integrator.servekit import decode, duration_s
from tts_engine.engine import Engine
from tts_engine.errors import SynthesisCancelled

app = cli_app()  # the command with the installed connectors


def test_an_epub_becomes_chapter_files_an_m4b_with_markers_captions_and_a_playlist(tmp_path: Path) -> None:
    source = make_epub(tmp_path / "alice.epub")
    seen: list[Progress] = []
    result = Batch(
        engine(), BatchOptions(format="m4b"), on_progress=lambda p: seen.append(Progress(**vars(p)))
    ).run(source, tmp_path / "out")
    out = result.directory
    # The cover page has no text: skipped with a note; the three chapters each have a file.
    assert result.notes == ["chapter 1 ('Section 1') has no text: skipped"]
    files = [c.file for c in result.chapters if c.status == "done"]
    assert files == ["002-down-the-rabbit-hole.m4a", "003-the-pool-of-tears.m4a", "004-a-caucus-race.m4a"]
    lengths = []
    for name in files:
        info = ffprobe(out / name)
        assert info["streams"][0]["codec_name"] == "aac"
        lengths.append(duration_s((out / name).read_bytes()))
    # The book: AAC in MP4 with one marker per chapter, titled from the table of contents, back to back.
    assert result.book.name == "alice-in-tests.m4b"
    book = ffprobe(result.book)
    assert (
        book["format"]["tags"]["title"] == "Alice in Tests"
        and book["format"]["tags"]["artist"] == "Lewis Carroll"
    )
    marks = book["chapters"]
    assert [m["tags"]["title"] for m in marks] == [t for t, _ in CHAPTERS]
    assert float(marks[0]["start_time"]) == 0.0
    for before, after in itertools.pairwise(marks):
        assert before["end_time"] == after["start_time"]
    for mark, length in zip(marks, lengths, strict=True):
        assert abs(float(mark["end_time"]) - float(mark["start_time"]) - length) < 0.1
    assert abs(float(marks[-1]["end_time"]) - duration_s(result.book.read_bytes())) < 0.1
    # Captions, read back with real parsers: one cue per sentence, in the chapter the marker says.
    cues = list(webvtt.read(str(result.captions[1])))
    assert len(cues) == 3 + sum(len(srt_sentences) for srt_sentences in _sentences())
    tears = next(c for c in cues if c.text == "Curiouser and curiouser, cried Alice.")
    assert (
        float(marks[1]["start_time"])
        <= tears.start_in_seconds
        < tears.end_in_seconds
        <= float(marks[1]["end_time"])
    )
    chapter_srt = list(srt.parse((out / "003-the-pool-of-tears.srt").read_text(encoding="utf-8")))
    assert [s.content for s in chapter_srt] == ["Chapter 2.", *_sentences()[1]]
    assert chapter_srt[-1].end.total_seconds() <= lengths[1] + 0.05
    # The playlist lists the chapter files in order, with their lengths.
    playlist = result.playlist.read_text(encoding="utf-8").splitlines()
    assert playlist[0] == "#EXTM3U" and [line for line in playlist if not line.startswith("#")] == files
    # Progress counted characters up to the whole book, chapter by chapter.
    assert seen[-1].characters_done == seen[-1].characters_total and seen[-1].chapters_done == 3
    assert [p.characters_done for p in seen] == sorted(p.characters_done for p in seen)


def _sentences() -> list[list[str]]:
    return [[s for p in paragraphs for s in p.replace(". ", ".|").split("|")] for _, paragraphs in CHAPTERS]


def test_an_interrupted_batch_keeps_finished_chapters_and_makes_only_the_rest(tmp_path: Path) -> None:
    source = make_epub(tmp_path / "alice.epub", with_cover_page=False)
    out = tmp_path / "out"
    cancel = threading.Event()

    def stop_after_first(p: Progress) -> None:
        if p.chapters_done == 1:
            cancel.set()  # as a crash or a shutdown would, halfway through the second chapter

    with pytest.raises(SynthesisCancelled):
        Batch(engine(), BatchOptions(format="mp3"), cancel=cancel, on_progress=stop_after_first).run(
            source, out
        )
    manifest = Manifest.load(out)
    assert (
        manifest is not None and [c.status for c in manifest.chapters] == ["done"] and not manifest.complete
    )
    first = out / "001-down-the-rabbit-hole.mp3"
    before = first.stat()
    assert not list(out.glob(".*.part")), "no half file is left behind"

    result = Batch(engine(), BatchOptions(format="mp3")).run(source, out)
    assert (result.tally.kept, result.tally.made) == (1, 2)
    assert first.stat().st_mtime_ns == before.st_mtime_ns and first.stat().st_ino == before.st_ino
    marks = ffprobe(result.book)["chapters"]  # MP3: ID3 CHAP frames
    assert [m["tags"]["title"] for m in marks] == [t for t, _ in CHAPTERS]
    # A finished book runs again in no time: every chapter is kept; a changed file is made again.
    with open(first, "r+b") as f:
        f.seek(-10, os.SEEK_END)
        f.write(b"\0" * 10)
    again = Batch(engine(), BatchOptions(format="mp3")).run(source, out)
    assert (again.tally.kept, again.tally.made) == (2, 1)


def test_voxflow_batch_converts_a_markdown_book_on_the_command_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VOXFLOW_TEST_ENGINE", "tone")
    monkeypatch.chdir(tmp_path)
    (tmp_path / "trip.md").write_text("# Trip\n\n## Day one\n\nWe flew north.\n\n## Day two\n\nIt snowed.\n")
    run = CliRunner().invoke(app, ["batch", "trip.md", "-o", "book", "--format", "m4b"])
    assert run.exit_code == 0, run.output
    assert "book/trip.m4b" in run.output and "2 made" in run.output
    assert [m["tags"]["title"] for m in ffprobe(tmp_path / "book" / "trip.m4b")["chapters"]] == [
        "Day one",
        "Day two",
    ]
    broken = tmp_path / "broken.epub"
    broken.write_bytes(b"not a zip")
    failed = CliRunner().invoke(app, ["batch", str(broken)])
    assert failed.exit_code == 2 and "broken.epub is not a readable EPUB" in failed.output


def test_a_real_voice_reads_a_short_book(tmp_path: Path, engine: Engine) -> None:
    source = tmp_path / "short.md"
    source.write_text("# Short\n\n## One\n\nThe first chapter is short.\n\n## Two\n\nSo is the second one.\n")
    result = Batch(engine, BatchOptions(voice="espeak-en", format="mp3")).run(source, tmp_path / "out")
    samples, rate = decode(result.book.read_bytes())
    assert rate == 22050 and len(samples) / rate > 2.0 and float(abs(samples).max()) > 0.1
    assert [m["tags"]["title"] for m in ffprobe(result.book)["chapters"]] == ["One", "Two"]
    cues = list(srt.parse(result.captions[0].read_text(encoding="utf-8")))
    assert [c.content for c in cues] == [
        "One.",
        "The first chapter is short.",
        "Two.",
        "So is the second one.",
    ]
