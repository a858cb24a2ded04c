"""Styles on signed hooks: a hook's own style, a style and duration from the body, heard by Praat;
bad values are 422 naming where the body holds them; a hook with an unknown style cannot start."""

from __future__ import annotations

import io
import uuid
from typing import Any

import pytest
import soundfile as sf

from connectors.config import CallbacksConfig, HookConfig
from connectors.webhook.hooks import Hooks
from connectors.webhook.replay import MemoryReplayGuard
from integrator.jobs.service import JobService
from tests.connectors.conftest import OTHER
from tests.connectors.connectors_helpers import Stack, make_settings, signed_post
from tts_engine.prosody.measure import Heard, hear
from tts_engine.prosody.styles import StyleBook

ZH = "今天下午三点开会，讨论新产品。请大家准时参加。"
BOOK = StyleBook()


def spoken(hooked: Stack, hook: str, **body: Any) -> tuple[dict[str, Any], Heard]:
    with hooked.client(key=None) as public:
        # A fresh "n" each time: the same signed body twice is a replay.
        answer = signed_post(public, hook, {"text": ZH, "n": uuid.uuid4().hex, **body}, OTHER)
    assert answer.status_code == 202, answer.text
    job = hooked.wait(answer.json()["job_id"])
    assert job["status"] == "succeeded", job["error"]
    with hooked.client() as client:
        audio = client.get(f"/v1/jobs/{job['id']}/audio").content
    samples, rate = sf.read(io.BytesIO(audio), dtype="float32")
    return job, hear(samples, rate)


def test_a_style_in_the_body_moves_the_prosody(hooked: Stack) -> None:
    _, plain = spoken(hooked, "spoken")
    job, cheerful = spoken(hooked, "spoken", style="开心", intensity=1)
    moved = cheerful.against(plain)  # the tone voice has no melody of its own: level and loudness
    assert moved["pitch_st"] >= 2.0 and moved["gain_db"] >= 1.0
    assert job["input"]["style"] == "开心"


def test_a_hook_speaks_in_its_own_style_unless_the_body_says_otherwise(hooked: Stack) -> None:
    _, plain = spoken(hooked, "spoken")
    job, calm = spoken(hooked, "calm")
    assert job["input"]["style"] == "calm"
    moved, calm_targets = calm.against(plain), BOOK.targets("calm", 1)
    assert moved["pitch_st"] == pytest.approx(calm_targets.pitch_st, abs=0.4)
    assert moved["gain_db"] == pytest.approx(calm_targets.gain_db, abs=0.6) and moved["rate"] <= 0.95
    job, sad = spoken(hooked, "calm", mood={"name": "sad", "level": 0.5})
    assert (job["input"]["style"], job["input"]["intensity"]) == ("sad", 0.5)
    half = BOOK.targets("sad", 0.5)
    assert sad.against(plain)["pitch_st"] == pytest.approx(half.pitch_st, abs=0.4)


def test_a_duration_in_the_body_sets_the_length(hooked: Stack) -> None:
    _, heard = spoken(hooked, "spoken", duration_s=3.5)
    assert heard.duration_s == pytest.approx(3.5, abs=0.01)


@pytest.mark.parametrize(
    ("hook", "body", "param", "words"),
    [
        ("spoken", {"style": "sleepy"}, "style", "unknown style 'sleepy'"),
        ("spoken", {"style": "sad", "intensity": 3}, "intensity", "intensity"),
        ("spoken", {"duration_s": 0}, "duration_s", "duration_s"),
        ("spoken", {"duration_ratio": 9}, "duration_ratio", "duration_ratio"),
        ("spoken", {"style": 7}, "style", "not text"),
        ("spoken", {"intensity": "high"}, "intensity", "not a number"),
        ("calm", {"mood": {"name": "sleepy"}}, "mood.name", "unknown style 'sleepy'"),
        ("calm", {"mood": {"level": 1.5}}, "mood.level", "intensity"),
    ],
)
def test_bad_values_are_422_naming_the_path(
    hooked: Stack, hook: str, body: dict[str, Any], param: str, words: str
) -> None:
    with hooked.client(key=None) as public:
        answer = signed_post(public, hook, {"text": ZH, "n": uuid.uuid4().hex, **body}, OTHER)
    assert answer.status_code == 422, answer.text
    error = answer.json()["error"]
    assert error["param"] == param and words in error["message"]


def test_a_hook_with_an_unknown_style_is_refused_at_start_up() -> None:
    settings = make_settings()
    jobs = JobService.from_settings(settings, backend="memory")
    try:
        hook = HookConfig(secret=OTHER, style="sleepy")  # type: ignore[arg-type]
        hooks = Hooks({"h": hook}, jobs, MemoryReplayGuard(), CallbacksConfig())
        [problem] = hooks.problems()
        assert problem.startswith("hooks.h.style: unknown style 'sleepy'")
    finally:
        jobs.close()
