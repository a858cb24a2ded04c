"""The ``voxflow`` command."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table

from tts_engine.audio.codecs import FORMATS, seal_file
from tts_engine.errors import TTSError
from tts_engine.prosody.expression import Expression
from tts_engine.types import AudioChunk, SynthesisOptions

from .cli_support import ConfigOption, err, fail, settings_or_fail
from .config import ConfigError
from .jobs_cli import jobs_app
from .jobs_cli import worker as worker_command

if TYPE_CHECKING:
    from .plugins import Connector

DEMO_TEXT = (
    "欢迎使用 Voxflow。今天是2026年11月21日，下午3:30开会，销售额增长了15.5%。"
    " Voxflow turns meeting minutes into audio in seconds."
)


def voices(config: ConfigOption = None) -> None:
    """List the voices, their languages, sample rates, speakers and licences."""
    from tts_engine.backends.catalog import available, builtin_registry

    settings = settings_or_fail(config)
    options = {"device": settings.engine.device, "voices": settings.engine.voices}
    try:
        infos = builtin_registry(options, settings.engine.mixes).infos()  # with the named mixes
    except TTSError as exc:
        fail(str(exc))
    table = Table("id", "languages", "Hz", "speakers", "licence", "available")
    table.columns[0].no_wrap = table.columns[-1].no_wrap = True
    missing: dict[str, str] = {}
    for info in infos:
        ok, why = available(info, options)
        if not ok:
            missing[info.id] = why
        mix = settings.engine.mixes.get(info.id)
        speakers = mix or (", ".join(info.speakers) if len(info.speakers) > 1 else "")
        row = (info.id, ",".join(info.languages), str(info.sample_rate), speakers, info.licence)
        table.add_row(*row, "yes" if ok else "no (below)")
    console = Console()
    console.print(table)
    by_reason: dict[str, list[str]] = {}
    for voice_id, why in missing.items():
        by_reason.setdefault(why, []).append(voice_id)
    for why, ids in by_reason.items():
        console.print(f"[bold]{', '.join(ids)}[/]: {why}", highlight=False)


def _read_text(text: str | None, file: Path | None) -> str:
    if (text is None) == (file is None):
        if text is None:
            return DEMO_TEXT
        fail("give either TEXT or --file, not both")
    if file is not None:
        try:
            data = sys.stdin.buffer.read() if str(file) == "-" else file.read_bytes()
        except OSError as exc:
            fail(f"cannot read {file}: {exc.strerror}")
        try:
            return data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            fail(f"{file} is not valid UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start})")
    assert text is not None
    return text


def say(
    text: Annotated[
        str | None, typer.Argument(help="Text or SSML to speak (a demo text when omitted).")
    ] = None,
    file: Annotated[
        Path | None, typer.Option("--file", "-f", help="Read the text from a UTF-8 file (- for stdin).")
    ] = None,
    voice: Annotated[
        str | None, typer.Option("--voice", "-v", help="Voice id (see `voxflow voices`).")
    ] = None,
    fmt: Annotated[
        str | None, typer.Option("--format", help=f"One of {', '.join(FORMATS)}; default from -o.")
    ] = None,
    output: Annotated[Path, typer.Option("--output", "-o", help="Output file, - for stdout.")] = Path(
        "voxflow.mp3"
    ),
    speed: Annotated[float, typer.Option(help="Pace, 0.5–2.0.")] = 1.0,
    sample_rate: Annotated[int | None, typer.Option(help="Output sample rate in Hz.")] = None,
    ssml: Annotated[
        bool | None, typer.Option("--ssml/--no-ssml", help="Force SSML parsing on or off.")
    ] = None,
    style: Annotated[
        str,
        typer.Option(
            help="Speaking style: cheerful, sad, angry, calm, serious, gentle (see `voxflow styles`)."
        ),
    ] = "neutral",
    intensity: Annotated[float, typer.Option(help="How strongly to apply the style, 0–1.")] = 1.0,
    duration_s: Annotated[
        float | None, typer.Option("--duration-s", help="Make the audio exactly this many seconds long.")
    ] = None,
    duration_ratio: Annotated[
        float | None, typer.Option(help="Make the audio this many times its natural length (0.5–2.0).")
    ] = None,
    config: ConfigOption = None,
) -> None:
    """Speak TEXT (or --file) into an audio file, streaming it as it is synthesized."""
    from .runtime import build_engine

    settings = settings_or_fail(config)
    content = _read_text(text, file)
    fmt = (fmt or (output.suffix.lstrip(".") if str(output) != "-" else "") or "mp3").lower()
    fmt = {"ogg": "opus", "raw": "pcm"}.get(fmt, fmt)
    if fmt not in FORMATS:
        fail(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    try:
        engine = build_engine(settings)
        voice_id = voice or engine.default_voice(content, ssml=ssml)
        expression = Expression(style, intensity, duration_s, duration_ratio)
        options = SynthesisOptions(speed=speed, sample_rate=sample_rate, ssml=ssml, expression=expression)
        plan = engine.prepare_encoded(content, voice_id, fmt, options)
        to_stdout = str(output) == "-"
        tmp = output.with_name(output.name + ".part")
        with Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            TextColumn("{task.completed}/{task.total} sentences"),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=err,
            transient=True,
            disable=plan.sentences < 3 or not err.is_terminal,
        ) as progress:
            task = progress.add_task(voice_id, total=plan.sentences)
            written = 0

            samples = 0

            def advance(chunk: AudioChunk) -> None:
                nonlocal samples
                samples += len(chunk.samples)
                if chunk.final:
                    progress.advance(task)

            out: IO[bytes] = sys.stdout.buffer if to_stdout else open(tmp, "w+b")
            try:
                for data in engine.encode_plan(plan, fmt, on_chunk=advance):
                    out.write(data)
                    written += len(data)
                if not to_stdout:
                    seal_file(out, fmt, plan.sample_rate, samples)
            finally:
                if to_stdout:
                    out.flush()
                else:
                    out.close()
        if not to_stdout:
            # the file appears only when complete, so a failed run never leaves half an output
            tmp.replace(output)
            err.print(
                f"{output}: {written} bytes, {fmt}, {plan.sample_rate} Hz, voice {voice_id}", highlight=False
            )
    except (TTSError, ConfigError) as exc:  # a refused text names its rule; a bad policy file its line
        fail(str(exc))
    except KeyboardInterrupt:
        fail("interrupted", 130)
    finally:
        Path(str(output) + ".part").unlink(missing_ok=True)


def styles(config: ConfigOption = None) -> None:
    """List the speaking styles and their prosody targets at intensity 1."""
    from tts_engine.prosody.styles import StyleBook

    settings = settings_or_fail(config)
    table = Table("style", "aliases", "pitch (st)", "range", "rate", "loudness (dB)", "pauses", "description")
    for s in StyleBook.from_settings(settings.engine.styles).styles():
        t = s.targets
        numbers = (f"{t.pitch_st:+g}", f"{t.range:g}×", f"{t.rate:g}×", f"{t.gain_db:+g}", f"{t.pause:g}×")
        table.add_row(s.name, ", ".join(s.aliases), *numbers, s.description)
    Console().print(table)


def serve(
    host: Annotated[
        str | None, typer.Option(help="Address to listen on (default: server.host, 127.0.0.1).")
    ] = None,
    port: Annotated[int | None, typer.Option(help="Port (default: server.port, 8080).")] = None,
    config: ConfigOption = None,
) -> None:
    """Serve the HTTP, OpenAI-compatible and WebSocket APIs and the web page at /."""
    from .app.server import serve as run_server

    settings = settings_or_fail(config)
    try:
        run_server(settings, host=host, port=port)
    except (TTSError, ValueError, ConfigError) as exc:
        fail(str(exc))


def cli_app(connectors: Sequence[type[Connector]] | None = None) -> typer.Typer:
    """The ``voxflow`` command: the core commands and those of ``connectors`` (default: installed)."""
    from .plugins import discover

    app = typer.Typer(
        add_completion=False, no_args_is_help=True, help="Voxflow: text from your team's tools, spoken."
    )
    app.command()(voices)
    app.command()(say)
    app.command()(styles)
    app.command()(serve)
    # Durable jobs (integrator/jobs): `voxflow jobs ls|show|retry|cancel` and `voxflow worker`.
    app.add_typer(jobs_app, name="jobs")
    app.command("worker")(worker_command)
    # Connectors' own commands (`voxflow feishu ...`, `voxflow batch ...`).
    for connector in discover() if connectors is None else connectors:
        connector.add_commands(app)
    return app


def main() -> None:
    cli_app()()


if __name__ == "__main__":
    main()
