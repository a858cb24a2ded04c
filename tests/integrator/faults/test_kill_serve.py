"""`voxflow serve` killed with SIGKILL in the middle of its work, then started again on the same data:
every job ends succeeded or failed with its reason, nothing half-written is ever visible (an artifact
is whole or absent; a Feishu record has no attachment or exactly one complete one whose status and
duration agree with it).

The server runs the tone engine (VOXFLOW_TEST_ENGINE), Feishu is the fake Open API in this process.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import time
import uuid
import wave
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from connectors.feishu.fake import ATTACHMENT, NUMBER, SINGLE_SELECT, TEXT, FakeFeishu
from integrator.config import load_settings
from integrator.runtime import build_engine
from tests.integrator.serveproc import FAST_JOBS, ServeProcess

APP = "bascnKillDrill"
COLUMNS = [("Title", TEXT), ("Minutes", TEXT), ("Audio", ATTACHMENT), ("Status", SINGLE_SELECT),
           ("Duration", NUMBER), ("Error", TEXT)]  # fmt: skip
TONE_S = 0.02  # per piece: jobs take a known, short time


def until(condition: Callable[[], bool], timeout_s: float, what: str, serve: ServeProcess) -> None:
    """Poll often: a kill must land inside windows (an upload) of a few hundred milliseconds."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}; server log:\n{serve.output()[-4000:]}")
        time.sleep(0.01)


def jobs_of(serve: ServeProcess, source: str | None = None) -> list[dict[str, Any]]:
    query = f"?limit=200&source={source}" if source else "?limit=200"
    return list(httpx.get(f"{serve.url}/v1/jobs{query}", timeout=10).json()["jobs"])


