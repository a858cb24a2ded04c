"""One dubbing run, as ``voxflow dub`` and the ``dub`` job kind both do it: subtitles in, a track
file out, and what was done to each cue."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tts_engine.engine import Engine

from . import report
from .audio_file import write
from .dubber import Dubber, DubOptions, Placed
from .subtitles import Format, parse


@dataclass(frozen=True)
class Result:
    path: Path
    format: str
    samples: int
    sample_rate: int
    placed: list[Placed]
    notes: list[str] = field(default_factory=list)

    @property
    def duration_ms(self) -> float:
        return 1000.0 * self.samples / self.sample_rate

    def report(self, limit: float) -> dict[str, Any]:
        return report.as_dict(self.placed, limit, self.duration_ms, self.sample_rate, self.notes)


def dub(
    engine: Engine,
    subtitles: str,
    options: DubOptions,
    out: Path,
    audio_format: str,
    *,
    subtitle_format: Format | None = None,
    name: str | None = None,
    cancel: threading.Event | None = None,
    on_cue: Callable[[int, int], None] | None = None,
) -> Result:
    """Dub ``subtitles`` (SRT or WebVTT text; ``name`` helps tell which) into ``out``. Every cue is
    checked before any is spoken: a bad one raises SubtitleError naming it, and no file is left."""
    cues = parse(subtitles, subtitle_format, name)
    dubber = Dubber(engine, options, cancel=cancel, on_cue=on_cue)
    tasks = dubber.check(cues)
    samples, rate = write(dubber, tasks, out, audio_format)
    return Result(out, audio_format, samples, rate, dubber.placed, dubber.notes)
