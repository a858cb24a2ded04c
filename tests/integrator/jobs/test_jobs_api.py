"""The /v1/jobs REST API, on the service's real app factory with embedded workers over a tone voice."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from jobs_helpers import SENTENCES, SettingsFactory, make_engine

from integrator.app.factory import create_app
from integrator.jobs.workers import WorkerHandle, start_embedded_workers
from tts_engine.testing import ToneBackend


class Api:
    def __init__(self, client: TestClient, start: Callable[[], WorkerHandle]) -> None:
        self.client = client
        self.start_workers = start

    def post(self, body: dict[str, Any], **headers: str) -> Any:
        return self.client.post("/v1/jobs", json=body, headers=headers)

    def wait(self, job_id: str, *statuses: str, timeout: float = 10) -> dict[str, Any]:
        wanted = set(statuses) or {"succeeded", "failed", "cancelled", "dead"}
        deadline = time.monotonic() + timeout
        while True:
            job: dict[str, Any] = self.client.get(f"/v1/jobs/{job_id}").json()
            if job["status"] in wanted:
                return job
            assert time.monotonic() < deadline, f"job still {job['status']}"
            time.sleep(0.02)


@pytest.fixture
def api(make_settings: SettingsFactory) -> Iterator[Api]:
    settings = make_settings("sqlite", sinks={})
    engine = make_engine(ToneBackend("test-tone", delay_s=0.05))
    handles: list[WorkerHandle] = []

    def start() -> WorkerHandle:
        handles.append(start_embedded_workers(settings, engine, workers=1))
        return handles[-1]

    with TestClient(create_app(settings, engine)) as client:
        yield Api(client, start)
    for handle in handles:
        handle.stop(2.0)


def test_a_new_job_is_202_with_its_location_and_a_repeat_is_200(api: Api) -> None:
    first = api.post({"texts": ["Hello."], "idempotency_key": "minutes-1"})
    assert first.status_code == 202
    job = first.json()
    assert first.headers["location"] == f"/v1/jobs/{job['id']}"
    assert (job["status"], job["source"], job["input"]["characters"]) == ("queued", "api", 6)
    again = api.post({"texts": ["Something else."]}, **{"Idempotency-Key": "minutes-1"})
    assert again.status_code == 200 and again.json()["id"] == job["id"]
    other = api.post({"texts": ["Hello."]})
    assert other.status_code == 202 and other.json()["id"] != job["id"]
    assert api.client.get(first.headers["location"]).json()["id"] == job["id"]


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"texts": []}, "texts"),
        ({"texts": ["   "]}, "texts"),
        ({"texts": ["Hi."], "speed": 3}, "speed"),
        ({"texts": ["Hi."], "format": "ogg"}, "format"),
        ({"texts": ["Hi."], "priority": 12}, "priority"),
        ({"texts": ["Hi."], "voice": "no-such-voice"}, "voice"),
        ({"texts": ["Hi."], "sinks": [{"name": "nowhere"}]}, "sinks[0].name"),
        ({"texts": ["Hi."], "colour": "red"}, "colour"),
        ({"text": "Hi."}, "texts"),
    ],
)
def test_invalid_specs_are_422_naming_the_field(api: Api, body: dict[str, Any], param: str) -> None:
    response = api.post(body)
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["param"] == param or error["param"].startswith(param)
    assert error["message"]


def test_audio_is_409_until_the_job_succeeds_then_served_with_its_media_type(api: Api) -> None:
    job = api.post({"texts": ["Audio, please."], "format": "wav"}).json()
    early = api.client.get(f"/v1/jobs/{job['id']}/audio")
    assert early.status_code == 409 and early.json()["error"]["code"] == "job_state_conflict"
    api.start_workers()
    done = api.wait(job["id"])
    assert done["status"] == "succeeded" and done["artifact"]["media_type"] == "audio/wav"
    audio = api.client.get(f"/v1/jobs/{job['id']}/audio")
    assert audio.status_code == 200
    assert audio.headers["content-type"] == "audio/wav"
    assert audio.content[:4] == b"RIFF" and len(audio.content) == done["artifact"]["bytes"]


def test_list_filters_by_status_and_source_and_pages_with_a_cursor(api: Api) -> None:
    ids = [
        api.post({"texts": [f"Job {i}."], "source": "feishu" if i < 3 else "webhook"}).json()["id"]
        for i in range(5)
    ]
    api.client.delete(f"/v1/jobs/{ids[4]}")
    page = api.client.get("/v1/jobs", params={"limit": 2}).json()
    assert [j["id"] for j in page["jobs"]] == [ids[4], ids[3]] and page["next_cursor"] == ids[3]
    rest = api.client.get("/v1/jobs", params={"limit": 10, "cursor": page["next_cursor"]}).json()
    assert [j["id"] for j in rest["jobs"]] == [ids[2], ids[1], ids[0]] and rest["next_cursor"] is None
    feishu = api.client.get("/v1/jobs", params={"source": "feishu"}).json()["jobs"]
    assert {j["id"] for j in feishu} == set(ids[:3])
    cancelled = api.client.get("/v1/jobs", params={"status": "cancelled"}).json()["jobs"]
    assert [j["id"] for j in cancelled] == [ids[4]]
    assert api.client.get("/v1/jobs", params={"status": "lost"}).status_code == 422


def test_delete_cancels_queued_and_running_jobs_and_refuses_finished_ones(api: Api) -> None:
    queued = api.post({"texts": ["Never spoken."]}).json()
    gone = api.client.delete(f"/v1/jobs/{queued['id']}")
    assert gone.status_code == 202 and gone.json()["status"] == "cancelled"
    api.start_workers()
    running = api.post({"texts": [SENTENCES]}).json()
    api.wait(running["id"], "running")
    t0 = time.monotonic()
    asked = api.client.delete(f"/v1/jobs/{running['id']}").json()
    assert asked["status"] in ("running", "cancelled")
    assert api.wait(running["id"])["status"] == "cancelled"
    assert time.monotonic() - t0 < 1.0  # the worker is in this process: stopped at the next piece
    done = api.post({"texts": ["Short."]}).json()
    api.wait(done["id"])
    refused = api.client.delete(f"/v1/jobs/{done['id']}")
    assert refused.status_code == 409
    assert api.client.get(f"/v1/jobs/{queued['id']}").json()["started_at"] is None
    missing = api.client.delete("/v1/jobs/j0000")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "job_not_found"


def test_events_stream_status_and_progress_until_the_job_ends(api: Api) -> None:
    api.start_workers()
    job = api.post({"texts": [SENTENCES], "format": "pcm"}).json()
    events: list[tuple[str, dict[str, Any]]] = []
    with api.client.stream("GET", f"/v1/jobs/{job['id']}/events") as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        kind = ""
        for line in response.iter_lines():
            if line.startswith("event: "):
                kind = line.removeprefix("event: ")
            elif line.startswith("data: "):
                events.append((kind, json.loads(line.removeprefix("data: "))))
    assert events[0][0] == "status" and events[-1][0] == "status"
    assert events[-1][1]["status"] == "succeeded" and events[-1][1]["progress"] == 1.0
    progress = [data["progress"] for kind, data in events if kind == "progress"]
    assert progress and progress == sorted(progress) and 0 < progress[0] < 1
    assert api.client.get("/v1/jobs/j0000/events").status_code == 404


def test_job_metrics_are_on_the_service_metrics_endpoint(api: Api) -> None:
    body = api.client.get("/metrics").text
    for name in ("cache_hits_total", "cache_misses_total", "queue_wait_seconds_count", "finished_total"):
        assert f"voxflow_jobs_{name}" in body


def test_the_schema_documents_every_error_the_job_routes_answer(api: Api) -> None:
    paths = api.client.get("/openapi.json").json()["paths"]
    expected = {
        ("/v1/jobs", "post"): {"202", "422"},
        ("/v1/jobs/{job_id}", "get"): {"200", "404"},
        ("/v1/jobs/{job_id}", "delete"): {"202", "404", "409"},
        ("/v1/jobs/{job_id}/audio", "get"): {"200", "404", "409"},
        ("/v1/jobs/{job_id}/events", "get"): {"200", "404"},
    }
    for (path, method), statuses in expected.items():
        responses = paths[path][method]["responses"]
        assert statuses <= set(responses), (path, method, set(responses))
        for status in statuses - {"200", "202"}:
            ref = responses[status]["content"]["application/json"]["schema"]["$ref"]
            assert ref.endswith("/ErrorBody")
    audio = paths["/v1/jobs/{job_id}/audio"]["get"]["responses"]["200"]["content"]
    assert "application/json" not in audio
    # and the answers are what the schema says
    missing = api.client.get("/v1/jobs/nope/audio")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "job_not_found"
    job = api.post({"texts": ["Hello."]}).json()
    early = api.client.get(f"/v1/jobs/{job['id']}/audio")
    assert early.status_code == 409 and early.json()["error"]["code"] == "job_state_conflict"
