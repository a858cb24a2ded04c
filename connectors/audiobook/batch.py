"""Converting a book: chapter by chapter into files, then the chaptered book, playlist and captions.

Resumable: the manifest is written after every chapter, and a chapter whose text, settings and
file hash match the manifest is kept instead of synthesized again (see manifest.py). Everything
is written to a temp name and renamed, so a crash leaves no half file under a final name.
"""

from __future__ import annotations

import logging
import os
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from integrator.jobs.artifacts import file_sha256
from integrator.runtime import default_voice_for
from tts_engine.audio.codecs import output_rate
from tts_engine.engine import Engine
from tts_engine.errors import EmptyTextError, InvalidOptionError, SynthesisCancelled
from tts_engine.types import SynthesisOptions

from . import captions, chapter_files
from .book import Book, BookError, Chapter
from .manifest import ChapterEntry, Manifest, chapter_key
from .reader import read_book
from .styles import FIELD, BookStyle

log = logging.getLogger(__name__)
PART_CHARS = 20_000  # text handed to the engine at once: bounded memory, steady progress


@dataclass(frozen=True)
class BatchOptions:
    voice: str | None = None
    format: str = "mp3"  # mp3 (ID3 chapters) or m4b (AAC in MP4, .m4a chapter files)
    speed: float = 1.0
    bitrate: int = 64_000
    styles: BookStyle = field(default_factory=BookStyle)  # the book's style and chapters' own


@dataclass
class Progress:
    chapters_total: int
    characters_total: int
    chapters_done: int = 0  # made or kept
    chapters_kept: int = 0
    chapters_skipped: int = 0
    characters_done: int = 0
    chapter: str = ""

    @property
    def fraction(self) -> float:
        return self.characters_done / self.characters_total if self.characters_total else 1.0


@dataclass
class Tally:
    made: int = 0
    kept: int = 0
    notes: list[str] = field(default_factory=list)


@dataclass
class BatchResult:
    directory: Path
    book: Path
    playlist: Path
    captions: tuple[Path, Path]
    chapters: list[ChapterEntry]
    sample_rate: int
    voice: str
    tally: Tally

    @property
    def duration_ms(self) -> float:
        return sum(c.duration_ms for c in self.chapters if c.status == "done")

    @property
    def notes(self) -> list[str]:
        return self.tally.notes


def slug(title: str, limit: int = 48) -> str:
    """A file-name-safe form of a title; Chinese and other letters stay."""
    s = re.sub(r"[^\w]+", "-", title).strip("-_").lower()
    return s[:limit].strip("-") or "chapter"


def parts(text: str, limit: int) -> list[str]:
    """``text`` in pieces of at most ``limit`` characters, cut between paragraphs, else sentences."""
    out: list[str] = []
    current = ""
    for para in re.split(r"\n\s*\n", text):
        units = [para] if len(para) <= limit else re.split(r"(?<=[.!?。！？;；])\s*", para)
        for unit in units:
            while len(unit) > limit:  # no sentence end for `limit` characters: cut anyway
                out.append(unit[:limit])
                unit = unit[limit:]
            if current and len(current) + len(unit) + 2 > limit:
                out.append(current)
                current = ""
            current = f"{current}\n\n{unit}" if current else unit
    if current.strip():
        out.append(current)
    return [p for p in out if p.strip()]


