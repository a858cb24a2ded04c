"""Captions line up with the audio: every cue starts within 20 ms of the sentence it shows, in the
chapter files and in the joined book, in MP3 and M4B, at the sample rates voices use.

The files are decoded (PyAV, as players do, honouring encoder delay and padding) and each cue is
matched to the onset of its sentence: the tone voice is silent between sentences.
"""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest
import srt
import webvtt

from connectors.audiobook.batch import Batch, BatchOptions
from tests.integrator.servekit import tone_engine
from tts_engine.testing import ToneBackend

TOLERANCE_MS = 20.0
QUIET_MS = 15.0  # silence before an onset
# Chapters of different lengths, so each ends with a different amount of encoder padding.
CHAPTERS = [
    "今天天气很好。我们去公园散步。",
    "火车开得很慢。窗外是青山。我们到了。",
    "他打开书。里面有一封信。",
    "夜里下雨了。大家都睡了。早上雨停了。太阳出来了。",
    "我们回家了。",
]


def decode(path: Path) -> tuple[np.ndarray, int]:
    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        samples = [frame.to_ndarray().reshape(-1) for frame in container.decode(stream)]
        return np.concatenate(samples).astype(np.float32), stream.codec_context.sample_rate


def onsets_ms(samples: np.ndarray, rate: int) -> np.ndarray:
    """Where sound starts after at least QUIET_MS of (near) silence."""
    loud = np.flatnonzero(np.abs(samples) > 0.1 * float(np.abs(samples).max()))
    quiet = int(QUIET_MS * rate / 1000)
    starts = loud[np.concatenate([[True], np.diff(loud) > quiet])]
    return 1000.0 * starts / rate


def cue_starts(caption: Path) -> list[float]:
    if caption.suffix == ".srt":
        return [c.start.total_seconds() * 1000 for c in srt.parse(caption.read_text(encoding="utf-8"))]
    return [_vtt_ms(c.start) for c in webvtt.read(str(caption))]


def _vtt_ms(stamp: str) -> float:
    h, m, s = stamp.split(":")
    return (int(h) * 3600 + int(m) * 60 + float(s)) * 1000


def misplaced(audio: Path) -> list[str]:
    """Cues of ``audio``'s SRT and VTT with no sentence onset within the tolerance."""
    samples, rate = decode(audio)
    found = onsets_ms(samples, rate)
    out = []
    for caption in (audio.with_suffix(".srt"), audio.with_suffix(".vtt")):
        starts = cue_starts(caption)
        assert starts, caption
        for i, start in enumerate(starts):
            error = float(found[np.argmin(np.abs(found - start))] - start)
            if abs(error) > TOLERANCE_MS:
                out.append(f"{caption.name} cue {i + 1} at {start:.0f} ms: audio {error:+.0f} ms away")
    return out


@pytest.mark.parametrize("rate", [16000, 22050, 24000])
@pytest.mark.parametrize("fmt", ["mp3", "m4b"])
def test_every_cue_starts_with_its_sentence_in_chapter_files_and_the_book(
    tmp_path: Path, fmt: str, rate: int
) -> None:
    engine = tone_engine({"tone-zh": ToneBackend("tone-zh", ("zh", "en"), rate)})
    source = tmp_path / "book.md"
    source.write_text(
        "# 旅行\n\n" + "\n".join(f"## 第{i}段\n\n{text}\n" for i, text in enumerate(CHAPTERS, 1)),
        encoding="utf-8",
    )
    result = Batch(engine, BatchOptions(format=fmt)).run(source, tmp_path / "out")
    assert result.sample_rate == rate and len(result.chapters) == len(CHAPTERS)
    problems = []
    for chapter in result.chapters:
        assert chapter.file is not None
        problems += misplaced(result.directory / chapter.file)
    problems += misplaced(result.book)
    assert not problems, "\n".join(problems)
