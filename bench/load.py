"""Load benchmark: many WebSocket and HTTP clients at once against `voxflow serve` on loopback.

    .venv/bin/python bench/load.py [--ws 50] [--http 20] [--seconds 60] [--voice en-piper-joe|espeak-en]

Starts `voxflow serve` as a subprocess (127.0.0.1, a free port, job workers off), waits for the voice
to warm up, then runs every client for ``--seconds``: each sends one request, reads all its audio,
and sends the next. WebSocket clients keep one connection each and synthesize PCM on it; HTTP
clients stream PCM from the OpenAI route (``POST /v1/audio/speech``). A request turned away
(WebSocket ``busy``, HTTP 503) waits the server's Retry-After before the next one, as a client
should. Requests still running at the end get ``--drain-s`` to finish; then the server is stopped.

Printed: requests completed and errors by kind per transport, first-audio p50/p95/p99 of admitted
requests, underruns (the web page, which starts playing 200 ms after the first chunk, would have
run dry: ``playback.py``), how fast a busy answer came, /healthz latency
during the run, and the server's resident memory (psutil, sampled every 0.5 s). Goal: no 5xx but
deliberate 503s, no connection dropped by the server, memory bounded.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psutil
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from playback import Playback  # bench/ is on sys.path when run as a script

TEXTS = [
    "The quarterly review began at nine in the morning. Revenue grew by twelve percent.",
    "Costs stayed almost flat compared with last year. The team agreed to hire two more engineers.",
    "Please send the updated plan before Friday. We will meet again next Tuesday at three.",
    "The new release fixes the login problem. It also makes the reports load twice as fast.",
]
HTTP_PCM_RATE = 24000  # OpenAI's pcm


@dataclass
class Stats:
    """What one transport's clients saw."""

    completed: int = 0
    first_audio: list[float] = field(default_factory=list)
    busy_answer: list[float] = field(default_factory=list)  # time to a busy refusal
    underruns: int = 0
    gaps: list[float] = field(default_factory=list)  # the longest silence of each request with one, s
    audio_s: float = 0.0
    errors: Counter[str] = field(default_factory=Counter)


# -- clients -------------------------------------------------------------------------------
async def ws_client(n: int, ws_url: str, voice: str, stop_at: float, stats: Stats, timeout_s: float) -> None:
    """One connection; requests one after another until ``stop_at``; reconnects if dropped."""
    i = n
    while time.monotonic() < stop_at:
        try:
            async with connect(f"{ws_url}/v1/tts/stream", max_size=None, open_timeout=30) as ws:
                while time.monotonic() < stop_at:
                    i += 1
                    wait = await ws_request(ws, TEXTS[i % len(TEXTS)], voice, f"r{i}", stats, timeout_s)
                    if wait:
                        await asyncio.sleep(min(wait, max(0.0, stop_at - time.monotonic())))
        except ConnectionClosed as exc:
            code = exc.rcvd.code if exc.rcvd else None
            stats.errors[f"connection closed by server ({code})"] += 1
        except (OSError, TimeoutError) as exc:
            stats.errors[f"connection failed: {type(exc).__name__}"] += 1
            await asyncio.sleep(1.0)


async def ws_request(
    ws: Any, text: str, voice: str, request_id: str, stats: Stats, timeout_s: float
) -> float:
    """One request; returns how long to wait before the next (the Retry-After of a busy answer)."""
    sent = time.perf_counter()
    await ws.send(json.dumps({"type": "synthesize", "request_id": request_id, "text": text, "voice": voice}))
    play: Playback | None = None
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            message = await asyncio.wait_for(ws.recv(), max(0.1, deadline - time.monotonic()))
        except TimeoutError:
            stats.errors["ws request timed out"] += 1
            await ws.send(json.dumps({"type": "cancel", "request_id": request_id}))
            return 0.0
        now = time.perf_counter()
        if isinstance(message, bytes):
            if play is None:
                stats.errors["audio before start"] += 1
                continue
            if play.first is None:
                stats.first_audio.append(now - sent)
            play.arrive(len(message), now)
            continue
        event = json.loads(message)
        kind = event["type"]
        if kind == "start":
            play = Playback(2 * event["sample_rate"])
        elif kind == "error":
            code = event.get("code", "?")
            if code == "busy":
                stats.busy_answer.append(now - sent)
                stats.errors["ws busy (deliberate)"] += 1
                return float(event.get("retry_after_s", 1))
            stats.errors[f"ws error {code}"] += 1
            return 0.0
        elif kind == "done":
            stats.completed += 1
            if play is not None:
                stats.underruns += play.underrun
                stats.gaps += [play.worst_s] if play.underrun else []
                stats.audio_s += play.received / play.bytes_per_s
            return 0.0


