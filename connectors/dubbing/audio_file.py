"""Writing the dubbed track to a file in any of the engine's formats, as it is made."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from tts_engine.audio.codecs import check_format, open_encoder, output_rate, seal_file

from .dubber import Dubber, Task

ALIASES = {"ogg": "opus", "raw": "pcm", "m4a": "aac"}


def audio_format(name: str) -> str:
    """A format name or file suffix as one of the engine's formats; InvalidOptionError if none."""
    name = name.lower().lstrip(".")
    return check_format(ALIASES.get(name, name))


def write(dubber: Dubber, tasks: Sequence[Task], path: Path, fmt: str) -> tuple[int, int]:
    """Dub ``tasks`` into ``path`` (written beside it and moved in place when complete, so a failed
    run leaves no half file); returns (samples, sample rate)."""
    rate = output_rate(fmt, None, dubber.sample_rate(tasks))
    part = path.with_name(path.name + ".part")
    samples = 0
    try:
        with open(part, "w+b") as out:
            encoder = open_encoder(fmt, rate)
            for piece in dubber.track(tasks, rate):
                samples += len(piece)
                data = encoder.encode(piece)
                if data:
                    out.write(data)
            out.write(encoder.finish())
            seal_file(out, fmt, rate, samples)
        part.replace(path)
    finally:
        part.unlink(missing_ok=True)
    return samples, rate