def decoded_seconds(data: bytes, workdir: Path) -> float:
    """Decodes the whole file (any damage is an error) and returns how long it plays."""
    path = workdir / f"probe-{uuid.uuid4().hex[:6]}"
    path.write_bytes(data)
    try:
        subprocess.run(["ffmpeg", "-v", "error", "-xerror", "-i", str(path), "-f", "null", "-"],
                       check=True, capture_output=True)  # fmt: skip
        out = subprocess.run(
            ["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "json", str(path)],
            check=True, capture_output=True, text=True,
        ).stdout  # fmt: skip
        return float(json.loads(out)["format"]["duration"])
    finally:
        path.unlink()


# -- batch work -------------------------------------------------------------------------
def whole_wav(path: Path) -> float:
    """Seconds of a WAV whose header agrees with its size (a torn write would not)."""
    with wave.open(str(path)) as w:
        frames, rate, width = w.getnframes(), w.getframerate(), w.getsampwidth()
    assert path.stat().st_size == 44 + frames * width, f"{path.name}: header and size disagree"
    return frames / rate


def check_artifacts(artifacts: Path, jobs: dict[str, dict[str, Any]]) -> None:
    """Every published file is whole; a job that records its artifact matches it byte for byte."""
    for path in artifacts.iterdir():
        if path.name.startswith("."):
            continue  # a killed writer's temp file: never served, swept later
        whole_wav(path)
        job = jobs.get(path.stem)
        if job is not None and job["artifact"] is not None:
            assert hashlib.sha256(path.read_bytes()).hexdigest() == job["artifact"]["sha256"]


def test_killed_twice_mid_batch_every_job_succeeds_with_whole_audio(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    serve = ServeProcess(tmp_path, {"jobs": FAST_JOBS}, tone_s=TONE_S)
    texts = [" ".join(f"Chapter {n}, sentence {i} of the long book." for i in range(24)) for n in range(16)]
    artifacts = serve.data_dir / "artifacts"
    serve.start()
    try:
        ids = []
        for text in texts:
            spec = {"texts": [text], "format": "wav", "priority": 1}
            response = httpx.post(f"{serve.url}/v1/jobs", json=spec)
            assert response.status_code == 202
            ids.append(response.json()["id"])
        for done_before_kill in (2, 7):

            def mid_work(done: int = done_before_kill) -> bool:
                states = [j["status"] for j in jobs_of(serve)]
                return states.count("succeeded") >= done and "running" in states

            until(mid_work, 60, f"{done_before_kill} jobs done and one running", serve)
            before = {j["id"]: j for j in jobs_of(serve)}
            serve.kill()
            check_artifacts(artifacts, before)
            serve.start()
        all_done = lambda: all(j["status"] == "succeeded" for j in jobs_of(serve))  # noqa: E731
        until(all_done, 90, "every job to succeed", serve)
        jobs = {j["id"]: j for j in jobs_of(serve)}
        assert sorted(jobs) == sorted(ids)
        assert max(j["attempts"] for j in jobs.values()) >= 2  # a kill did land on a running job
        check_artifacts(artifacts, jobs)
        monkeypatch.setenv("VOXFLOW_TEST_ENGINE", "tone")
        engine = build_engine(load_settings(serve.config_path))
        for job_id, text in zip(ids, texts, strict=True):
            audio = httpx.get(f"{serve.url}/v1/jobs/{job_id}/audio")
            assert hashlib.sha256(audio.content).hexdigest() == jobs[job_id]["artifact"]["sha256"]
            expected = engine.synthesize(text, "test-tone").duration_s
            assert whole_wav(artifacts / f"{job_id}.wav") == pytest.approx(expected, abs=0.01)
    finally:
        serve.stop()


# -- Feishu work ------------------------------------------------------------------------
@pytest.fixture
def fake() -> Iterator[FakeFeishu]:
    # upload_delay_s: an upload takes long enough for a kill to land inside it.
    fake = FakeFeishu(f"cli_{uuid.uuid4().hex[:12]}", "kill-drill-secret", upload_delay_s=0.3)
    fake.start()
    yield fake
    fake.stop()


def check_records(fake: FakeFeishu, table_id: str, record_ids: list[str], workdir: Path) -> dict[str, str]:
    """No attachment, or exactly one complete one with Done and its duration; returns the statuses."""
    statuses = {}
    for rid in record_ids:
        record = fake.record(APP, table_id, rid)
        cells = record.get("Audio") or []
        assert len(cells) <= 1, f"{rid} has {len(cells)} attachments"
        if cells:
            data = fake.media[cells[0]["file_token"]].data
            assert record["Status"] == "Done", record
            assert abs(record["Duration"] - decoded_seconds(data, workdir)) <= 0.1
            assert cells[0]["name"].startswith("voxflow-") and cells[0]["name"].endswith(".mp3")
        else:
            assert record.get("Status") in (None, "Pending", "Processing", "Failed"), record
            assert "Duration" not in record
        statuses[rid] = record.get("Status") or ""
    return statuses


def test_killed_during_feishu_work_every_record_ends_whole(tmp_path: Path, fake: FakeFeishu) -> None:
    table_id = fake.add_table(APP, COLUMNS)
    minutes = ["".join(f"第{n}次会议的第{i}项议题已经讨论完毕。" for i in range(6)) for n in range(8)]
    good = [fake.add_record(APP, table_id, {"Title": f"会{n}", "Minutes": m}) for n, m in enumerate(minutes)]
    bad = fake.add_record(APP, table_id, {"Title": "坏的", "Minutes": "<speak><audio/></speak>"})
    feishu = {
        "enabled": True, "mode": "poll", "domain": fake.url, "app_id": fake.app_id,
        "app_secret": fake.app_secret, "tables": [{"app_token": APP, "table_id": table_id}],
        "poll_interval_s": 5, "timeout_s": 5,
        "retry": {"attempts": 4, "initial_wait_s": 0.05, "max_wait_s": 0.5},
    }  # fmt: skip
    serve = ServeProcess(tmp_path, {"jobs": FAST_JOBS, "feishu": feishu}, tone_s=TONE_S)
    records = [*good, bad]
    done = lambda: sum(fake.record(APP, table_id, r).get("Status") == "Done" for r in good)  # noqa: E731
    serve.start()
    try:
        # First kill: inside an upload, after at least one record got its audio.
        until(lambda: done() >= 1 and fake.uploads_in_flight > 0, 60, "an upload after a delivery", serve)
        serve.kill()
        check_records(fake, table_id, records, tmp_path)
        serve.start()
        # Second kill: while a job synthesizes, no upload in flight.
        delivered = done()

        def synthesizing() -> bool:
            running = [j for j in jobs_of(serve, "feishu") if j["status"] == "running"]
            return done() > delivered and bool(running) and fake.uploads_in_flight == 0

        until(synthesizing, 60, "a job synthesizing after another delivery", serve)
        serve.kill()
        check_records(fake, table_id, records, tmp_path)
        serve.start()

        def settled() -> bool:
            statuses = check_records(fake, table_id, records, tmp_path)
            return all(statuses[r] == "Done" for r in good) and statuses[bad] == "Failed"

        until(settled, 90, "every record to be Done or Failed", serve)
        jobs = jobs_of(serve, "feishu")
        assert len(jobs) == len(records)  # one job per record, whatever was repeated after a kill
        by_record = {j["metadata"]["feishu"]["record_id"]: j for j in jobs}
        assert all(by_record[r]["status"] == "succeeded" for r in good)
        assert by_record[bad]["status"] == "failed" and by_record[bad]["error"]["code"] == "invalid_ssml"
        error = fake.record(APP, table_id, bad)["Error"]
        assert "SSML" in (error[0]["text"] if isinstance(error, list) else error)
        assert any(j["attempts"] >= 2 for j in jobs)  # a kill did land on a running job
    finally:
        serve.stop()


# -- audiobook batch work -----------------------------------------------------------------
def test_killed_mid_audiobook_the_book_comes_out_whole(tmp_path: Path) -> None:
    pytest.importorskip("connectors.audiobook.job")
    serve = ServeProcess(tmp_path, {"jobs": FAST_JOBS}, tone_s=TONE_S)
    chapters = [" ".join(f"Chapter {c}, sentence {i} goes here." for i in range(10)) for c in range(1, 7)]
    book = "# Drill\n\n" + "".join(f"## Part {c}\n\n{body}\n\n" for c, body in enumerate(chapters, 1))
    (serve.data_dir / "books").mkdir(parents=True)
    (serve.data_dir / "books" / "drill.md").write_text(book, encoding="utf-8")
    serve.start()
    try:
        spec = {"kind": "audiobook", "args": {"input": "drill.md", "format": "mp3"}}
        created = httpx.post(f"{serve.url}/v1/jobs", json=spec)
        assert created.status_code == 202, created.text
        job_url = f"{serve.url}/v1/jobs/{created.json()['id']}"

        def halfway() -> bool:
            job = httpx.get(job_url).json()
            return job["status"] == "running" and 0.2 <= job["progress"] < 0.8

        until(halfway, 60, "the book to be part done", serve)
        serve.kill()
        serve.start()
        until(lambda: httpx.get(job_url).json()["status"] not in ("queued", "running"), 90, "the book", serve)
        job = httpx.get(job_url).json()
        assert job["status"] == "succeeded", job["error"]
        assert job["attempts"] >= 2 and job["audiobook"]["chapters_done"] == len(chapters)
        audio = httpx.get(f"{job_url}/audio")
        assert audio.status_code == 200
        # Whole: it decodes to the end, and lasts at least as long as its text at the tone's pace.
        assert decoded_seconds(audio.content, tmp_path) >= 0.06 * sum(len(c) for c in chapters) * 0.9
        for path in Path(job["audiobook"]["output"]).glob("*.mp3"):
            decoded_seconds(path.read_bytes(), tmp_path)
    finally:
        serve.stop()