async def http_client(
    n: int, url: str, voice: str, stop_at: float, stats: Stats, timeout_s: float, client: httpx.AsyncClient
) -> None:
    i = n
    while time.monotonic() < stop_at:
        i += 1
        body = {"model": voice, "voice": "alloy", "input": TEXTS[i % len(TEXTS)], "response_format": "pcm"}
        wait = 0.0
        sent = time.perf_counter()
        request = client.stream("POST", f"{url}/v1/audio/speech", json=body, timeout=timeout_s)
        try:
            async with request as response:
                if response.status_code != 200:
                    await response.aread()
                    if response.status_code == 503 and response.json()["error"]["code"] == "busy":
                        stats.busy_answer.append(time.perf_counter() - sent)
                        stats.errors["http 503 busy (deliberate)"] += 1
                        wait = float(response.headers.get("retry-after", "1"))
                    else:
                        stats.errors[f"http {response.status_code}"] += 1
                else:
                    play = Playback(2 * HTTP_PCM_RATE)
                    async for data in response.aiter_bytes():
                        now = time.perf_counter()
                        if play.first is None:
                            stats.first_audio.append(now - sent)
                        play.arrive(len(data), now)
                    stats.completed += 1
                    stats.underruns += play.underrun
                    stats.gaps += [play.worst_s] if play.underrun else []
                    stats.audio_s += play.received / play.bytes_per_s
        except httpx.HTTPError as exc:
            stats.errors[f"http transport: {type(exc).__name__}"] += 1
        if wait:
            await asyncio.sleep(min(wait, max(0.0, stop_at - time.monotonic())))


# -- watching the server -------------------------------------------------------------------
@dataclass
class Watch:
    rss_mb: list[float] = field(default_factory=list)
    health_ms: list[float] = field(default_factory=list)
    health_failures: int = 0


async def watch(pid: int, url: str, stop: asyncio.Event, out: Watch) -> None:
    process = psutil.Process(pid)
    async with httpx.AsyncClient() as client:
        tick = 0
        while not stop.is_set():
            out.rss_mb.append(process.memory_info().rss / 2**20)
            if tick % 2 == 0:  # /healthz once a second: does the process still answer at once?
                began = time.perf_counter()
                try:
                    ok = (await client.get(f"{url}/healthz", timeout=5)).status_code == 200
                except httpx.HTTPError:
                    ok = False
                if ok:
                    out.health_ms.append(1000 * (time.perf_counter() - began))
                else:
                    out.health_failures += 1
            tick += 1
            try:
                await asyncio.wait_for(stop.wait(), 0.5)
            except TimeoutError:
                pass


