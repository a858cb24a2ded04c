"""Audiobook batch benchmark: the whole batch path against the engine alone on the same text.

    .venv/bin/python bench/batch.py [--voice espeak-en] [--chars 50000] [--format mp3|m4b] [--repeat 2]

A deterministic book (chapters of generated English prose, seeded) is converted twice over:

* engine alone: the book's spoken text as one request, synthesized and encoded to one file
  (what `voxflow say --file` does);
* batch: `voxflow batch`'s path: chapters read and split, one file per chapter, captions,
  manifest, the chaptered book joined, playlist.

Printed: characters per second, real-time factor (wall time / audio time) and the ratio of the
two wall times. Target: the batch within 1.15x of the engine alone. Figures are printed; nothing
is asserted. The best of --repeat runs of each counts, alternating, so neither gets a warmer cache.
"""

from __future__ import annotations

import argparse
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from connectors.audiobook.batch import Batch, BatchOptions
from connectors.audiobook.chapter_files import CODEC_FORMAT
from connectors.audiobook.reader import read_book
from integrator.config import load_settings
from integrator.runtime import build_engine
from tts_engine.engine import Engine
from tts_engine.types import AudioChunk

SUBJECTS = ["The keeper", "A tired clerk", "The old ferryman", "Her brother", "The council", "Nobody in town"]
VERBS = ["watched", "remembered", "carried", "questioned", "painted", "forgot"]
OBJECTS = [
    "the lanterns along the harbour wall",
    "a letter that had never been sent",
    "the price of winter wheat",
    "the long road over the northern hills",
    "three boxes of unmarked keys",
    "the bell that rang at noon",
]
TAILS = ["before the rain came", "without a word to anyone", "as the tide turned", "for the last time", ""]


def make_book(chars: int, seed: int = 7) -> str:
    """Chapters of about 5,000 characters of plain prose, ``chars`` in all, the same for a seed."""
    rng = random.Random(seed)
    chapters: list[str] = []
    total = 0
    while total < chars:
        paragraphs: list[str] = []
        size = 0
        while size < min(5000, chars - total) and total + size < chars:
            sentences = []
            for _ in range(rng.randint(3, 6)):
                tail = rng.choice(TAILS)
                words = f"{rng.choice(SUBJECTS)} {rng.choice(VERBS)} {rng.choice(OBJECTS)}"
                sentences.append(f"{words} {tail}".strip() + ".")
            paragraph = " ".join(sentences)
            paragraphs.append(paragraph)
            size += len(paragraph) + 2
        chapters.append(f"Chapter {len(chapters) + 1}\n\n" + "\n\n".join(paragraphs))
        total += size
    return "The Harbour Book\n\n" + "\n\n".join(chapters) + "\n"


def engine_alone(engine: Engine, text: str, voice: str, fmt: str, out: Path) -> tuple[float, float]:
    """Wall seconds and audio seconds for the text as one request into one file."""
    codec = CODEC_FORMAT[fmt]
    began = time.perf_counter()
    plan = engine.prepare_encoded(text, voice, codec)
    samples = 0

    def count(chunk: AudioChunk) -> None:
        nonlocal samples
        samples += len(chunk.samples)

    with open(out, "wb") as f:
        for data in engine.encode_plan(plan, codec, on_chunk=count):
            f.write(data)
    return time.perf_counter() - began, samples / plan.sample_rate


def batch(engine: Engine, source: Path, voice: str, fmt: str, out: Path) -> tuple[float, float]:
    shutil.rmtree(out, ignore_errors=True)  # no chapter may be kept from the previous round
    began = time.perf_counter()
    result = Batch(engine, BatchOptions(voice=voice, format=fmt)).run(source, out)
    return time.perf_counter() - began, result.duration_ms / 1000


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--voice", default="espeak-en")
    parser.add_argument("--chars", type=int, default=50_000)
    parser.add_argument("--format", choices=["mp3", "m4b"], default="mp3")
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()

    engine = build_engine(load_settings())
    engine.warm_up([args.voice])
    work = Path(tempfile.mkdtemp(prefix="voxflow-bench-batch-"))
    try:
        source = work / "book.txt"
        source.write_text(make_book(args.chars), encoding="utf-8")
        book = read_book(source)
        # The engine alone reads exactly what the batch reads: every chapter's heading and text.
        spoken = "\n\n".join(c.speech for c in book.chapters if not c.empty)
        chars = len(spoken)
        print(
            f"book: {chars} chars spoken, {len(book.chapters)} chapters, voice {args.voice}, {args.format}"
        )
        engine_alone(engine, spoken[:2000], args.voice, args.format, work / "warm")  # caches, JIT, buffers
        alone: list[tuple[float, float]] = []
        batched: list[tuple[float, float]] = []
        for _ in range(args.repeat):
            alone.append(engine_alone(engine, spoken, args.voice, args.format, work / "alone"))
            batched.append(batch(engine, source, args.voice, args.format, work / "out"))
        for name, runs in (("engine alone", alone), ("batch", batched)):
            wall, audio = min(runs)
            print(
                f"{name:>12}: {wall:7.2f} s wall, {audio / 60:6.1f} min audio, {chars / wall:8.0f} chars/s, "
                f"RTF {wall / audio:.4f}   (runs: {', '.join(f'{w:.2f}' for w, _ in runs)})"
            )
        ratio = min(batched)[0] / min(alone)[0]
        print(f"batch / engine alone: {ratio:.3f}x (target <= 1.15x)")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
