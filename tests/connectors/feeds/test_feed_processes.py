"""Feeds across separate processes: a `voxflow worker` synthesizes and publishes through Redis, a
`voxflow serve` (with no workers of its own) serves the listeners, and its replay window gives a
listener who joins late, or after the end, the last `feeds.replay_s` of the reading."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from itertools import pairwise
from pathlib import Path

import httpx
import pytest

from tests.connectors.feeds.feeds_helpers import Heard, listen
from tests.integrator.servekit import wait_for
from tests.integrator.serveproc import FAST_JOBS, ServeProcess

SENTENCES = 40
TEXT = " ".join(f"Sentence {i} of the reading in the hall goes on a while." for i in range(SENTENCES))
REPLAY_S = 30
SECONDS_PER_PIECE = 0.2  # the worker's tone voice: the reading takes about 8 s to synthesize


@pytest.fixture
def cluster(redis_url: str, tmp_path: Path) -> Iterator[ServeProcess]:
    jobs = {**FAST_JOBS, "backend": "redis", "redis_url": redis_url, "workers": 0,
            "queue_name": f"feeds_{uuid.uuid4().hex[:8]}"}  # fmt: skip
    serve = ServeProcess(tmp_path, {"jobs": jobs, "feeds": {"replay_s": REPLAY_S}})
    serve.start()
    env = {**os.environ, "VOXFLOW_TEST_ENGINE": f"tone:{SECONDS_PER_PIECE}"}
    command = [sys.executable, "-m", "integrator.cli", "worker", "--config", str(serve.config_path)]
    with open(tmp_path / "worker.log", "wb") as log:
        worker = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        yield serve
    finally:
        worker.terminate()
        worker.wait(30)
        serve.stop()


def test_a_worker_speaks_serve_replays_to_late_listeners(cluster: ServeProcess) -> None:
    url = f"{cluster.ws_url}/v1/feeds/hall"
    first = Heard()
    first_thread = listen(url, first)
    wait_for(lambda: first.types() == ["subscribed"], what="the first listener's subscription")
    job = httpx.post(
        f"{cluster.url}/v1/jobs", json={"texts": [TEXT], "format": "wav", "feed": "hall"}, timeout=30
    ).json()

    wait_for(lambda: len(first.sentences()) >= 20, timeout_s=60, what="the reading to get half-way")
    joined_during = first.sentences()[-1]
    late = Heard()
    late_thread = listen(url, late)
    first_thread.join(60)
    late_thread.join(60)
    assert first.types()[-1] == "done", first.types()[-5:]
    status = httpx.get(f"{cluster.url}/v1/jobs/{job['id']}").json()["status"]
    wait_for(
        lambda: httpx.get(f"{cluster.url}/v1/jobs/{job['id']}").json()["status"] == "succeeded",
        timeout_s=30,
        what=f"the job to succeed (it is {status})",
    )
    after = Heard()  # seconds after the end: well inside the window
    listen(url, after).join(30)

    # The first listener heard the whole reading live, as the worker made it.
    assert first.sentences() == list(range(SENTENCES))
    rate = first.messages[1]["sample_rate"]
    starts = [*first.audio_at.values(), len(first.audio)]
    sentence_ms = max(1000 * (b - a) / 2 / rate for a, b in pairwise(starts))
    for heard, name in ((late, "late"), (after, "after the end")):
        assert heard.types()[:3] == ["subscribed", "start", "progress"], name
        assert heard.types()[-1] == "done", name
        begin = heard.sentences()[0]
        # Not from the start (more than replay_s had been said), from a sentence start, byte for byte.
        assert 0 < begin and heard.sentences() == list(range(begin, SENTENCES)), name
        assert bytes(heard.audio) == bytes(first.audio[first.audio_at[begin] :]), name
        assert heard.messages[2] == next(m for m in first.messages if m.get("sentence") == begin)
    # The late one got the last replay_s before it joined, not just the sentence being spoken.
    assert late.sentences()[0] < joined_during - 1
    # The one who came after the end got the last replay_s of it, from a sentence start.
    replayed_ms = 1000 * len(after.audio) / 2 / rate
    assert REPLAY_S * 1000 <= replayed_ms <= REPLAY_S * 1000 + sentence_ms
