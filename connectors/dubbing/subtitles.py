"""Reading subtitles: SRT through ``srt``, WebVTT through ``webvtt-py``, each file checked block by
block first, so a malformed one is refused with the cue and line that are wrong (the libraries
alone either skip a bad block or report a character offset)."""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from typing import Literal

import srt
import webvtt
from webvtt.errors import MalformedCaptionError, MalformedFileError

from tts_engine.errors import TTSError

Format = Literal["srt", "vtt"]
FORMATS: tuple[Format, ...] = ("srt", "vtt")
_STAMP = r"(?:\d+:)?\d{1,2}:\d{1,2}[,.]\d{1,3}"
_TIMING = re.compile(rf"^\s*({_STAMP})\s*-->\s*({_STAMP})(?:\s.*)?$")
_BLANK = re.compile(r"\n[ \t]*\n")
_TAG = re.compile(r"<[^>]*>|\{\\[^}]*\}")  # HTML-like tags (<i>, <v Bob>) and ASS overrides ({\an8})
_VTT_SKIP = ("NOTE", "STYLE", "REGION")


class SubtitleError(TTSError):
    """A subtitle file that cannot be dubbed; the message names the cue (number and time) or line."""

    code = "invalid_subtitles"


@dataclass(frozen=True)
class Cue:
    """One cue as written: ``number`` is its SRT index (its position in a WebVTT file), ``voice``
    the speaker of a WebVTT ``<v Name>`` span, ``text`` without tags."""

    number: int
    start_ms: float
    end_ms: float
    text: str
    voice: str | None = None

    @property
    def label(self) -> str:
        return f"cue {self.number} ({clock(self.start_ms)} --> {clock(self.end_ms)})"


def clock(ms: float) -> str:
    """``ms`` as an SRT time, 00:01:02,345."""
    total = round(ms)
    hours, rest = divmod(total, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    seconds, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{seconds:02d},{millis:03d}"


def detect(text: str, name: str | None = None) -> Format:
    """The format of ``text``: WebVTT when it opens with ``WEBVTT`` or ``name`` ends in .vtt, else SRT."""
    if text.lstrip("\ufeff").startswith("WEBVTT") or (name or "").lower().endswith(".vtt"):
        return "vtt"
    return "srt"


def parse(text: str, fmt: Format | None = None, name: str | None = None) -> list[Cue]:
    """The cues of a subtitle file, in time order; SubtitleError naming what is wrong."""
    fmt = fmt or detect(text, name)
    if fmt not in FORMATS:
        raise SubtitleError(f"unknown subtitle format {fmt!r}; give srt or vtt")
    text = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise SubtitleError("the subtitle file is empty: it has no cues")
    cues = _read_vtt(text) if fmt == "vtt" else _read_srt(text)
    if not cues:
        raise SubtitleError("the subtitle file has no cues")
    cues.sort(key=lambda c: c.start_ms)
    for cue in cues:
        if cue.end_ms <= cue.start_ms:
            raise SubtitleError(f"{cue.label}: it ends before it starts")
        if not cue.text.strip():
            raise SubtitleError(f"{cue.label}: it has no text to speak")
    for cue, after in itertools.pairwise(cues):
        if after.start_ms == cue.start_ms:
            raise SubtitleError(f"{after.label}: it starts with cue {cue.number}; one voice speaks at a time")
    return cues


def _blocks(text: str) -> list[tuple[int, list[str]]]:
    """The blank-line separated blocks of ``text`` with the line number each starts on."""
    blocks, line = [], 1
    for part in _BLANK.split(text):
        lines = part.split("\n")
        skip = next((i for i, s in enumerate(lines) if s.strip()), len(lines))
        if skip < len(lines):
            blocks.append((line + skip, [s for s in lines[skip:]]))
        line += part.count("\n") + 2
    return blocks


def _check_timing(line_no: int, line: str, cue: str, sep: str) -> None:
    if not _TIMING.match(line):
        raise SubtitleError(
            f"{cue} (line {line_no}): {line.strip()!r} is not a timing line "
            f"like 00:00:01{sep}000 --> 00:00:02{sep}500"
        )


def _read_srt(text: str) -> list[Cue]:
    for position, (line_no, lines) in enumerate(_blocks(text), start=1):
        head = lines[0].strip()
        cue = f"cue {head}" if head.isdigit() else f"cue {position}"
        if not head.isdigit():
            raise SubtitleError(f"{cue} (line {line_no}): {head!r} is not a cue number")
        if len(lines) < 2:
            raise SubtitleError(f"{cue} (line {line_no}): no timing line after the cue number")
        _check_timing(line_no + 1, lines[1], cue, ",")
    try:
        subtitles = list(srt.parse(text))
    except (srt.SRTParseError, ValueError) as exc:
        raise SubtitleError(f"malformed SRT: {exc}") from None
    return [
        Cue(s.index, s.start.total_seconds() * 1000.0, s.end.total_seconds() * 1000.0, _plain(s.content))
        for s in subtitles
    ]


def _read_vtt(text: str) -> list[Cue]:
    blocks = _blocks(text)
    if not blocks or not blocks[0][1][0].startswith("WEBVTT"):
        raise SubtitleError("malformed WebVTT: the file must begin with a WEBVTT line")
    position = 0
    for line_no, lines in blocks[1:]:
        if lines[0].split(" ")[0].split("\t")[0] in _VTT_SKIP and "-->" not in lines[0]:
            continue
        position += 1
        timing = 0 if "-->" in lines[0] else 1
        cue = f"cue {position}"
        if timing >= len(lines) or "-->" not in lines[timing]:
            raise SubtitleError(f"{cue} (line {line_no}): a cue block without a timing line")
        _check_timing(line_no + timing, lines[timing], cue, ".")
    try:
        captions = webvtt.from_string(text, strict=True).captions
    except (MalformedFileError, MalformedCaptionError) as exc:
        raise SubtitleError(f"malformed WebVTT: {exc}") from None
    return [
        Cue(i, c.start_time.in_milliseconds(), c.end_time.in_milliseconds(), _plain(c.text), c.voice)
        for i, c in enumerate(captions, start=1)
    ]


def _plain(text: str) -> str:
    """Cue text without tags, its lines joined."""
    return " ".join(line.strip() for line in _TAG.sub("", text).split("\n") if line.strip())
