"""Voice mixes through every entry point: named ones listed, written ones taken wherever a voice
id is, and a mix that cannot be made refused like an unknown voice, naming the voice field.

Tone voices stand in for Kokoro here (a stand-in mixer makes a tone voice per mix), so these
check the service's plumbing; the catalog refuses what does not mix. Kokoro's real blend is
checked in tests/tts_engine/backends/test_kokoro_mix.py."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from typer.testing import CliRunner
from websockets.sync.client import connect

from integrator.cli import cli_app
from integrator.config import ConfigError, Settings
from integrator.runtime import build_engine
from integrator.services import compose
from tests.integrator.servekit import Running, decode, running_server, tone_settings, tone_voices
from tests.integrator.test_websocket import collect, end_of, recv_json, send
from tts_engine.backend import Backend
from tts_engine.backends import catalog
from tts_engine.engine import Engine
from tts_engine.errors import VoiceMixError
from tts_engine.registry import VoiceRegistry
from tts_engine.testing import ToneBackend
from tts_engine.types import VoiceInfo
from tts_engine.voice_mix import parse_mix

WARM = "zh-kokoro-warm"
MIX = "tone-zh(1)+tone-slow(1)"
MIX_ID = "tone-zh*0.5+tone-slow*0.5"
BAD = [
    ("tone-zh*0.5+tone-nobody*0.5", "unknown voice 'tone-nobody'"),
    ("zh-kokoro-kumo*0.5+en-piper-joe*0.5", "voices of different models (kokoro, piper)"),
    ("zh-kokoro-kumo*0+zh-kokoro-alpha", "must be above 0"),
    ("zh-kokoro-kumo**2", "cannot read"),
]


def mixing_engine(voices: dict[str, ToneBackend], made: dict[str, ToneBackend]) -> Engine:
    """Tone voices that mix (into a new tone voice), beside the catalog's voices and a named mix."""

    def resolve(written: str) -> tuple[VoiceInfo, Callable[[], Backend]]:
        mix = parse_mix(written)
        if not all(v in voices for v, _ in mix.parts):
            return catalog.mix_voice(written, registry.info)  # the catalog's rules for real voices
        voice = made.setdefault(mix.id, ToneBackend(mix.id, ("zh", "en"), 16000))
        return voice.info, lambda: voice

    infos = [*(v.info for v in voices.values()), *catalog.voice_infos()]
    registry = VoiceRegistry(infos, {k: (lambda v=v: v) for k, v in voices.items()}, resolve_mix=resolve)
    registry.register(*catalog.mix_voice("zh-kokoro-kumo*0.7+zh-kokoro-alpha*0.3", registry.info, name=WARM))
    return Engine(registry, default_voices={"zh": "tone-zh", "en": "tone-en"})


@pytest.fixture(scope="module")
def made() -> dict[str, ToneBackend]:
    return {}


@pytest.fixture(scope="module")
def server(made: dict[str, ToneBackend]) -> Iterator[Running]:
    settings = tone_settings()
    services = compose(settings)
    voices = tone_voices()
    engine = mixing_engine(voices, made)
    with running_server(settings, engine, voices, services=services) as running:
        workers = services.worker_handle(engine, workers=1, run_schedules=False).start()
        try:
            yield running
        finally:
            workers.stop(2.0)


def test_a_named_mix_is_listed_with_the_voices(server: Running) -> None:
    voices = {v["id"]: v for v in httpx.get(f"{server.url}/v1/voices").json()["voices"]}
    warm = voices[WARM]
    assert (warm["backend"], warm["sample_rate"], warm["loaded"]) == ("kokoro", 24000, False)
    assert "70% zh-kokoro-kumo, 30% zh-kokoro-alpha" in warm["description"]
    assert MIX_ID not in voices  # a mix written in a request is not listed


def test_post_tts_speaks_a_mix_written_in_the_request(server: Running, made: dict[str, ToneBackend]) -> None:
    response = httpx.post(f"{server.url}/v1/tts", json={"text": "混合的声音。", "voice": MIX})
    assert response.status_code == 200, response.text
    assert response.headers["X-Voxflow-Voice"] == MIX_ID  # the mix as the service writes it
    assert any(p.text == "混合的声音。" for p, _, _ in made[MIX_ID].calls)


def test_the_openai_voice_field_takes_a_mix(server: Running) -> None:
    body = {"model": "tts-1", "voice": "tone-zh+tone-slow", "input": "OpenAI 客户端。"}
    response = httpx.post(f"{server.url}/v1/audio/speech", json=body)
    assert response.status_code == 200, response.text
    assert response.headers["X-Voxflow-Voice"] == MIX_ID


def test_a_websocket_request_takes_a_mix(server: Running) -> None:
    with connect(f"{server.ws_url}/v1/tts/stream", open_timeout=10) as ws:
        send(ws, type="synthesize", request_id="m", text="流式的混合。", voice=MIX)
        start = recv_json(ws)
        assert (start["type"], start["voice"]) == ("start", MIX_ID)
        assert collect(ws, ["m"], started="m")["m"].end["type"] == "done"  # type: ignore[index]


def test_a_job_takes_a_mix(server: Running, made: dict[str, ToneBackend]) -> None:
    created = httpx.post(f"{server.url}/v1/jobs", json={"texts": ["任务里的混合。"], "voice": MIX})
    assert created.status_code == 202, created.text
    deadline = time.monotonic() + 20
    while (job := httpx.get(f"{server.url}/v1/jobs/{created.json()['id']}").json())["status"] not in (
        "succeeded",
        "failed",
        "dead",
    ):
        assert time.monotonic() < deadline, job
        time.sleep(0.05)
    assert job["status"] == "succeeded", job["error"]
    assert any(p.text == "任务里的混合。" for p, _, _ in made[MIX_ID].calls)