def tenths(values: list[float]) -> list[float]:
    """The values at the end of each tenth of the run: growth that flattens is bounded."""
    return [values[min(len(values) - 1, (len(values) * k) // 10)] for k in range(1, 11)] if values else []


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] if ordered else float("nan")


# -- the server ----------------------------------------------------------------------------
def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(voice: str, workdir: Path, args: argparse.Namespace) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    config = workdir / "load.yaml"
    server = {"concurrency": args.concurrency, "queue": args.queue, "retry_after_s": 1}
    config.write_text(json.dumps({
        "data_dir": str(workdir / "data"), "engine": {"preload": [voice]}, "server": server,
        "jobs": {"workers": 0},
    }))  # fmt: skip
    log = (workdir / "voxflow.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "integrator.cli", "serve", "--port", str(port), "--config", str(config)],
        stdout=log, stderr=subprocess.STDOUT, cwd=Path(__file__).resolve().parent.parent,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"voxflow serve exited with {proc.returncode}; see {workdir / 'voxflow.log'}")
        try:
            ready = httpx.get(f"{url}/readyz", timeout=5)
            if ready.status_code == 200:
                return proc, url
            if ready.json().get("status") == "failed":
                raise RuntimeError(f"warm-up failed: {ready.json()}")
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    proc.kill()
    raise RuntimeError("voxflow serve did not get ready in 600 s")


def server_counts(url: str) -> dict[str, float]:
    """voxflow_requests_total by route and status, from /metrics."""
    counts: dict[str, float] = {}
    for line in httpx.get(f"{url}/metrics", timeout=10).text.splitlines():
        if line.startswith("voxflow_requests_total{"):
            labels, value = line.rsplit(" ", 1)
            counts[labels.removeprefix("voxflow_requests_total")] = float(value)
    return counts


# -- the run -------------------------------------------------------------------------------
async def run(args: argparse.Namespace, url: str, pid: int) -> tuple[Stats, Stats, Watch, float]:
    ws_url = url.replace("http://", "ws://")
    ws_stats, http_stats, watched = Stats(), Stats(), Watch()
    stop_watch = asyncio.Event()
    watcher = asyncio.create_task(watch(pid, url, stop_watch, watched))
    began = time.monotonic()
    stop_at = began + args.seconds
    limits = httpx.Limits(max_connections=args.http + 5, max_keepalive_connections=args.http + 5)
    async with httpx.AsyncClient(limits=limits) as client:
        timeout = args.request_timeout_s
        clients: list[Awaitable[None]] = [
            ws_client(n, ws_url, args.voice, stop_at, ws_stats, timeout) for n in range(args.ws)
        ]
        clients += [
            http_client(n, url, args.voice, stop_at, http_stats, timeout, client)
            for n in range(args.http)
        ]
        tasks = [asyncio.create_task(_staggered(c, i * 0.02)) for i, c in enumerate(clients)]
        _, pending = await asyncio.wait(tasks, timeout=args.seconds + args.drain_s)
        for task in pending:  # bounded: whatever is still running after the drain is abandoned
            task.cancel()
        if pending:
            ws_stats.errors["abandoned after the drain"] += len(pending)
    wall = time.monotonic() - began
    stop_watch.set()
    await watcher
    return ws_stats, http_stats, watched, wall


async def _staggered(client: Awaitable[None], delay: float) -> None:
    await asyncio.sleep(delay)  # 50 handshakes in the same millisecond test the kernel, not us
    await client


def report(name: str, stats: Stats, wall: float) -> list[str]:
    firsts = stats.first_audio
    lines = [
        f"  {name}: {stats.completed} requests completed ({stats.completed / wall:.1f}/s), "
        f"{stats.audio_s:.0f} s of audio, {stats.underruns} with underruns"
        + (f" (longest gap p50 {1000 * pct(stats.gaps, 0.5):.0f} ms, max {1000 * max(stats.gaps):.0f} ms)"
           if stats.gaps else ""),
        f"    first audio (admitted): p50 {1000 * pct(firsts, 0.5):.0f} ms, "
        f"p95 {1000 * pct(firsts, 0.95):.0f} ms, p99 {1000 * pct(firsts, 0.99):.0f} ms "
        f"({len(firsts)} requests)",
    ]
    if stats.busy_answer:
        lines.append(f"    busy answered in p50 {1000 * pct(stats.busy_answer, 0.5):.0f} ms, "
                     f"p99 {1000 * pct(stats.busy_answer, 0.99):.0f} ms")  # fmt: skip
    for kind, count in sorted(stats.errors.items(), key=lambda kv: -kv[1]):
        lines.append(f"    {kind}: {count}")
    return lines


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ws", type=int, default=50, help="WebSocket clients")
    ap.add_argument("--http", type=int, default=20, help="HTTP (OpenAI route) clients")
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--voice", default="en-piper-joe", help="en-piper-joe (default) or espeak-en")
    ap.add_argument("--concurrency", type=int, default=4, help="server.concurrency (streams per voice)")
    ap.add_argument("--queue", type=int, default=16, help="server.queue (waiting places per voice)")
    ap.add_argument("--drain-s", type=float, default=60.0, help="time for requests running at the end")
    ap.add_argument("--request-timeout-s", type=float, default=120.0)
    ap.add_argument("--json", type=Path, help="also write the figures here")
    args = ap.parse_args()
    from tts_engine.backends.catalog import available

    ok, why = available(args.voice)
    if not ok:
        sys.exit(f"{args.voice} is not available here: {why}")
    workdir = Path(tempfile.mkdtemp(prefix="voxflow-load-"))
    proc, url = start_server(args.voice, workdir, args)
    try:
        idle_mb = psutil.Process(proc.pid).memory_info().rss / 2**20
        print(f"voxflow serve ready (pid {proc.pid}, {idle_mb:.0f} MB); {args.ws} WebSocket + "
              f"{args.http} HTTP clients on {args.voice} for {args.seconds:.0f} s, {os.cpu_count()} CPUs",
              flush=True)  # fmt: skip
        ws_stats, http_stats, watched, wall = asyncio.run(run(args, url, proc.pid))
        counts = server_counts(url)
        alive = proc.poll() is None
    finally:
        proc.terminate()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
    # /readyz answers 503 on purpose while the voice warms up: not load.
    load = {k: v for k, v in counts.items() if 'route="/readyz"' not in k}
    server_5xx = sum(v for k, v in load.items() if 'status="5' in k and 'status="503"' not in k)
    http_503 = sum(v for k, v in load.items() if 'status="503"' in k)
    crashed = sum(v for s in (ws_stats, http_stats) for k, v in s.errors.items()
                  if k.startswith(("connection closed", "http transport", "connection failed")))  # fmt: skip
    peak = max(watched.rss_mb, default=idle_mb)
    lines = [
        f"load: {args.ws} WebSocket + {args.http} HTTP clients, {args.voice}, {wall:.0f} s wall, "
        f"server concurrency {args.concurrency} + queue {args.queue} per voice",
        *report("WebSocket", ws_stats, wall),
        *report("HTTP /v1/audio/speech", http_stats, wall),
        f"  server: 5xx other than 503: {server_5xx:.0f}; 503 busy: {http_503:.0f}; connections dropped or "
        f"failed: {crashed}; still running at the end: {'yes' if alive else 'NO'}",
        f"  /healthz during the run: p50 {pct(watched.health_ms, 0.5):.0f} ms, "
        f"max {max(watched.health_ms, default=float('nan')):.0f} ms, failures {watched.health_failures}",
        f"  server RSS: {idle_mb:.0f} MB warm and idle, peak {peak:.0f} MB; over the run (each tenth): "
        + " ".join(f"{v:.0f}" for v in tenths(watched.rss_mb)),
        f"  verdict: {'PASS' if server_5xx == 0 and crashed == 0 and alive else 'FAIL'} "
        "(no 5xx but deliberate 503s, no dropped connections, server alive)",
    ]
    print()
    print("\n".join(lines))
    if args.json:
        args.json.write_text(json.dumps({
            "args": {k: str(v) for k, v in vars(args).items()}, "wall_s": wall, "server_counts": counts,
            "ws": _as_dict(ws_stats), "http": _as_dict(http_stats),
            "rss_mb": {"idle": idle_mb, "peak": peak, "tenths": tenths(watched.rss_mb)},
            "health_ms": {"p50": pct(watched.health_ms, 0.5), "max": max(watched.health_ms, default=None)},
        }, indent=2))  # fmt: skip
    print(f"server log: {workdir / 'voxflow.log'}")


def _as_dict(stats: Stats) -> dict[str, Any]:
    firsts = stats.first_audio
    return {
        "completed": stats.completed, "underruns": stats.underruns, "audio_s": stats.audio_s,
        "first_audio_s": {q: pct(firsts, p) for q, p in (("p50", 0.5), ("p95", 0.95), ("p99", 0.99))},
        "busy_answer_p50_s": pct(stats.busy_answer, 0.5) if stats.busy_answer else None,
        "errors": dict(stats.errors), "mean_first_audio_s": statistics.mean(firsts) if firsts else None,
    }  # fmt: skip


if __name__ == "__main__":
    main()
