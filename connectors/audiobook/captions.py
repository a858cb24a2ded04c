"""Captions from sentence timings: SRT composed with ``srt``, WebVTT converted from it by webvtt-py."""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import srt
import webvtt

LINE = 42  # characters per caption line, the usual broadcast width


@dataclass(frozen=True)
class Cue:
    start_ms: float
    end_ms: float
    text: str


def wrap(text: str) -> str:
    # Lines of Latin text break at spaces; Chinese has none, and textwrap then cuts at the width.
    return "\n".join(textwrap.wrap(" ".join(text.split()), LINE)) if " " in text.strip() else text.strip()


def write(cues: list[Cue], srt_path: Path, vtt_path: Path, shift_ms: float = 0.0) -> None:
    subtitles = [
        srt.Subtitle(
            i + 1,
            timedelta(milliseconds=c.start_ms + shift_ms),
            timedelta(milliseconds=c.end_ms + shift_ms),
            wrap(c.text),
        )
        for i, c in enumerate(cues)
        if c.text.strip()
    ]
    srt_path.write_text(srt.compose(subtitles), encoding="utf-8")
    webvtt.from_srt(str(srt_path)).save(str(vtt_path))


def read_srt(path: Path) -> list[Cue]:
    return [
        Cue(s.start.total_seconds() * 1000, s.end.total_seconds() * 1000, s.content)
        for s in srt.parse(path.read_text(encoding="utf-8"))
    ]
