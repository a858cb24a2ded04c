"""Styles and durations on POST /v1/jobs: the job's audio moves as the style says (heard by Praat),
a duration applies to each text, and bad values are 422 naming the field before anything is queued."""

from __future__ import annotations

import io
import time
from collections.abc import Iterator
from typing import Any

import pytest
import soundfile as sf
from fastapi.testclient import TestClient
from jobs_helpers import SettingsFactory, make_engine

from integrator.app.factory import create_app
from integrator.jobs.cache import cache_key
from integrator.jobs.workers import WorkerHandle, start_embedded_workers
from tts_engine.engine import Engine
from tts_engine.prosody.expression import Expression
from tts_engine.prosody.measure import Heard, hear
from tts_engine.testing import ToneBackend
from tts_engine.types import SynthesisOptions

TEXT = "The meeting starts at three this afternoon. Please bring the quarterly report."
OTHER = "Lunch is at noon in the small room."


@pytest.fixture
def client(make_settings: SettingsFactory, engine: Engine) -> Iterator[TestClient]:
    settings = make_settings("sqlite", sinks={})
    handle: WorkerHandle = start_embedded_workers(settings, engine, workers=1)
    with TestClient(create_app(settings, engine)) as c:
        yield c
    handle.stop(2.0)


def run_job(client: TestClient, **body: Any) -> tuple[dict[str, Any], Heard]:
    answer = client.post("/v1/jobs", json={"texts": [TEXT], "voice": "espeak-en", "format": "wav", **body})
    assert answer.status_code == 202, answer.text
    job_id = answer.json()["id"]
    deadline = time.monotonic() + 30
    while (job := client.get(f"/v1/jobs/{job_id}").json())["status"] not in ("succeeded", "failed", "dead"):
        assert time.monotonic() < deadline, job
        time.sleep(0.02)
    assert job["status"] == "succeeded", job["error"]
    samples, rate = sf.read(io.BytesIO(client.get(f"/v1/jobs/{job_id}/audio").content), dtype="float32")
    return job, hear(samples, rate)


def test_a_styled_job_moves_the_prosody(client: TestClient) -> None:
    _, plain = run_job(client)
    job, cheerful = run_job(client, style="开心", intensity=1)
    moved = cheerful.against(plain)
    assert moved["pitch_st"] >= 2.0 and moved["range"] >= 1.2
    assert (job["input"]["style"], job["input"]["intensity"]) == ("开心", 1.0)
    _, half = run_job(client, style="cheerful", intensity=0.5)
    assert 0 < half.against(plain)["pitch_st"] < moved["pitch_st"]


def test_duration_s_applies_to_each_text(client: TestClient) -> None:
    job, heard = run_job(client, texts=[TEXT, OTHER], duration_s=2.5, style="calm")
    assert heard.duration_s == pytest.approx(5.0, abs=0.08)
    assert job["input"]["duration_s"] == 2.5


@pytest.mark.parametrize(
    ("body", "param", "words"),
    [
        ({"style": "sleepy"}, "style", "unknown style 'sleepy'"),
        ({"style": "sad", "intensity": 3}, "intensity", "intensity"),
        ({"duration_s": 0}, "duration_s", "duration_s"),
        ({"duration_ratio": 5}, "duration_ratio", "duration_ratio"),
        ({"style": ""}, "style", "style"),
    ],
)
def test_bad_values_are_422_naming_the_field(
    client: TestClient, body: dict[str, Any], param: str, words: str
) -> None:
    answer = client.post("/v1/jobs", json={"texts": [TEXT], **body})
    assert answer.status_code == 422, answer.text
    error = answer.json()["error"]
    assert error["param"] == param and words in error["message"]
    assert client.get("/v1/jobs").json()["jobs"] == []


def test_styles_and_durations_key_the_audio_cache_apart() -> None:
    engine = make_engine(ToneBackend("tone"))

    def key(**expression: Any) -> str:
        options = SynthesisOptions(expression=Expression(**expression))
        return cache_key([engine.prepare_encoded("Hello there.", "tone", "wav", options)], "wav")

    keys = {key(), key(style="sad"), key(style="sad", intensity=0.5), key(duration_ratio=1.2)}
    assert len(keys) == 4
    assert key(style="悲伤") == key(style="sad")
