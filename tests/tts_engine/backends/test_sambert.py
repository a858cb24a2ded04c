"""The Sambert adapter against a stand-in ModelScope pipeline, and its refusal to load without one."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest
import soundfile

from tts_engine.backends import sambert
from tts_engine.backends.catalog import available, builtin_backends
from tts_engine.backends.sambert import MODEL_ID, OUTPUT_WAV, SambertBackend
from tts_engine.errors import TTSError, UnsupportedLanguageError, VoiceUnavailableError
from tts_engine.text.piece import Piece


def wav_bytes(samples: np.ndarray, rate: int) -> bytes:
    buf = io.BytesIO()
    soundfile.write(buf, samples, rate, format="WAV", subtype="PCM_16")
    return buf.getvalue()


def tone(rate: int, seconds: float = 0.5) -> np.ndarray:
    t = np.arange(int(rate * seconds)) / rate
    return (0.5 * np.sin(2 * np.pi * 220 * t)).astype(np.float32)


class StandInPipeline:
    """Behaves like ``pipeline(Tasks.text_to_speech, model=dir)``: text in, WAV bytes out."""

    def __init__(self, output: Any = None, error: Exception | None = None) -> None:
        self.calls: list[dict[str, Any]] = []
        self.output = {OUTPUT_WAV: wav_bytes(tone(16000), 16000)} if output is None else output
        self.error = error

    def __call__(self, **kwargs: Any) -> Any:
        self.calls.append(kwargs)
        if self.error:
            raise self.error
        return self.output


@pytest.fixture
def model_dir(tmp_path: Path) -> Path:
    """The layout of a downloaded damo/speech_sambert-hifigan_tts_zh-cn_16k folder."""
    (tmp_path / "configuration.json").write_text('{"task": "text-to-speech"}')
    (tmp_path / "voices").mkdir()
    (tmp_path / "voices" / "voices.json").write_text(json.dumps({"voices": list(sambert.SPEAKERS)}))
    for speaker in sambert.SPEAKERS:
        (tmp_path / "voices" / speaker).mkdir()
    with zipfile.ZipFile(tmp_path / "resource.zip", "w") as z:
        z.writestr("resource/readme.txt", "frontend resources")
    return tmp_path


def make(
    model_dir: Path, pipe: StandInPipeline, speaker: str = "zhitian_emo"
) -> tuple[SambertBackend, list[Path]]:
    built: list[Path] = []

    def factory(where: Path) -> StandInPipeline:
        built.append(where)
        return pipe

    backend = SambertBackend(speaker, model_dir=model_dir, pipeline_factory=factory)
    backend.ensure_loaded()
    return backend, built


def test_text_goes_in_and_samples_come_out(model_dir: Path) -> None:
    pipe = StandInPipeline()
    backend, built = make(model_dir, pipe, "zhizhe_emo")
    audio = backend.synthesize(Piece("今天天气很好。", "zh"))
    assert built == [model_dir]
    assert pipe.calls == [{"input": "今天天气很好。", "voice": "zhizhe_emo"}]
    assert audio.dtype == np.float32 and audio.shape == (8000,)
    np.testing.assert_allclose(audio, tone(16000), atol=1 / 16384)
    assert backend.info.id == "zh-sambert-zhizhe_emo" and backend.info.sample_rate == 16000
    assert not backend.native_speed  # the engine stretches time for it


def test_other_rates_and_stereo_are_converted(model_dir: Path) -> None:
    stereo = np.stack([tone(24000), tone(24000)], axis=1)
    backend, _ = make(model_dir, StandInPipeline({OUTPUT_WAV: wav_bytes(stereo, 24000)}))
    audio = backend.synthesize(Piece("你好", "zh"))
    assert audio.ndim == 1 and abs(len(audio) - 8000) <= 2


@pytest.mark.parametrize(
    "pipe",
    [
        StandInPipeline(error=RuntimeError("frontend crashed")),
        StandInPipeline(output={"something_else": b""}),
        StandInPipeline(output={OUTPUT_WAV: b"not a wav file"}),
    ],
)
def test_pipeline_failures_become_tts_errors(model_dir: Path, pipe: StandInPipeline) -> None:
    backend, _ = make(model_dir, pipe)
    with pytest.raises(TTSError, match="Sambert"):
        backend.synthesize(Piece("你好", "zh"))


def test_a_factory_that_fails_makes_the_voice_unavailable(model_dir: Path) -> None:
    def factory(where: Path) -> StandInPipeline:
        raise OSError("checkpoint truncated")

    with pytest.raises(VoiceUnavailableError, match="checkpoint truncated"):
        SambertBackend(model_dir=model_dir, pipeline_factory=factory).ensure_loaded()


def test_a_speaker_the_model_lacks_is_refused_at_load(model_dir: Path) -> None:
    (model_dir / "voices" / "voices.json").write_text(json.dumps({"voices": ["zhiyan_emo"]}))
    with pytest.raises(VoiceUnavailableError, match="zhitian_emo"):
        make(model_dir, StandInPipeline())


def test_english_is_refused(model_dir: Path) -> None:
    backend, _ = make(model_dir, StandInPipeline())
    with pytest.raises(UnsupportedLanguageError):
        backend.synthesize(Piece("hello", "en"))


def test_without_requirements_the_error_lists_each_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(sambert.ENV_MODEL_DIR, raising=False)
    monkeypatch.setattr(sambert, "_importable", lambda name: False)
    with pytest.raises(VoiceUnavailableError) as caught:
        SambertBackend().ensure_loaded()
    message = str(caught.value)
    for need in (
        "Python <= 3.10",
        "KAN-TTS",
        "modelscope",
        "torch",
        "ttsfrd",
        "model folder",
        sambert.ENV_MODEL_DIR,
    ):
        assert need in message
    assert MODEL_ID in message and "disabled" in message


def test_this_machine_lacks_at_least_python_and_kantts(model_dir: Path) -> None:
    missing = " ".join(sambert.missing_requirements(model_dir))
    assert "Python <= 3.10" in missing and "KAN-TTS" in missing
    assert str(model_dir) not in missing  # the folder itself is complete


def test_nothing_is_missing_on_a_machine_that_has_it_all(
    monkeypatch: pytest.MonkeyPatch, model_dir: Path
) -> None:
    monkeypatch.setattr(sambert, "_importable", lambda name: True)
    monkeypatch.setattr(sambert, "sys", SimpleNamespace(version_info=(3, 10, 14)))
    assert sambert.missing_requirements(model_dir) == []


def test_an_incomplete_model_folder_names_the_missing_files(model_dir: Path) -> None:
    (model_dir / "configuration.json").unlink()
    (model_dir / "resource.zip").unlink()
    missing = sambert.missing_model_files(model_dir)
    assert len(missing) == 2
    assert "configuration.json" in missing[0] and "resource.zip" in missing[1]
    assert sambert.missing_model_files(model_dir / "absent")[0].endswith("(it does not exist)")
    assert sambert.missing_model_files(model_dir, "nobody")[-1].startswith(
        str(model_dir / "voices" / "nobody")
    )


def test_the_catalog_passes_the_configured_model_folder(model_dir: Path) -> None:
    config = {"voices": {"sambert": {"model_dir": str(model_dir)}}}
    backend = builtin_backends(config)["zh-sambert-zhiyan_emo"]()
    assert isinstance(backend, SambertBackend)
    assert backend.model_dir == model_dir and backend.speaker == "zhiyan_emo"
    ok, why = available("zh-sambert-zhiyan_emo", config)
    assert not ok and str(model_dir) not in why  # the folder is fine; the packages are what is missing
