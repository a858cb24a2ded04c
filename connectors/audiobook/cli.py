"""``voxflow batch INPUT -o DIR``: a book into chapter files, a chaptered book, playlist and captions."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.progress import (
    BarColumn,
    Progress,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from integrator.cli_support import err, fail


def batch(
    source: Annotated[Path, typer.Argument(metavar="INPUT", help="A .txt, .md or .epub book.")],
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Output directory (default: INPUT's name).")
    ] = None,
    voice: Annotated[
        str | None, typer.Option("--voice", "-v", help="Voice id (see `voxflow voices`).")
    ] = None,
    fmt: Annotated[
        str | None, typer.Option("--format", help="mp3 (ID3 chapters) or m4b (AAC, MP4 chapters).")
    ] = None,
    speed: Annotated[float, typer.Option(help="Pace, 0.5–2.0.")] = 1.0,
    bitrate: Annotated[int | None, typer.Option(help="Bits per second (default audiobook.bitrate).")] = None,
    style: Annotated[
        str | None,
        typer.Option(help="Speaking style of the book (see `voxflow styles`; default audiobook.style)."),
    ] = None,
    intensity: Annotated[
        float | None, typer.Option(help="How strongly to apply the style, 0–1 (default 1).")
    ] = None,
    chapter_style: Annotated[
        list[str] | None,
        typer.Option(
            "--chapter-style",
            metavar="N=STYLE[:INTENSITY]",
            help="A chapter's own style, by its number: 3=sad, 5=cheerful:0.6. Repeat for more chapters.",
        ),
    ] = None,
    config: Annotated[Path | None, typer.Option("--config", "-c", help="YAML config file.")] = None,
) -> None:
    """Convert a book; run it again after an interruption and finished chapters are kept.

    SIGINT (Ctrl-C) and SIGTERM stop it after the piece being spoken: finished chapters stay,
    manifest.json says where to resume, and the exit status is 130 (SIGINT) or 143 (SIGTERM).
    """
    from integrator.config import ConfigError
    from integrator.plugins import load_installed_settings
    from integrator.runtime import build_engine
    from tts_engine.errors import SynthesisCancelled, TTSError

    from ..config import audiobook_of
    from .batch import Batch, BatchOptions
    from .batch import Progress as BatchProgress
    from .book import BookError
    from .stopping import stop_on_signals
    from .styles import BookStyle, chapter_styles

    try:
        settings = load_installed_settings(config)
    except ConfigError as exc:
        fail(str(exc))
    cfg = audiobook_of(settings)
    fmt = {"aac": "m4b", "m4a": "m4b"}.get((fmt or cfg.format).lower(), (fmt or cfg.format).lower())
    if fmt not in ("mp3", "m4b"):
        fail(f"unknown format {fmt!r}; choose mp3 or m4b")
    out = output or Path(source.stem)
    try:
        styles = BookStyle(
            style or cfg.style,
            cfg.intensity if intensity is None else intensity,
            chapter_styles(chapter_style),
        )
    except TTSError as exc:
        fail(str(exc))
    with Progress(
        TextColumn("[bold]{task.description}", table_column=None),
        BarColumn(),
        TaskProgressColumn(),
        TextColumn("{task.fields[chapters]}"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=err,
        transient=True,
        disable=not err.is_terminal,
    ) as bar:
        task = bar.add_task("reading", total=None, chapters="")

        def show(p: BatchProgress) -> None:
            done = p.chapters_done + p.chapters_skipped
            bar.update(
                task,
                total=p.characters_total,
                completed=p.characters_done,
                description=p.chapter[:40] or "starting",
                chapters=f"chapter {min(done + 1, p.chapters_total)}/{p.chapters_total}",
            )

        with stop_on_signals() as stop:
            try:
                engine = build_engine(settings)
                options = BatchOptions(
                    voice=voice, format=fmt, speed=speed, bitrate=bitrate or cfg.bitrate, styles=styles
                )
                result = Batch(engine, options, cancel=stop.event, on_progress=show).run(source, out)
            except SynthesisCancelled:
                bar.stop()
                err.print(f"[bold red]error:[/] {interrupted(out, stop.exit_code)}", highlight=False)
                leave(stop.exit_code)
            except (BookError, TTSError, ConfigError) as exc:  # ConfigError: the text policy's settings
                fail(str(exc))
    for note in result.notes:
        err.print(f"[yellow]note:[/] {note}", highlight=False)
    minutes = result.duration_ms / 60000
    err.print(
        f"{result.book}: {len(result.chapters) - len(result.notes)} chapters, {minutes:.1f} min, "
        f"voice {result.voice} ({result.tally.made} made, {result.tally.kept} kept from an earlier run); "
        f"playlist {result.playlist.name}, captions {result.captions[0].name} {result.captions[1].name}",
        highlight=False,
    )




def leave(code: int) -> NoReturn:
    """Exit now: the synthesis thread may still be inside the model (a voice's first piece can
    take many seconds), and a normal interpreter exit runs native destructors under it, which
    can abort the process. Everything of the batch is on disk and the manifest saved."""
    sys.stdout.flush()
    sys.stderr.flush()
    err.file.flush()
    os._exit(code)


def interrupted(out: Path, code: int) -> str:
    """What a stopped run says: how far it got, per the manifest it left."""
    from .manifest import Manifest

    manifest = Manifest.load(out)
    done = sum(c.status == "done" for c in manifest.chapters) if manifest else 0
    where = f" at chapter {manifest.resume_from}" if manifest and manifest.resume_from else ""
    signame = {130: "SIGINT", 143: "SIGTERM"}.get(code, "a signal")
    return (
        f"stopped by {signame}: {done} chapter(s) finished in {out}; "
        f"run the same command again to resume{where}"
    )
