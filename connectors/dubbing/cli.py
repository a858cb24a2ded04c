"""``voxflow dub SUBTITLES -o dub.wav``: a subtitle file spoken cue by cue, each in its time slot."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from integrator.cli_support import ConfigOption, err, fail, settings_or_fail


def speaker_table(given: list[str], configured: dict[str, str]) -> dict[str, str]:
    """``--speaker Alice=voice`` options over the ``dubbing.speakers`` config."""
    table = dict(configured)
    for item in given:
        label, sep, voice = item.partition("=")
        if not sep or not label.strip() or not voice.strip():
            fail(f"--speaker {item!r}: write LABEL=VOICE, e.g. --speaker Alice=zh-kokoro-kumo")
        table[label.strip()] = voice.strip()
    return table


def dub(
    subtitles: Annotated[Path, typer.Argument(metavar="SUBTITLES", help="An .srt or .vtt file (UTF-8).")],
    output: Annotated[
        Path, typer.Option("--output", "-o", help="The dubbed track: .wav, .mp3, .flac, .opus, .aac …")
    ] = Path("dub.wav"),
    fmt: Annotated[str | None, typer.Option("--format", help="Audio format; default from -o.")] = None,
    voice: Annotated[
        str | None,
        typer.Option("--voice", "-v", help="Voice for every cue (default: by each cue's language)."),
    ] = None,
    speaker: Annotated[
        list[str] | None,
        typer.Option("--speaker", "-s", help="LABEL=VOICE: cues of speaker LABEL in VOICE (repeatable)."),
    ] = None,
    style: Annotated[str, typer.Option(help="Style of every cue without a [style] prefix.")] = "neutral",
    intensity: Annotated[float, typer.Option(help="How strongly to apply it, 0–1.")] = 1.0,
    sample_rate: Annotated[int | None, typer.Option(help="Output sample rate in Hz.")] = None,
    captions: Annotated[
        Path | None, typer.Option(help="Write captions timed to the dubbed speech (.srt or .vtt).")
    ] = None,
    report_path: Annotated[
        Path | None, typer.Option("--report", help="Write what was done to every cue as JSON.")
    ] = None,
    config: ConfigOption = None,
) -> None:
    """Dub SUBTITLES: each cue spoken at its start time and fitted to its slot, in one track.

    Cue text may start with a style, [cheerful] or [开心 0.6], and a speaker label, Alice: …
    (or a WebVTT <v Alice> span), mapped to voices by --speaker or dubbing.speakers. Cues whose
    speech had to be compressed more than dubbing.report_over (1.3×) are listed.
    """
    from integrator.config import ConfigError
    from integrator.runtime import build_engine
    from tts_engine.errors import TTSError

    from . import captions as caption_files
    from . import report
    from .audio_file import audio_format
    from .config import dubbing_of
    from .dubber import DubOptions
    from .run import dub as run_dub

    settings = settings_or_fail(config)
    try:
        cfg = dubbing_of(settings)
    except ConfigError as exc:
        fail(str(exc))
    try:
        data = subtitles.read_bytes()
    except OSError as exc:
        fail(f"cannot read {subtitles}: {exc.strerror}")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        fail(f"{subtitles} is not valid UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start})")
    options = DubOptions(
        voice=voice,
        style=style,
        intensity=intensity,
        speakers=speaker_table(speaker or [], cfg.speakers),
        rules=cfg,
        sample_rate=sample_rate,
    )
    try:
        kind = audio_format(fmt or output.suffix or "wav")
        if captions is not None:
            caption_files.check_path(captions)
        engine = build_engine(settings)
        with Progress(
            TextColumn("[bold]dubbing"), BarColumn(), TextColumn("{task.completed}/{task.total} cues"),
            TimeElapsedColumn(), TimeRemainingColumn(),
            console=err, transient=True, disable=not err.is_terminal,
        ) as bar:  # fmt: skip
            task = bar.add_task("dub", total=None)
            result = run_dub(
                engine, text, options, output, kind, name=subtitles.name,
                on_cue=lambda done, total: bar.update(task, completed=done, total=total),
            )  # fmt: skip
    except TTSError as exc:
        fail(str(exc))
    except KeyboardInterrupt:
        fail("interrupted", 130)
    if captions is not None:
        caption_files.write(result.placed, captions)
    if report_path is not None:
        report_path.write_text(
            json.dumps(result.report(cfg.report_over), ensure_ascii=False, indent=2) + "\n"
        )
    for note in result.notes:
        err.print(f"[yellow]note:[/] {note}", highlight=False)
    squeezed = report.over(result.placed, cfg.report_over)
    if squeezed:
        err.print(report.table(result.placed, cfg.report_over))
    err.print(
        f"{output}: {len(result.placed)} cues, {result.duration_ms / 1000:.1f} s, {kind}, "
        f"{result.sample_rate} Hz; {len(squeezed)} compressed more than {cfg.report_over:g}×",
        highlight=False,
    )