class Batch:
    """One conversion. ``cancel`` stops it within a piece (finished chapters stay for a resume);
    ``on_progress`` is called after every sentence with a :class:`Progress` it may read."""

    def __init__(
        self,
        engine: Engine,
        options: BatchOptions,
        *,
        cancel: threading.Event | None = None,
        on_progress: Callable[[Progress], None] | None = None,
    ) -> None:
        if options.format not in chapter_files.FORMATS:
            raise BookError(f"unknown audiobook format {options.format!r}; choose mp3 or m4b")
        options.styles.check(engine.styles)
        self.engine = engine
        self.options = options
        self.cancel = cancel or threading.Event()
        self.on_progress = on_progress or (lambda progress: None)

    def run(self, source: Path, out_dir: Path) -> BatchResult:
        book = read_book(source)
        return self.convert(book, out_dir)

    def convert(self, book: Book, out_dir: Path) -> BatchResult:
        opts = self.options
        spoken = [c for c in book.chapters if not c.empty]
        if not spoken:
            raise BookError(f"{book.title!r}: no chapter has text to speak")
        beyond = [n for n in (opts.styles.chapters or {}) if n > len(book.chapters)]
        if beyond:
            where = f"{FIELD}.{min(beyond)}"
            raise InvalidOptionError(f"{where}: {book.title!r} has {len(book.chapters)} chapters", where)
        voice = opts.voice or default_voice_for(self.engine, " ".join(c.speech[:2000] for c in spoken[:5]))
        codec = chapter_files.CODEC_FORMAT[opts.format]
        rate = output_rate(codec, None, self.engine.registry.info(voice).sample_rate)
        settings = self._settings(voice, rate)
        out_dir.mkdir(parents=True, exist_ok=True)
        previous = Manifest.load(out_dir)
        manifest = Manifest(book.title, settings)
        progress = Progress(len(book.chapters), sum(len(c.speech) for c in spoken))
        tally = Tally()
        self.on_progress(progress)
        for index, chapter in enumerate(book.chapters, 1):
            progress.chapter = chapter.title
            try:
                entry = self._chapter(book, index, chapter, voice, rate, previous, out_dir, progress, tally)
            except BaseException:
                manifest.resume_from = index  # what is finished stays listed; this is where to go on
                manifest.save(out_dir)
                raise
            manifest.chapters.append(entry)
            manifest.save(out_dir)
            self.on_progress(progress)
        if self.cancel.is_set():  # stopped after the last chapter: the book is joined next time
            manifest.resume_from = len(book.chapters) + 1
            manifest.save(out_dir)
            raise SynthesisCancelled("the batch was cancelled")
        book_path, playlist, subtitles = self._finish(book, manifest, previous, out_dir, rate)
        return BatchResult(out_dir, book_path, playlist, subtitles, manifest.chapters, rate, voice, tally)

    # -- one chapter ---------------------------------------------------------
    def _chapter(
        self,
        book: Book,
        index: int,
        chapter: Chapter,
        voice: str,
        rate: int,
        previous: Manifest | None,
        out_dir: Path,
        progress: Progress,
        tally: Tally,
    ) -> ChapterEntry:
        if self.cancel.is_set():
            raise SynthesisCancelled("the batch was cancelled")
        expression = self.options.styles.of(index)
        # Plain chapters keep the key they had before styles: their files stay valid.
        styled = {} if expression.plain else {"style": expression.style, "intensity": expression.intensity}
        key = chapter_key(chapter.speech, dict(self._settings(voice, rate), title=chapter.title, **styled))
        if chapter.empty:
            note = f"chapter {index} ({chapter.title!r}) has no text: skipped"
            tally.notes.append(note)
            progress.chapters_skipped += 1
            return ChapterEntry(index, chapter.title, key, 0, "skipped", note=note)
        kept = previous.kept(key, out_dir) if previous else None
        if kept is not None:
            progress.chapters_done += 1
            progress.chapters_kept += 1
            progress.characters_done += len(chapter.speech)
            tally.kept += 1
            return replace(kept, index=index)
        name = f"{index:03d}-{slug(chapter.title)}{chapter_files.FORMATS[self.options.format][2]}"
        entry = self._synthesize(book, index, chapter, voice, rate, out_dir / name, progress)
        entry.key = key
        if entry.status == "skipped":
            tally.notes.append(entry.note or "")
            progress.chapters_skipped += 1
        else:
            progress.chapters_done += 1
            tally.made += 1
        return entry

    def _settings(self, voice: str, rate: int) -> dict[str, object]:
        opts = self.options
        return {
            "voice": voice,
            "format": opts.format,
            "speed": opts.speed,
            "bitrate": opts.bitrate,
            "rate": rate,
            "lufs": self.engine.target_lufs,
        }

    def _synthesize(
        self, book: Book, index: int, chapter: Chapter, voice: str, rate: int, path: Path, progress: Progress
    ) -> ChapterEntry:
        opts = self.options
        codec = chapter_files.CODEC_FORMAT[opts.format]
        options = SynthesisOptions(
            speed=opts.speed, sample_rate=rate, ssml=False, cancel=self.cancel,
            expression=opts.styles.of(index),
        )
        tmp = path.with_name(f".{path.name}.part")
        metadata = {"title": chapter.title, "album": book.title, "track": f"{index}/{len(book.chapters)}"}
        if book.author:
            metadata["artist"] = book.author
        writer = chapter_files.AudioWriter(tmp, opts.format, rate, opts.bitrate, metadata)
        cues: list[captions.Cue] = []
        base_chars = progress.characters_done
        limit = min(PART_CHARS, self.engine.max_chars)
        try:
            for part in parts(chapter.speech, limit):
                try:
                    plan = self.engine.prepare_encoded(part, voice, codec, options)
                except EmptyTextError:
                    progress.characters_done += len(part)
                    continue
                start_ms = 1000.0 * writer.samples / rate
                said = 0
                for chunk in self.engine.run(plan):
                    writer.write(chunk.samples)
                    if chunk.final:
                        s = chunk.sentence
                        cues.append(captions.Cue(start_ms + s.start_ms, start_ms + s.end_ms, s.text))
                        said += 1
                        share = len(part) * said // max(1, plan.sentences)
                        progress.characters_done = base_chars + share
                        self.on_progress(progress)
                base_chars += len(part)
                progress.characters_done = base_chars
            writer.close()
        except BaseException:
            writer.abort()
            tmp.unlink(missing_ok=True)
            raise
        if writer.samples == 0:
            tmp.unlink(missing_ok=True)
            note = f"chapter {index} ({chapter.title!r}) has nothing to say aloud: skipped"
            return ChapterEntry(index, chapter.title, "", 0, "skipped", note=note)
        os.replace(tmp, path)
        captions.write(cues, path.with_suffix(".srt"), path.with_suffix(".vtt"))
        return ChapterEntry(
            index,
            chapter.title,
            "",
            len(chapter.speech),
            "done",
            file=path.name,
            sha256=file_sha256(path),
            duration_ms=round(1000.0 * writer.samples / rate, 1),
        )

    # -- the book ------------------------------------------------------------
    def _finish(
        self, book: Book, manifest: Manifest, previous: Manifest | None, out_dir: Path, rate: int
    ) -> tuple[Path, Path, tuple[Path, Path]]:
        """Join the book, write its captions and playlist, drop stale files, mark the manifest complete."""
        began = time.perf_counter()
        done = [c for c in manifest.chapters if c.status == "done" and c.file]
        stem = slug(book.title, 64)
        book_path = out_dir / f"{stem}{chapter_files.FORMATS[self.options.format][3]}"
        tmp = out_dir / f".{book_path.name}.part"
        metadata = {"title": book.title, "album": book.title, "genre": "Audiobook"}
        if book.author:
            metadata["artist"] = book.author
        try:
            spans = chapter_files.join(
                [out_dir / c.file for c in done if c.file],
                [c.title for c in done],
                tmp,
                self.options.format,
                rate,
                metadata,
            )
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        os.replace(tmp, book_path)
        cues: list[captions.Cue] = []
        for entry, span in zip(done, spans, strict=True):
            assert entry.file is not None
            shift = 1000.0 * (span.start + span.lead) / rate
            cues += [
                replace(c, start_ms=c.start_ms + shift, end_ms=c.end_ms + shift)
                for c in captions.read_srt((out_dir / entry.file).with_suffix(".srt"))
            ]
        srt_path, vtt_path = book_path.with_suffix(".srt"), book_path.with_suffix(".vtt")
        captions.write(cues, srt_path, vtt_path)
        playlist = book_path.with_suffix(".m3u")
        write_playlist(playlist, book.title, done)
        self._remove_stale(previous, manifest, out_dir)
        manifest.book = book_path.name
        manifest.complete = True
        manifest.save(out_dir)
        log.info("book %s joined in %.2f s", book_path.name, time.perf_counter() - began)
        return book_path, playlist, (srt_path, vtt_path)

    @staticmethod
    def _remove_stale(previous: Manifest | None, manifest: Manifest, out_dir: Path) -> None:
        """Chapter files of an earlier run that this run does not use (the input changed)."""
        if previous is None:
            return
        current = {c.file for c in manifest.chapters if c.file}
        for entry in previous.chapters:
            if entry.file and entry.file not in current:
                for suffix in ("", ".srt", ".vtt"):
                    target = out_dir / entry.file
                    (target.with_suffix(suffix) if suffix else target).unlink(missing_ok=True)


def write_playlist(path: Path, title: str, chapters: list[ChapterEntry]) -> None:
    """An extended M3U of the chapter files, in order, with their lengths and titles."""
    lines = ["#EXTM3U", f"#PLAYLIST:{title}"]
    for c in chapters:
        lines += [f"#EXTINF:{round(c.duration_ms / 1000)},{c.title}", str(c.file)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
