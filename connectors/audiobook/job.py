"""The ``audiobook`` job kind (a batch is a job) and the ``audiobook.batch`` schedule action.

A job ``{"kind": "audiobook", "args": {"input": "moby.epub", "output": "moby", "format": "m4b",
"chapter_styles": {"3": "sad"}}, "voice": ..., "speed": ..., "style": ..., "intensity": ...}``
converts a book on a job worker (``style`` for the whole book, ``chapter_styles`` for chapters
by number, as styles.py reads them): its progress counts characters,
``GET /v1/jobs/{id}`` adds chapters done from the manifest, and its artifact is the book file.
Paths are confined to ``audiobook.input_dir`` and ``audiobook.output_dir``: an API client cannot
make the server read or write anywhere else.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from integrator.config import Settings
from integrator.jobs.job import Job, JobSpec, JobStatus, Priority
from integrator.jobs.kinds import InvalidKindArgs, JobKind, KindResult, KindRun
from integrator.jobs.schedules import ActionContext
from tts_engine.errors import InvalidOptionError, TTSError
from tts_engine.prosody.styles import StyleBook

from ..config import audiobook_of, root
from .batch import Batch, BatchOptions, Progress
from .book import SUFFIXES, BookError
from .manifest import Manifest
from .styles import FIELD, BookStyle, chapter_styles

KIND = "audiobook"
ARGS = frozenset({"input", "output", "format", "chapter_styles"})


class InvalidBook(TTSError):
    """The book cannot be converted (not an EPUB, not UTF-8, no text): retrying cannot help."""

    code = "invalid_book"


def _inside(base: Path, given: object, field: str) -> Path:
    if not isinstance(given, str) or not given.strip():
        raise InvalidKindArgs(field, f"{field} must be a path")
    path = (base / given).resolve()
    if not path.is_relative_to(base):
        raise InvalidKindArgs(field, f"{given!r} is outside {base}")
    return path


def locate(settings: Settings, spec: JobSpec) -> tuple[Path, Path, str]:
    """The input file, output directory and format of an audiobook job, checked."""
    cfg = audiobook_of(settings)
    unknown = sorted(set(spec.args) - ARGS)
    if unknown:
        raise InvalidKindArgs(
            f"args.{unknown[0]}", f"unknown argument {unknown[0]!r}; known: {', '.join(sorted(ARGS))}"
        )
    source = _inside(root(cfg.input_dir, settings.data_dir, "books"), spec.args.get("input"), "args.input")
    if source.suffix.lower() not in SUFFIXES:
        raise InvalidKindArgs("args.input", f"{source.name}: give a .txt, .md or .epub file")
    out = _inside(
        root(cfg.output_dir, settings.data_dir, "audiobooks"),
        spec.args.get("output", source.stem),
        "args.output",
    )
    fmt = spec.args.get("format", cfg.format)
    if fmt not in ("mp3", "m4b"):
        raise InvalidKindArgs("args.format", f"format must be mp3 or m4b, not {fmt!r}")
    return source, out, str(fmt)


def book_style(settings: Settings, spec: JobSpec) -> BookStyle:
    """The job's style (else ``audiobook.style``) and its chapters' own, checked against the
    configured styles; InvalidKindArgs naming the field."""
    if spec.duration_s is not None or spec.duration_ratio is not None:
        field = "duration_s" if spec.duration_s is not None else "duration_ratio"
        raise InvalidKindArgs(field, f"an audiobook takes no {field}: its length is the book's")
    cfg = audiobook_of(settings)
    try:
        styles = BookStyle(
            spec.style or cfg.style,
            spec.intensity if spec.style else cfg.intensity,
            chapter_styles(spec.args.get(FIELD)),
        )
        styles.check(StyleBook.from_settings(settings.engine.styles))
    except InvalidOptionError as exc:
        field = exc.field or FIELD
        where = field if field in ("style", "intensity") else f"args.{field}"
        raise InvalidKindArgs(where, str(exc)) from None
    return styles


class AudiobookKind(JobKind):
    """Audiobook jobs of one process, confined to the directories its settings name."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def check(self, spec: JobSpec) -> None:
        source, _, _ = locate(self.settings, spec)
        if not source.is_file():
            raise InvalidKindArgs("args.input", f"no book at {source}")
        book_style(self.settings, spec)

    def run(self, ctx: KindRun) -> KindResult:
        spec = ctx.job.spec
        source, out, fmt = locate(self.settings, spec)
        bitrate = audiobook_of(self.settings).bitrate

        def progress(p: Progress) -> None:
            ctx.report(p.fraction, p.characters_total)

        options = BatchOptions(
            voice=spec.voice, format=fmt, speed=spec.speed, bitrate=bitrate,
            styles=book_style(self.settings, spec),
        )
        batch = Batch(ctx.engine, options, cancel=ctx.cancel, on_progress=progress)
        try:
            result = batch.run(source, out)
        except BookError as exc:
            raise InvalidBook(str(exc)) from None
        return KindResult(result.book, fmt, result.sample_rate, result.duration_ms)

    def describe(self, job: Job) -> dict[str, Any] | None:
        try:
            _, out, _ = locate(self.settings, job.spec)
        except InvalidKindArgs:
            return None
        manifest = Manifest.load(out)
        chapters = manifest.chapters if manifest else []
        return {
            "output": str(out),
            "chapters_done": sum(c.status == "done" for c in chapters),
            "chapters_skipped": sum(c.status == "skipped" for c in chapters),
            "characters_done": sum(c.characters for c in chapters if c.status == "done"),
            "book": manifest.book if manifest else None,
            "notes": [c.note for c in chapters if c.note],
        }


def batch_action(ctx: ActionContext, **args: Any) -> str:
    """Queue an audiobook job: ``args`` are input, output, format, chapter_styles, voice, speed,
    style, intensity. A run still queued or running for the same output is returned instead of a
    second one."""
    kind_args = {k: v for k, v in args.items() if k in ARGS}
    spec = JobSpec(
        kind=KIND,
        args=kind_args,
        voice=args.get("voice"),
        speed=args.get("speed", 1.0),
        style=args.get("style"),
        intensity=args.get("intensity", 1.0),
        source="schedule",
        priority=Priority.BATCH,
    )
    _, out, _ = locate(ctx.settings, spec)
    for status in (JobStatus.QUEUED, JobStatus.RUNNING):
        for job in ctx.jobs.store.find(status=status, limit=500):
            if job.spec.kind == KIND and locate(ctx.settings, job.spec)[1] == out:
                return job.id
    job, _ = ctx.jobs.submit(spec)
    return job.id
