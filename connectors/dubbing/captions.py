"""Captions of the dubbed track: each cue's words at the time its speech really runs in the audio
(SRT composed by ``srt``, WebVTT by ``webvtt-py``, speakers as ``<v Name>`` spans there)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path

import srt
import webvtt

from tts_engine.errors import InvalidOptionError

from .dubber import Placed
from .subtitles import clock

SUFFIXES = (".srt", ".vtt")


def check_path(path: Path) -> Path:
    if path.suffix.lower() not in SUFFIXES:
        raise InvalidOptionError(f"captions go to a .srt or .vtt file, not {path.name!r}", "captions")
    return path


def to_srt(placed: Sequence[Placed]) -> str:
    return srt.compose(
        [
            srt.Subtitle(
                p.task.cue.number,
                timedelta(milliseconds=p.start_ms),
                timedelta(milliseconds=p.end_ms),
                p.task.line.text,
            )
            for p in placed
        ],
        reindex=False,
    )


def to_vtt(placed: Sequence[Placed]) -> str:
    captions = [
        webvtt.Caption(
            start=_stamp(p.start_ms),
            end=_stamp(p.end_ms),
            text=f"<v {p.task.line.speaker}>{p.task.line.text}" if p.task.line.speaker else p.task.line.text,
            identifier=str(p.task.cue.number),
        )
        for p in placed
    ]
    return str(webvtt.WebVTT(captions=captions).content)


def write(placed: Sequence[Placed], path: Path) -> None:
    text = to_vtt(placed) if check_path(path).suffix.lower() == ".vtt" else to_srt(placed)
    path.write_text(text, encoding="utf-8")


def _stamp(ms: float) -> str:
    """``ms`` as a WebVTT time, 00:01:02.345."""
    return clock(ms).replace(",", ".")
