"""`voxflow serve` as a real subprocess on loopback with the tone engine: started, killed with SIGKILL,
restarted on the same data directory, its whole log kept for the test to read."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import yaml

from integrator.app.server import bind

# Recovery tuned for tests: a dead server's leases expire within seconds and its jobs run again.
FAST_JOBS: dict[str, Any] = {
    "lease_seconds": 1.5, "heartbeat_seconds": 0.25, "requeue_after_seconds": 2.0,
    "sweep_interval_seconds": 0.3, "poll_seconds": 0.01, "cache_max_mb": 0,
    "retry_base_seconds": 0.2, "retry_max_seconds": 0.5, "max_attempts": 6, "workers": 2,
    "shutdown_grace_seconds": 1.0,
}  # fmt: skip


def free_port() -> int:
    with bind() as sock:
        return int(sock.getsockname()[1])


class ServeProcess:
    """``voxflow serve --config <workdir>/serve.yaml`` with ``VOXFLOW_TEST_ENGINE=tone:<tone_s>``
    (one voice, ``test-tone``, taking ``tone_s`` per piece). Each start appends to ``logs``."""

    def __init__(
        self, workdir: Path, config: dict[str, Any], *, tone_s: float = 0.0, env: dict[str, str] | None = None
    ) -> None:
        self.workdir = workdir
        workdir.mkdir(parents=True, exist_ok=True)
        self.config = {"data_dir": str(workdir / "data"), "engine": {"preload": []}, **config}
        self.config_path = workdir / "serve.yaml"
        self.config_path.write_text(yaml.safe_dump(self.config, allow_unicode=True))
        self.config_path.chmod(0o600)
        self.port = free_port()
        self.env = {**os.environ, "VOXFLOW_TEST_ENGINE": f"tone:{tone_s}", **(env or {})}
        self.proc: subprocess.Popen[bytes] | None = None
        self.logs: list[Path] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    @property
    def data_dir(self) -> Path:
        return Path(self.config["data_dir"])

    def start(self, timeout_s: float = 60.0) -> ServeProcess:
        log = self.workdir / f"serve-{len(self.logs)}.log"
        self.logs.append(log)
        command = [sys.executable, "-m", "integrator.cli", "serve", "--port", str(self.port),
                   "--config", str(self.config_path)]  # fmt: skip
        with open(log, "wb") as out:
            self.proc = subprocess.Popen(command, env=self.env, stdout=out, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout_s
        while True:
            if self.proc.poll() is not None:
                code = self.proc.returncode
                raise RuntimeError(f"voxflow serve exited with {code}:\n{self.output()[-3000:]}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=2).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"voxflow serve did not answer in {timeout_s} s:\n{self.output()[-3000:]}")
            time.sleep(0.1)

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill(self) -> None:
        """SIGKILL: no shutdown code runs, as when the machine loses power or the OOM killer strikes."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(15)

    def stop(self) -> int | None:
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else None
        self.proc.terminate()
        try:
            return self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.wait(15)

    def output(self) -> str:
        return "".join(p.read_text(errors="replace") for p in self.logs if p.exists())

    def __enter__(self) -> ServeProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