@pytest.mark.parametrize(("voice", "words"), BAD)
def test_a_mix_that_cannot_be_made_is_refused_naming_the_voice_field_everywhere(
    server: Running, voice: str, words: str
) -> None:
    tts = httpx.post(f"{server.url}/v1/tts", json={"text": "你好。", "voice": voice})
    assert tts.status_code == 400  # as an unknown voice is
    error = tts.json()["error"]
    assert (error["code"], error["param"]) == ("invalid_voice_mix", "voice")
    assert words in error["message"] and "tone-zh" in error["known_voices"]

    openai = httpx.post(
        f"{server.url}/v1/audio/speech", json={"model": "tts-1", "voice": voice, "input": "你好。"}
    )
    assert openai.status_code == 400 and openai.json()["error"]["param"] == "voice"
    assert words in openai.json()["error"]["message"]

    job = httpx.post(f"{server.url}/v1/jobs", json={"texts": ["你好。"], "voice": voice})
    assert job.status_code == 422 and job.json()["error"]["param"] == "voice"
    assert words in job.json()["error"]["message"]

    with connect(f"{server.ws_url}/v1/tts/stream", open_timeout=10) as ws:
        send(ws, type="synthesize", request_id="bad", text="你好。", voice=voice)
        answer: dict[str, Any] = end_of(ws, "bad")
        assert answer["code"] == "invalid_voice_mix" and words in answer["message"]


# -- configuration -------------------------------------------------------------------------
def mix_settings(**engine: Any) -> Settings:
    return Settings.model_validate({"engine": {"preload": [], **engine}})


def test_a_configured_default_voice_may_be_a_mix_named_or_written() -> None:
    mixes = {WARM: "zh-kokoro-kumo*0.7+zh-kokoro-alpha*0.3"}
    engine = build_engine(
        mix_settings(mixes=mixes, default_voice={"zh": WARM, "en": "en-kokoro-kumo+en-kokoro-alpha"})
    )
    assert engine.default_voice("今天开会。") == WARM
    assert engine.registry.info(engine.default_voice("The meeting is today.")).backend == "kokoro"


def test_a_bad_mix_in_the_config_stops_start_up() -> None:
    with pytest.raises(ValueError, match=r"engine\.mixes\.odd: voice mix .*must be above 0"):
        mix_settings(mixes={"odd": "zh-kokoro-kumo*0"})
    with pytest.raises(ValueError, match="cannot name a voice"):
        mix_settings(mixes={"a+b": "zh-kokoro-kumo"})
    with pytest.raises(VoiceMixError, match="different models"):
        build_engine(mix_settings(mixes={"odd": "zh-kokoro-kumo+en-piper-joe"}))
    with pytest.raises(VoiceMixError, match="unknown voice"):
        build_engine(mix_settings(default_voice={"zh": "zh-kokoro-kumo+zh-kokoro-nobody"}))


def test_config_errors_are_config_errors_for_the_commands() -> None:
    from integrator.config import validate_settings

    with pytest.raises(ConfigError, match=r"engine\.mixes\.odd"):
        validate_settings({"engine": {"mixes": {"odd": "x*-1"}}})


# -- the CLI -------------------------------------------------------------------------------
def cli_config(tmp_path: Path) -> Path:
    path = tmp_path / "voxflow.yaml"
    mixes = {WARM: "zh-kokoro-kumo*0.7+zh-kokoro-alpha*0.3"}
    path.write_text(yaml.safe_dump({"data_dir": str(tmp_path), "engine": {"mixes": mixes, "preload": []}}))
    return path


def test_voxflow_voices_lists_the_named_mixes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "250")  # rich's table width: room for the mix
    result = CliRunner().invoke(
        cli_app([]), ["voices", "--config", str(cli_config(tmp_path))], terminal_width=250
    )
    assert result.exit_code == 0, result.output
    [row] = [line for line in result.output.splitlines() if WARM in line]
    assert "zh-kokoro-kumo*0.7+zh-kokoro-alpha*0.3" in row and "24000" in row


def test_voxflow_say_refuses_a_mix_that_cannot_be_made_with_exit_2(tmp_path: Path) -> None:
    out = tmp_path / "x.wav"
    args = [
        "say",
        "你好。",
        "--voice",
        "zh-kokoro-kumo+en-piper-joe",
        "-o",
        str(out),
        "--config",
        str(cli_config(tmp_path)),
    ]
    result = CliRunner().invoke(cli_app([]), args)
    assert result.exit_code == 2 and "voices of different models" in result.output
    assert not out.exists()


@pytest.mark.slow
def test_voxflow_say_speaks_a_kokoro_mix(tmp_path: Path) -> None:
    ok, why = catalog.available("zh-kokoro-kumo")
    if not ok:
        pytest.skip(why)
    out = tmp_path / "mix.wav"
    args = ["say", "混合。", "--voice", "zh-kokoro-kumo(1)+zh-kokoro-alpha(1)", "-o", str(out)]
    result = CliRunner().invoke(cli_app([]), [*args, "--config", str(cli_config(tmp_path))])
    assert result.exit_code == 0, result.output
    assert "voice zh-kokoro-kumo(1)+zh-kokoro-alpha(1)" in " ".join(result.output.split())
    samples, rate = decode(out.read_bytes())
    assert rate == 24000 and len(samples) > 0.3 * rate
