"""Speech-quality benchmark: what each voice gets right, how natural it sounds, and how fast.

    PYTHONPATH=. .venv/bin/python bench/quality.py                       # every available voice
    PYTHONPATH=. .venv/bin/python bench/quality.py --voices zh-kokoro-kumo --sets heldout --limit 4 --no-long

Per voice, on the texts of its own language in bench/corpus/ (``tune_*`` tunes the engine and the
voices; ``heldout_*`` is never tuned on and is what figures are judged by): Whisper base's CER
(Mandarin, simplified, digits read as spoken) or WER (English), DNSMOS P.835 overall, RTF (warm,
one request at a time) and time to first audio. Mandarin voices also read ``long_zh.txt`` (about
five minutes): its CER against the short tuning texts' and the sentences Whisper did not hear or
heard twice. ``--streams`` finds how many simultaneous streams the voice keeps ahead of their
listeners on this machine (every stream starts at once and must never leave its listener waiting
more than GAP_S). Prints a markdown table and writes JSON (``--json``) after every part, so an
interrupted run goes on with ``--resume``.

Timings are noisy on a shared machine: compare runs made under the same load.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from playback import Playback  # bench/ is on sys.path when run as a script

from tts_engine import scoring
from tts_engine.engine import Engine

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "bench" / "corpus"
SETS = ("tune", "heldout")
GAP_S = 0.3  # longest silence a stream may leave its listener with and still count as real time
STREAM_TEXT_CHARS = 160  # Mandarin read by each simultaneous stream: about 40 s of speech


def corpus(name: str) -> list[str]:
    """The texts of ``bench/corpus/<name>.txt``: one per line, ``#`` lines are comments."""
    lines = (CORPUS / f"{name}.txt").read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def long_document() -> str:
    return (CORPUS / "long_zh.txt").read_text(encoding="utf-8")


@dataclass
class Take:
    """One text through one voice."""

    text: str
    heard: str = ""
    error: float = 0.0
    dnsmos: float = 0.0
    audio_s: float = 0.0
    synth_s: float = 0.0
    first_s: float = 0.0
    samples: Any = field(default=None, repr=False)
    rate: int = 0


def speak(engine: Engine, voice: str, text: str) -> Take:
    """Synthesize ``text`` as a listener would receive it, timing the first chunk and the whole."""
    start = time.perf_counter()
    first, chunks, rate = 0.0, [], 0
    for chunk in engine.stream(text, voice):
        first = first or time.perf_counter() - start
        chunks.append(chunk.samples)
        rate = chunk.sample_rate
    total = time.perf_counter() - start
    samples = np.concatenate(chunks) if chunks else np.zeros(0, np.float32)
    audio_s = len(samples) / max(rate, 1)
    return Take(text, audio_s=audio_s, synth_s=total, first_s=first, samples=samples, rate=rate)


def judge(take: Take, listener: scoring.Listener, lang: str, mos: bool = True) -> Take:
    take.heard = listener.hear(take.samples, take.rate, lang)
    take.error = scoring.error_rate(take.text, take.heard, lang)
    take.dnsmos = scoring.dnsmos(take.samples, take.rate) if mos else 0.0
    take.samples = None  # judged: the audio is no longer needed
    return take


def summary(takes: list[Take]) -> dict[str, float]:
    errors = [t.error for t in takes]
    return {
        "texts": len(takes),
        "error_mean": statistics.fmean(errors),
        "error_worst": max(errors),
        "dnsmos": statistics.fmean(t.dnsmos for t in takes),
        "rtf": sum(t.synth_s for t in takes) / sum(t.audio_s for t in takes),
        "first_p50_s": statistics.median(t.first_s for t in takes),
        "first_max_s": max(t.first_s for t in takes),
        "audio_s": sum(t.audio_s for t in takes),
    }


