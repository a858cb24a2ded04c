"""A batch is a job: POST /v1/jobs with kind audiobook, confined paths, and the audiobook.batch action."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from connectors.audiobook.job import batch_action
from integrator.jobs.schedules import ActionContext
from integrator.services import compose
from tests.connectors.connectors_helpers import Stack, make_settings, stack
from tests.integrator.servekit import FFPROBE

BOOK = "# Trip\n\n## Day one\n\nWe flew north. The plane was late.\n\n## Day two\n\nIt snowed all day.\n"


@pytest.fixture(scope="module")
def books(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("books")
    (root / "trip.md").write_text(BOOK, encoding="utf-8")
    (root.parent / "secret.txt").write_text("not for the API", encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def shelf(books: Path) -> Iterator[Stack]:
    settings = make_settings(
        audiobook={"input_dir": str(books), "output_dir": str(books.parent / "audiobooks")}
    )
    with stack(settings) as s:
        yield s


def test_an_audiobook_job_reports_chapters_and_serves_the_book(shelf: Stack) -> None:
    with shelf.client(key=None) as client:
        created = client.post(
            "/v1/jobs", json={"kind": "audiobook", "args": {"input": "trip.md", "format": "m4b"}}
        )
        assert created.status_code == 202, created.text
        job = shelf.wait(created.json()["id"])
        assert job["status"] == "succeeded", job["error"]
        assert job["kind"] == "audiobook" and job["progress"] == 1.0
        detail = job["audiobook"]
        assert (detail["chapters_done"], detail["book"]) == (2, "trip.m4b")
        assert detail["output"].endswith("audiobooks/trip")
        audio = client.get(f"/v1/jobs/{job['id']}/audio")
    assert audio.headers["content-type"] == "audio/mp4"
    out = subprocess.run(
        [FFPROBE, "-v", "error", "-show_chapters", "-of", "json", "-i", "pipe:0"],
        input=audio.content,
        capture_output=True,
        check=True,
    )
    assert [c["tags"]["title"] for c in json.loads(out.stdout)["chapters"]] == ["Day one", "Day two"]


@pytest.mark.parametrize(
    ("args", "param", "words"),
    [
        ({"input": "../secret.txt"}, "args.input", "outside"),
        ({"input": "/etc/hostname"}, "args.input", "outside"),
        ({"input": "trip.md", "output": "../../elsewhere"}, "args.output", "outside"),
        ({"input": "missing.epub"}, "args.input", "no book at"),
        ({"input": "trip.md", "format": "flac"}, "args.format", "mp3 or m4b"),
        ({"input": "trip.md", "shell": "rm -rf /"}, "args.shell", "unknown argument"),
    ],
)
def test_audiobook_jobs_stay_inside_their_directories(
    shelf: Stack, args: dict[str, str], param: str, words: str
) -> None:
    with shelf.client(key=None) as client:
        response = client.post("/v1/jobs", json={"kind": "audiobook", "args": args})
    assert response.status_code == 422
    assert response.json()["error"]["param"] == param and words in response.json()["error"]["message"]


def test_an_unknown_kind_is_422(shelf: Stack) -> None:
    with shelf.client(key=None) as client:
        response = client.post("/v1/jobs", json={"kind": "podcast", "texts": ["Hi."]})
    assert response.status_code == 422 and response.json()["error"]["param"] == "kind"


def test_the_schedule_action_queues_one_batch_per_output(books: Path) -> None:
    settings = make_settings(
        audiobook={"input_dir": str(books)},
        jobs={
            "schedules": [
                {
                    "id": "nightly",
                    "cron": "0 2 * * *",
                    "action": "audiobook.batch",
                    "args": {"input": "trip.md", "output": "nightly"},
                }
            ]
        },
    )
    services = compose(settings)
    jobs = services.job_service(backend="memory")  # no workers: the job stays queued
    try:
        ctx = ActionContext(settings, jobs)
        first = batch_action(ctx, **settings.jobs.schedules[0].args)
        again = batch_action(ctx, **settings.jobs.schedules[0].args)
        other = batch_action(ctx, input="trip.md", output="elsewhere", format="mp3", voice="tone-en")
        job = jobs.get(first)
    finally:
        jobs.close()
    assert first == again != other
    assert (job.spec.kind, job.spec.source, job.spec.priority) == ("audiobook", "schedule", 1)
