"""The text policy through jobs: a refused speech job, a signed hook's failure callback and an
audiobook chapter all fail naming the rule, and no voice is asked for audio."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.connectors.conftest import OTHER
from tests.connectors.connectors_helpers import Receiver, Stack, make_settings, signed_post, stack
from tests.integrator.policy_helpers import CHECK, DENY

BOOK = "# Trip\n\n## Day one\n\nWe flew north.\n\n## Day two\n\nThe badword came up.\n"


@pytest.fixture(scope="module")
def guarded(tmp_path_factory: pytest.TempPathFactory, receiver: Receiver) -> Iterator[Stack]:
    root = tmp_path_factory.mktemp("policy")
    (root / "deny.txt").write_text(DENY, encoding="utf-8")
    (root / "books").mkdir()
    (root / "books" / "trip.md").write_text(BOOK, encoding="utf-8")
    local = {"allow_hosts": ["127.0.0.1"]}
    settings = make_settings(
        policy={"deny_list": str(root / "deny.txt"), "checks": [CHECK]},
        hooks={
            "news": {
                "secret": OTHER,
                "text_path": "text",
                "callback": {"url": receiver.on("/news", 200), **local},
            }
        },
        callbacks={"allow_networks": ["127.0.0.1/32"], "attempts": 1},
        audiobook={"input_dir": str(root / "books"), "output_dir": str(root / "audiobooks")},
    )
    with stack(settings) as s:
        yield s


def spoken(s: Stack) -> list[str]:
    return [piece.text for voice in s.running.voices.values() for piece, _, _ in voice.calls]


def test_a_speech_job_with_a_refused_text_fails_at_once_naming_the_rule(guarded: Stack) -> None:
    with guarded.client(key=None) as client:
        created = client.post("/v1/jobs", json={"texts": ["第一段没问题。", "ProjectX 下周发布。"]})
        assert created.status_code == 202, created.text
    job = guarded.wait(created.json()["id"])
    assert job["status"] == "failed" and job["attempts"] == 1  # bad input: never retried
    assert job["error"]["code"] == "text_refused" and "'secrets'" in job["error"]["message"]
    assert not any("第一段" in t or "ProjectX" in t for t in spoken(guarded))  # no text of it was spoken


def test_a_hook_whose_text_is_refused_is_called_back_as_failed_with_the_rule(
    guarded: Stack, receiver: Receiver
) -> None:
    with guarded.client(key=None) as public:
        job_id = signed_post(public, "news", {"text": "他要杀人。"}, OTHER).json()["job_id"]
    job = guarded.wait(job_id)
    assert job["status"] == "failed" and job["error"]["code"] == "text_refused"
    body = receiver.wait_for("/news", 1)[-1].json()
    assert (body["event"], body["job_id"], body["status"]) == ("job.failed", job_id, "failed")
    assert body["error"]["code"] == "text_refused" and "'violence'" in body["error"]["message"]
    assert not any("杀" in t for t in spoken(guarded))


def test_an_audiobook_stops_at_the_refused_chapter_naming_the_rule(guarded: Stack) -> None:
    with guarded.client(key=None) as client:
        created = client.post("/v1/jobs", json={"kind": "audiobook", "args": {"input": "trip.md"}})
        assert created.status_code == 202, created.text
    job = guarded.wait(created.json()["id"], timeout=60)
    assert job["status"] == "failed" and job["error"]["code"] == "text_refused"
    assert "'deny_list'" in job["error"]["message"]
    said = spoken(guarded)
    assert any("flew north" in t for t in said) and not any("badword" in t for t in said)
