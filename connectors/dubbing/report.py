"""What dubbing did to each cue: the cues compressed beyond ``report_over`` as a table, and every
cue as JSON (``--report``, and the ``dub`` job's detail)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.table import Table

from .dubber import Placed
from .subtitles import clock


def over(placed: Sequence[Placed], limit: float) -> list[Placed]:
    """The cues whose natural speech was more than ``limit`` times their slot."""
    return [p for p in placed if p.compression > limit]


def cue_dict(p: Placed) -> dict[str, Any]:
    task = p.task
    return {
        "cue": task.cue.number,
        "start": clock(task.cue.start_ms),
        "end": clock(task.cue.end_ms),
        "slot_s": round(task.slot.ms / 1000.0, 3),
        "natural_s": round(p.natural_ms / 1000.0, 3),
        "speech_s": round((p.end_ms - p.start_ms) / 1000.0, 3),
        "speech_start_s": round(p.start_ms / 1000.0, 3),
        "compression": round(p.compression, 3),
        "borrowed_s": round(p.fit.borrowed_ms / 1000.0, 3),
        "refitted": p.fit.refit,
        "voice": task.voice,
        "style": task.style,
        "intensity": task.intensity,
        "speaker": task.line.speaker,
        "text": task.line.text,
    }


def as_dict(
    placed: Sequence[Placed], limit: float, duration_ms: float, sample_rate: int, notes: Sequence[str] = ()
) -> dict[str, Any]:
    return {
        "cues": len(placed),
        "duration_s": round(duration_ms / 1000.0, 3),
        "sample_rate": sample_rate,
        "report_over": limit,
        "compressed": [p.task.cue.number for p in over(placed, limit)],
        "notes": list(notes),
        "detail": [cue_dict(p) for p in placed],
    }


def table(placed: Sequence[Placed], limit: float) -> Table:
    """The cues compressed more than ``limit``, one row each."""
    out = Table(
        "cue", "time", "slot (s)", "natural (s)", "compression", "from gap (s)", "text",
        title=f"cues compressed more than {limit:g}×",
    )  # fmt: skip
    for p in over(placed, limit):
        d = cue_dict(p)
        borrowed = f"{d['borrowed_s']:.2f}" if d["borrowed_s"] else ""
        text = d["text"] if len(d["text"]) <= 40 else d["text"][:39] + "…"
        out.add_row(
            str(d["cue"]), d["start"], f"{d['slot_s']:.2f}", f"{d['natural_s']:.2f}",
            f"{d['compression']:.2f}×", borrowed, text,
        )  # fmt: skip
    return out
