"""Job system benchmark: queue overhead and throughput of durable jobs on a real voice.

    .venv/bin/python bench/jobs.py [--voice espeak-en] [--backend sqlite|redis] [--quick]

* queue overhead (enqueue -> a worker starts the job), p50/p95, for workers embedded in the
  submitting process (what `voxflow serve` does) and for a separate `voxflow worker` process;
* throughput, characters synthesized per second, for many short jobs and one long job, with 1
  and 2 `voxflow worker` processes, each pinned to its own core (os.sched_setaffinity).

Targets: embedded queue overhead p50 <= 20 ms; 2 workers >= 1.7x one worker on short jobs.
Figures are printed; nothing is asserted. --quick shrinks every size for a run of about a minute.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from integrator.config import load_settings
from integrator.jobs.job import JobSpec, JobStatus
from integrator.jobs.service import JobService

SHORT = "Item {i}: the quarterly review began at nine, with a short summary of the results."
LONG_SENTENCE = (
    "Paragraph {i} of the long report says that revenue grew by twelve percent while costs stayed "
    "almost flat, and the team agreed to hire two more engineers. "
)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Bench:
    def __init__(self, root: Path, backend: str, redis_url: str | None) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        self.config = root / "config.yaml"
        jobs: dict[str, Any] = {
            "backend": backend, "cache_max_mb": 0, "lease_seconds": 60, "sweep_interval_seconds": 5,
            "queue_name": f"bench{os.getpid()}", "workers": 1,
        }
        if redis_url:
            jobs["redis_url"] = redis_url
        self.config.write_text(yaml.safe_dump({"data_dir": str(root / "data"), "jobs": jobs}))
        self.settings = load_settings(self.config)
        self.service = JobService.from_settings(self.settings)
        self.procs: list[subprocess.Popen[bytes]] = []
        self.serial = 0

    def text(self, template: str) -> str:
        self.serial += 1  # unique texts: no job may be served from another's audio
        return template.format(i=self.serial)

    def submit(self, texts: list[str], voice: str) -> str:
        job, _ = self.service.submit(JobSpec(texts=texts, voice=voice, format="mp3"))
        return job.id

    def wait(self, ids: list[str], timeout: float = 3600) -> list[Any]:
        """Until every job in the database has ended (one cheap query per poll: the bench must not
        steal CPU from the workers it measures)."""
        deadline = time.monotonic() + timeout
        while True:
            counts = self.service.store.counts()
            if not counts.get("queued") and not counts.get("running"):
                break
            if time.monotonic() > deadline:
                raise TimeoutError(f"jobs unfinished: {counts}")
            time.sleep(0.002 if len(ids) == 1 else 0.05)
        jobs = [self.service.get(i) for i in ids]
        for job in jobs:
            if job.status is not JobStatus.SUCCEEDED:
                raise RuntimeError(f"job {job.id} {job.status.value}: {job.error}")
        return jobs

    def start_workers(self, n: int) -> None:
        cpus = sorted(os.sched_getaffinity(0))
        command = [sys.executable, "-m", "integrator.cli", "worker", "-c", str(self.config), "--workers", "1"]
        for i in range(n):
            cpu = {cpus[i % len(cpus)]}
            with open(self.root / f"worker{len(self.procs)}.log", "wb") as log:
                self.procs.append(subprocess.Popen(
                    command, stdout=subprocess.DEVNULL, stderr=log,
                    preexec_fn=lambda cpu=cpu: os.sched_setaffinity(0, cpu),  # type: ignore[misc]
                ))

    def stop_workers(self) -> None:
        for proc in self.procs:
            proc.terminate()
        for proc in self.procs:
            proc.wait(60)
        self.procs.clear()

    def close(self) -> None:
        self.stop_workers()
        self.service.close()


def overhead(bench: Bench, voice: str, n: int) -> list[float]:
    """Enqueue -> start, one job at a time into an idle worker (nothing queued ahead of it)."""
    waits = []
    bench.wait([bench.submit([bench.text(SHORT)], voice)])  # warm: voice loaded
    for _ in range(n):
        (job,) = bench.wait([bench.submit([bench.text(SHORT)], voice)])
        waits.append((job.started_at - job.created_at).total_seconds())
        time.sleep(0.005)
    return waits


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time of processes, from /proc (clock ticks)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])
    return total / ticks


def throughput(bench: Bench, voice: str, texts: list[str]) -> tuple[float, float]:
    """Characters per wall-clock second from submitting ``texts`` (one job each) until the last one
    finished, and per CPU second the workers used (which other load on the machine does not skew)."""
    pids = [p.pid for p in bench.procs]
    cpu0, t0 = cpu_seconds(pids), time.monotonic()
    ids = [bench.submit([t], voice) for t in texts]
    bench.wait(ids)
    chars = sum(len(t) for t in texts)
    return chars / (time.monotonic() - t0), chars / max(1e-9, cpu_seconds(pids) - cpu0)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--voice", default="espeak-en")
    ap.add_argument("--backend", choices=["sqlite", "redis"], default="sqlite")
    ap.add_argument("--quick", action="store_true", help="smaller sizes, about a minute")
    args = ap.parse_args()
    n_short, long_chars, n_overhead = (60, 10_000, 30) if args.quick else (200, 50_000, 100)

    redis_proc = None
    redis_url = None
    root = Path(tempfile.mkdtemp(prefix="voxflow-bench-"))
    if args.backend == "redis":
        binary = shutil.which("redis-server")
        if binary is None:
            sys.exit("redis-server is not installed (apt-get install redis-server)")
        port = free_port()
        redis_proc = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                                       "--appendonly", "no", "--dir", str(root)], stdout=subprocess.DEVNULL)
        redis_url = f"redis://127.0.0.1:{port}/0"
        time.sleep(0.5)
    try:
        print(f"voice {args.voice}, backend {args.backend}, {os.cpu_count()} CPUs, "
              f"{'quick' if args.quick else 'full'} run")
        # 1. Embedded: the consumer thread lives in this process, as in `voxflow serve`.
        from integrator.jobs.workers import start_embedded_workers
        from integrator.runtime import build_engine

        embedded = Bench(root / "embedded", "sqlite", None)
        engine = build_engine(embedded.settings)
        handle = start_embedded_workers(embedded.settings, engine, workers=1)
        waits = overhead(embedded, args.voice, n_overhead)
        handle.stop(10)
        embedded.close()
        p50, p95 = percentile(waits, 0.5) * 1000, percentile(waits, 0.95) * 1000
        print(f"queue overhead, embedded worker:   p50 {p50:6.1f} ms  p95 {p95:6.1f} ms"
              f"  (n={len(waits)}; target p50 <= 20 ms: {'met' if p50 <= 20 else 'MISSED'})")

        # 2. Separate worker processes, each on its own core.
        results: dict[int, tuple[tuple[float, float], tuple[float, float]]] = {}
        for workers in (1, 2):
            bench = Bench(root / f"w{workers}", args.backend, redis_url)
            try:
                bench.start_workers(workers)
                # Warm every worker (voice loaded, first-use costs paid) before timing.
                bench.wait([bench.submit([bench.text(SHORT)], args.voice) for _ in range(4 * workers)], 300)
                if workers == 1:
                    waits = overhead(bench, args.voice, n_overhead)
                    print(f"queue overhead, worker process:    p50 {percentile(waits, 0.5) * 1000:6.1f} ms"
                          f"  p95 {percentile(waits, 0.95) * 1000:6.1f} ms  (n={len(waits)}, {args.backend})")
                short = throughput(bench, args.voice, [bench.text(SHORT) for _ in range(n_short)])
                long_text = ""
                while len(long_text) < long_chars:
                    long_text += bench.text(LONG_SENTENCE)
                long = throughput(bench, args.voice, [long_text[:long_chars]])
                results[workers] = (short, long)
                print(f"throughput, {workers} worker(s): {n_short} short jobs {short[0]:6.0f} chars/s"
                      f" ({short[1]:.0f}/CPU-s); one {long_chars:,}-char job {long[0]:6.0f} chars/s"
                      f" ({long[1]:.0f}/CPU-s); load average {os.getloadavg()[0]:.1f}")
            finally:
                bench.close()
        ratio = results[2][0][0] / results[1][0][0]
        print(f"scale-out, short jobs: 2 workers = {ratio:.2f}x one worker "
              f"(target >= 1.7x: {'met' if ratio >= 1.7 else 'MISSED'}); the long job is one job, "
              f"so one worker runs it either way ({results[2][1][0] / results[1][1][0]:.2f}x)")
        if os.getloadavg()[0] > 2.5:
            print("note: the machine was busy with other work; wall-clock ratios understate scaling")
    finally:
        if redis_proc is not None:
            redis_proc.terminate()
            redis_proc.wait(10)
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
