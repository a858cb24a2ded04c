"""Search blends of Kokoro's five speaker style tables for the one that reads Mandarin best.

    PYTHONPATH=. .venv/bin/python bench/kokoro_mix.py [--texts 12] [--evals 16] [--confirm 3]

A candidate is a weight per speaker, summing to 1 (kokoro.BLENDS holds the shipped ones). It
reads the first ``--texts`` texts of bench/corpus/tune_zh.txt through the engine, so pieces
and style rows are what a request gets, and is scored by Whisper CER and DNSMOS overall. The
search tries the five speakers, even blends of the best two and three, then moves weight
between those three speakers in halving steps while CER falls, up to ``--evals``
candidates; the best ``--confirm`` are then read again on the whole tuning corpus (or on the
``--confirm-texts`` tuning texts after those searched). Held-out
texts are never read here: judge the winner with bench/quality.py.

Ranking: lowest CER among candidates with DNSMOS at least MIN_DNSMOS, then the rest.
"""

from __future__ import annotations

import argparse
import itertools
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from quality import corpus  # bench/ is on sys.path when run as a script

from tts_engine import scoring
from tts_engine.backends.kokoro import SPEAKERS, KokoroBackend
from tts_engine.engine import Engine
from tts_engine.registry import VoiceRegistry

MIN_DNSMOS = 3.0
Weights = dict[str, float]


def key(weights: Weights) -> str:
    """A blend as text, heaviest speaker first: "0.50 jf_gongitsune + 0.50 jm_kumo"."""
    parts = sorted(((w, name) for name, w in weights.items() if w > 0), reverse=True)
    return " + ".join(f"{w:.3f} {name}" for w, name in parts)


class Judge:
    """Reads texts with a blend through the engine and scores what Whisper hears."""

    def __init__(self, listener: scoring.Listener) -> None:
        self.listener = listener
        self.seen: dict[tuple[str, int], dict[str, float]] = {}

    def __call__(self, weights: Weights, texts: list[str]) -> dict[str, float]:
        weights = {k: round(v, 4) for k, v in weights.items() if v > 0}
        cached = self.seen.get((key(weights), len(texts)))
        if cached:
            return cached
        backend = KokoroBackend("blend", "zh", device="cpu", weights=weights)
        registry = VoiceRegistry([backend.info], {backend.info.id: lambda: backend})
        engine = Engine(registry)
        engine.load(backend.info.id)
        errors, mos = [], []
        start = time.perf_counter()
        for text in texts:
            result = engine.synthesize(text, backend.info.id)
            heard = self.listener.hear(result.samples, result.sample_rate, "zh")
            errors.append(scoring.error_rate(text, heard, "zh"))
            mos.append(scoring.dnsmos(result.samples, result.sample_rate))
        score = {
            "cer": statistics.fmean(errors),
            "worst": max(errors),
            "dnsmos": statistics.fmean(mos),
            "texts": len(texts),
        }
        self.seen[(key(weights), len(texts))] = score
        print(
            f"{key(weights):<60} CER {score['cer']:.3f} (worst {score['worst']:.3f}) "
            f"DNSMOS {score['dnsmos']:.2f}  [{time.perf_counter() - start:.0f} s]",
            file=sys.stderr,
        )
        return score


def rank(score: dict[str, float]) -> tuple[bool, float, float]:
    return (score["dnsmos"] < MIN_DNSMOS, score["cer"], -score["dnsmos"])


def moves(weights: Weights, step: float, pool: list[str]) -> list[Weights]:
    """Blends moving ``step`` of weight from one speaker of ``pool`` to another."""
    out = []
    for a, b in itertools.permutations(pool, 2):
        if weights.get(a, 0.0) >= step - 1e-9:
            moved = dict(weights)
            moved[a] -= step
            moved[b] = moved.get(b, 0.0) + step
            out.append(moved)
    return out


def search(judge: Judge, texts: list[str], evals: int) -> list[tuple[Weights, dict[str, float]]]:
    tried: list[tuple[Weights, dict[str, float]]] = []

    def tryout(weights: Weights) -> dict[str, float]:
        score = judge(weights, texts)
        if all(key(w) != key(weights) for w, _ in tried):
            tried.append((weights, score))
        return score

    for speaker in SPEAKERS.values():
        tryout({speaker: 1.0})
    best = [next(iter(w)) for w, _ in sorted(tried, key=lambda t: rank(t[1]))[:3]]
    for group in (best[:2], best[:3], [best[0], best[2]]):
        tryout({name: 1 / len(group) for name in group})
    current = min(tried, key=lambda t: rank(t[1]))[0]
    step = 0.25
    while len(tried) < evals and step >= 0.06:
        improved = False
        for candidate in moves(current, step, best):
            if len(tried) >= evals:
                break
            if rank(tryout(candidate)) < rank(judge(current, texts)):
                current, improved = candidate, True
                break
        if not improved:
            step /= 2
    return sorted(tried, key=lambda t: rank(t[1]))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--texts", type=int, default=12, help="tuning texts read per candidate during the search")
    ap.add_argument("--evals", type=int, default=16, help="candidates tried at most")
    ap.add_argument("--confirm", type=int, default=3, help="best candidates read again on every tuning text")
    ap.add_argument(
        "--confirm-texts",
        type=int,
        default=0,
        help="tuning texts after the searched ones to confirm on (0: all)",
    )
    ap.add_argument("--json", type=Path, default=Path(__file__).parent / "results" / "kokoro_mix.json")
    args = ap.parse_args()

    judge = Judge(scoring.Listener())
    tuning = corpus("tune_zh")
    found = search(judge, tuning[: args.texts], args.evals)
    # Confirming on texts the search did not read keeps the winner from being fitted to them.
    confirm = tuning[args.texts : args.texts + args.confirm_texts] if args.confirm_texts else tuning
    confirmed = sorted(((w, judge(w, confirm)) for w, _ in found[: args.confirm]), key=lambda t: rank(t[1]))
    report = {
        "search_texts": args.texts,
        "confirm_texts": len(confirm),
        "search": [{"blend": w, **s} for w, s in found],
        "confirmed": [{"blend": w, **s} for w, s in confirmed],
    }
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, indent=1), encoding="utf-8")
    print(f"| blend | CER ({len(confirm)} tuning texts) | worst | DNSMOS |\n| --- | --- | --- | --- |")
    for weights, score in confirmed:
        print(f"| {key(weights)} | {score['cer']:.3f} | {score['worst']:.3f} | {score['dnsmos']:.2f} |")
    best = confirmed[0][0]
    print(f"\nbest: {json.dumps({k: round(v, 3) for k, v in best.items() if v > 0})}")


if __name__ == "__main__":
    main()