def long_check(engine: Engine, voice: str, listener: scoring.Listener) -> dict[str, Any]:
    """The long document: its CER, and every sentence dropped or repeated in the transcript."""
    text = long_document()
    take = judge(speak(engine, voice, text), listener, "zh", mos=False)
    checks = scoring.check_sentences(scoring.sentences_of(text), take.heard, "zh")
    return {
        "error": take.error,
        "audio_s": take.audio_s,
        "rtf": take.synth_s / take.audio_s,
        "first_s": take.first_s,
        "sentences": len(checks),
        "dropped": [c.text for c in checks if c.dropped],
        "repeated": [c.text for c in checks if c.repeated],
        "heard": take.heard,
    }


def streams_hold(engine: Engine, voice: str, text: str, n: int) -> float:
    """Start ``n`` streams of ``text`` at once; the longest silence any listener heard (s)."""
    worst = [0.0] * n
    failures: list[BaseException] = []

    def listen(i: int) -> None:
        try:
            playback: Playback | None = None
            for chunk in engine.stream(text, voice):
                playback = playback or Playback(chunk.sample_rate)
                playback.arrive(len(chunk.samples), time.monotonic())
            worst[i] = playback.worst_s if playback else 0.0
        except BaseException as exc:  # reported after the others finish
            failures.append(exc)

    threads = [threading.Thread(target=listen, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if failures:
        raise failures[0]
    return max(worst)


def capacity(engine: Engine, voice: str, most: int) -> dict[str, Any]:
    """How many simultaneous streams stay real time: doubling until one fails, then bisecting."""
    text = long_document().split("\n\n", 1)[1][:STREAM_TEXT_CHARS]
    trials: dict[int, float] = {}

    def holds(n: int) -> bool:
        trials[n] = streams_hold(engine, voice, text, n)
        print(f"  {voice}: {n} streams, longest silence {trials[n]:.2f} s", file=sys.stderr)
        return trials[n] <= GAP_S

    good, bad = 0, most + 1
    n = 1
    while n <= most and holds(n):
        good, n = n, n * 2
    bad = min(bad, n)
    while bad - good > 1:
        mid = (good + bad) // 2
        good, bad = (mid, bad) if holds(mid) else (good, mid)
    return {"streams": good, "gap_s": GAP_S, "trials": {str(k): v for k, v in sorted(trials.items())}}


def bench_voice(
    engine: Engine,
    voice: str,
    args: argparse.Namespace,
    listener: scoring.Listener,
    result: dict[str, Any],
    save: Callable[[], None],
) -> None:
    """Fill ``result`` with what ``args`` asks for and it does not hold yet, saving after each part."""
    lang = engine.registry.info(voice).language
    engine.load(voice)
    speak(engine, voice, corpus(f"tune_{lang}")[0])  # warm every path once
    result.update(voice=voice, lang=lang)
    sets = result.setdefault("sets", {})
    for name in args.sets:
        if name in sets:
            continue
        texts = corpus(f"{name}_{lang}")[: args.limit or None]
        takes = [judge(speak(engine, voice, t), listener, lang) for t in texts]
        sets[name] = s = {**summary(takes), "takes": [asdict(t) for t in takes]}
        save()
        print(
            f"  {voice} {name}: error {s['error_mean']:.3f} (worst {s['error_worst']:.3f}), "
            f"DNSMOS {s['dnsmos']:.2f}, RTF {s['rtf']:.3f}",
            file=sys.stderr,
        )
    if lang == "zh" and args.long and "long" not in result:
        result["long"] = long_check(engine, voice, listener)
        save()
        print(f"  {voice} long: error {result['long']['error']:.3f}", file=sys.stderr)
    if lang == "zh" and args.streams and "capacity" not in result:
        result["capacity"] = capacity(engine, voice, args.streams)
        save()


def table(results: list[dict[str, Any]]) -> str:
    """The markdown the README shows."""
    head = (
        "| voice | CER/WER held-out (mean / worst) | CER/WER tuning (mean / worst) | DNSMOS | RTF "
        "| first audio | 5-min doc CER | dropped / repeated | real-time streams |"
    )
    rows = [head, "| " + " | ".join(["---"] * 9) + " |"]
    for r in results:
        sets = list(r["sets"].values())
        dnsmos = statistics.fmean(s["dnsmos"] for s in sets) if sets else 0.0
        rtf = sum(s["rtf"] * s["audio_s"] for s in sets) / max(sum(s["audio_s"] for s in sets), 1e-9)
        first = statistics.fmean(s["first_p50_s"] for s in sets) if sets else 0.0
        lg = r.get("long")
        long_cer = f"{lg['error']:.3f}" if lg else "–"
        fates = f"{len(lg['dropped'])} / {len(lg['repeated'])}" if lg else "–"
        cap = str(r["capacity"]["streams"]) if "capacity" in r else "–"
        rows.append(
            f"| `{r['voice']}` | {_rate(r, 'heldout')} | {_rate(r, 'tune')} | {dnsmos:.2f} | {rtf:.3f} "
            f"| {first:.2f} s | {long_cer} | {fates} | {cap} |"
        )
    return "\n".join(rows)


def _rate(result: dict[str, Any], name: str) -> str:
    s = result["sets"].get(name)
    return f"{s['error_mean']:.3f} / {s['error_worst']:.3f}" if s else "–"


def default_voices() -> list[str]:
    from tts_engine.backends import catalog

    return [v.id for v in catalog.voice_infos() if catalog.available(v.id)[0]]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--voices", nargs="*", help="voice ids (default: every available voice)")
    ap.add_argument("--sets", nargs="*", default=list(SETS), choices=SETS)
    ap.add_argument("--limit", type=int, default=0, help="only the first N texts of each set")
    ap.add_argument("--no-long", dest="long", action="store_false", help="skip the five-minute document")
    ap.add_argument(
        "--streams",
        type=int,
        default=0,
        metavar="MAX",
        help="find how many simultaneous real-time streams (up to MAX) each Mandarin voice holds",
    )
    ap.add_argument("--json", type=Path, default=ROOT / "bench" / "results" / "latest.json")
    ap.add_argument("--resume", action="store_true", help="keep what --json already holds; measure the rest")
    ap.add_argument("--note", default="", help="what was measured, kept in the JSON")
    args = ap.parse_args()

    from integrator.config import load_settings
    from integrator.runtime import build_engine

    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT)
    report: dict[str, Any] = {}
    if args.resume and args.json.is_file():
        report = json.loads(args.json.read_text(encoding="utf-8"))
    report.update(
        commit=commit.stdout.strip() or report.get("commit", ""),
        note=args.note or report.get("note", ""),
        date=time.strftime("%Y-%m-%d %H:%M"),
        whisper="base (multilingual, int8)",
        limit=args.limit,
    )
    done = {r["voice"]: r for r in report.get("voices", [])}
    voices = args.voices or default_voices()
    report["voices"] = results = [done.get(v, {"voice": v}) for v in voices]

    def save() -> None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        tmp = args.json.with_suffix(".tmp")
        tmp.write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")
        tmp.replace(args.json)

    engine = build_engine(load_settings())
    listener = scoring.Listener()
    for voice, result in zip(voices, results, strict=True):
        print(f"{voice} …", file=sys.stderr)
        bench_voice(engine, voice, args, listener, result, save)
    report["default_by_rule"] = picks = {}
    for lang in sorted({r["lang"] for r in results if "lang" in r}):
        try:
            picks[lang] = scoring.measured_default(results, lang)
        except ValueError as exc:
            picks[lang] = f"none: {exc}"
    save()
    print(table(results))
    chosen = ", ".join(f"{k}: {v}" for k, v in picks.items())
    print(f"\nDefault by the rule (scoring.measured_default): {chosen}")
    print(f"\nJSON: {args.json}", file=sys.stderr)


if __name__ == "__main__":
    main()
