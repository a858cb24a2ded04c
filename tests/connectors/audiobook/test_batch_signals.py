"""``voxflow batch`` stopped by a signal, in a real process: within a piece, finished chapters kept,
the manifest saying where to resume, exit status 130 (SIGINT) or 143 (SIGTERM), no traceback."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from integrator.jobs.artifacts import file_sha256

CHAPTERS = 12
PIECE_S = 0.03  # each piece of the tone voice takes this long: a chapter about a second
STOP_WITHIN_S = 10.0  # a piece, the process winding down, and a loaded machine


def write_book(path: Path) -> Path:
    chapters = []
    for i in range(1, CHAPTERS + 1):
        sentences = " ".join(f"Sentence {j} of chapter {i} goes on a little." for j in range(30))
        chapters.append(f"## Part {i}\n\n{sentences}\n")
    path.write_text("# Long Road\n\n" + "\n".join(chapters), encoding="utf-8")
    return path


def start(book: Path, out: Path, *, sigint_ignored: bool) -> subprocess.Popen[str]:
    env = {**os.environ, "VOXFLOW_TEST_ENGINE": f"tone:{PIECE_S}", "PYTHONPATH": os.getcwd()}

    def background_of_a_script() -> None:  # how `voxflow batch … &` in a shell script starts
        signal.signal(signal.SIGINT, signal.SIG_IGN)

    return subprocess.Popen(
        [sys.executable, "-m", "integrator.cli", "batch", str(book), "-o", str(out), "--format", "mp3"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
        preexec_fn=background_of_a_script if sigint_ignored else None,
    )


def chapters_done(out: Path) -> int:
    try:
        data = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return 0
    return sum(c["status"] == "done" for c in data["chapters"])


@pytest.mark.parametrize(
    ("signum", "sigint_ignored", "status"),
    [(signal.SIGINT, False, 130), (signal.SIGINT, True, 130), (signal.SIGTERM, False, 143)],
    ids=["ctrl-c", "sigint-to-a-background-job", "sigterm"],
)
def test_a_signal_stops_the_batch_cleanly_and_a_rerun_resumes(
    tmp_path: Path, signum: int, sigint_ignored: bool, status: int
) -> None:
    book, out = write_book(tmp_path / "road.md"), tmp_path / "out"
    proc = start(book, out, sigint_ignored=sigint_ignored)
    deadline = time.monotonic() + 120
    while chapters_done(out) < 2:
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "the batch never finished two chapters"
        time.sleep(0.02)
    os.killpg(proc.pid, signum)  # as a terminal's Ctrl-C or a supervisor does: the whole group
    sent = time.monotonic()
    try:
        _, stderr = proc.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        pytest.fail(f"the batch ignored {signal.Signals(signum).name} for 60 s")
    took = time.monotonic() - sent

    assert proc.returncode == status, stderr
    assert took < STOP_WITHIN_S, f"stopped {took:.1f} s after the signal"
    assert "Traceback" not in stderr and "run the same command again to resume" in stderr
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    done = [c for c in manifest["chapters"] if c["status"] == "done"]
    assert len(done) >= 2 and not manifest["complete"] and CHAPTERS > len(done)
    assert manifest["resume_from"] == len(manifest["chapters"]) + 1
    assert f"at chapter {manifest['resume_from']}" in stderr
    for chapter in done:  # every finished chapter is whole, as recorded
        assert file_sha256(out / chapter["file"]) == chapter["sha256"]
    assert not list(out.glob(".*.part")), "no half file is left behind"

    if signum == signal.SIGTERM:  # the same command again: only the rest is made
        rerun = subprocess.run(
            [sys.executable, "-m", "integrator.cli", "batch", str(book), "-o", str(out), "--format", "mp3"],
            env={**os.environ, "VOXFLOW_TEST_ENGINE": "tone", "PYTHONPATH": os.getcwd()},
            capture_output=True, text=True, timeout=300,
        )
        assert rerun.returncode == 0, rerun.stderr
        assert f"{CHAPTERS - len(done)} made, {len(done)} kept" in rerun.stderr
        final = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
        assert final["complete"] and final["resume_from"] is None
