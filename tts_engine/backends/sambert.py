"""ModelScope Sambert-HifiGan (damo/speech_sambert-hifigan_tts_zh-cn_16k) from a local model folder.

It cannot run on a stock Voxflow machine: ModelScope's TTS model needs Python
≤ 3.10, KAN-TTS (PyPI's ``kantts`` 0.1.0 is an empty placeholder), ttsfrd,
torch, and weights that only the ModelScope hub serves. The adapter is real
and tested with a stand-in pipeline; :func:`missing_requirements` says what a
machine lacks.
"""

from __future__ import annotations

import importlib.util
import io
import json
import os
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from ..backend import Backend
from ..errors import TTSError, VoiceUnavailableError
from ..text.piece import Piece
from ..types import VoiceInfo
from .common import check_language, finish

MODEL_ID = "damo/speech_sambert-hifigan_tts_zh-cn_16k"
SAMPLE_RATE = 16000
SPEAKERS = ("zhitian_emo", "zhiyan_emo", "zhizhe_emo", "zhibei_emo")
DEFAULT_SPEAKER = "zhitian_emo"
ENV_MODEL_DIR = "VOXFLOW_SAMBERT_DIR"
OUTPUT_WAV = "output_wav"  # the value of modelscope.outputs.OutputKeys.OUTPUT_WAV
MODEL_FILES = ("configuration.json", "voices/voices.json")
NEWEST_PYTHON = (3, 10)  # ModelScope's TTS model refuses anything newer

#: A text-to-speech pipeline: ``pipe(input=text, voice=speaker)`` → ``{OUTPUT_WAV: wav bytes}``.
Pipeline = Callable[..., Mapping[str, Any]]
PipelineFactory = Callable[[Path], Pipeline]


def voice_info(speaker: str = DEFAULT_SPEAKER) -> VoiceInfo:
    return VoiceInfo(
        id=f"zh-sambert-{speaker}",
        name=f"{speaker} (Sambert-HifiGan, Mandarin)",
        languages=("zh",),
        sample_rate=SAMPLE_RATE,
        backend="sambert",
        licence="Apache-2.0 (model: ModelScope licence)",
        speaker=speaker,
        description=f"ModelScope {MODEL_ID}; needs Python <= 3.10, KAN-TTS and local weights.",
    )


def model_dir_from(options: Mapping[str, Any]) -> Path | None:
    """The configured model folder: option ``model_dir``, else $VOXFLOW_SAMBERT_DIR."""
    where = options.get("model_dir") or os.environ.get(ENV_MODEL_DIR)
    return Path(where).expanduser() if where else None


def missing_model_files(model_dir: Path | None, speaker: str = DEFAULT_SPEAKER) -> list[str]:
    if model_dir is None:
        return [f"a model folder: set voices.sambert.model_dir or ${ENV_MODEL_DIR}"]
    if not model_dir.is_dir():
        return [f"the model folder {model_dir} (it does not exist)"]
    missing = [f"{model_dir / name}" for name in MODEL_FILES if not (model_dir / name).is_file()]
    if not (model_dir / "resource.zip").is_file() and not (model_dir / "resource").is_dir():
        missing.append(f"{model_dir / 'resource.zip'} (or an unpacked resource/)")
    if not (model_dir / "voices" / speaker).is_dir():
        missing.append(f"{model_dir / 'voices' / speaker} (the speaker's am/ and voc/ checkpoints)")
    return missing


def _importable(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):  # a parent package is missing or broken
        return False


def missing_requirements(model_dir: Path | None, speaker: str = DEFAULT_SPEAKER) -> list[str]:
    """Everything this machine lacks to run Sambert, each as a readable item; empty when ready."""
    missing = []
    if sys.version_info[:2] > NEWEST_PYTHON:
        missing.append(f"Python <= 3.10 (this is {sys.version_info.major}.{sys.version_info.minor})")
    if not _importable("kantts.models"):  # the PyPI placeholder has no kantts.models
        missing.append("KAN-TTS with a real implementation (PyPI's kantts 0.1.0 is an empty placeholder)")
    missing += [f"the {name} package" for name in ("modelscope", "torch", "ttsfrd") if not _importable(name)]
    return missing + missing_model_files(model_dir, speaker)


def unavailable_message(missing: list[str]) -> str:
    return (
        f"Sambert-HifiGan cannot load; missing: {'; '.join(missing)}. Hub downloads are disabled: "
        f"fetch the weights of ModelScope model {MODEL_ID} on a machine with access and point "
        f"voices.sambert.model_dir (or ${ENV_MODEL_DIR}) at that folder."
    )


def modelscope_pipeline(model_dir: Path) -> Pipeline:
    from modelscope.pipelines import pipeline
    from modelscope.utils.constant import Tasks

    pipe: Pipeline = pipeline(task=Tasks.text_to_speech, model=str(model_dir))
    return pipe


class SambertBackend(Backend):
    native_speed = False  # the model has no pace control: the engine time-stretches

    def __init__(
        self,
        speaker: str = DEFAULT_SPEAKER,
        model_dir: str | Path | None = None,
        pipeline_factory: PipelineFactory | None = None,
    ) -> None:
        super().__init__()
        self.info = voice_info(speaker)
        self.speaker = speaker
        self.model_dir = Path(model_dir).expanduser() if model_dir else model_dir_from({})
        self._factory = pipeline_factory
        self._pipe: Pipeline | None = None

    def load(self) -> None:
        # An injected factory stands in for modelscope, so only the model folder is checked then.
        if self._factory is None:
            missing = missing_requirements(self.model_dir, self.speaker)
        else:
            missing = missing_model_files(self.model_dir, self.speaker)
        if missing:
            raise VoiceUnavailableError(unavailable_message(missing))
        assert self.model_dir is not None
        voices = json.loads((self.model_dir / "voices" / "voices.json").read_text(encoding="utf-8"))
        if self.speaker not in voices.get("voices", []):
            raise VoiceUnavailableError(
                f"speaker {self.speaker!r} is not in {self.model_dir / 'voices' / 'voices.json'}"
            )
        factory = self._factory or modelscope_pipeline
        try:
            self._pipe = factory(self.model_dir)
        except Exception as exc:  # modelscope raises many kinds; the caller needs one
            raise VoiceUnavailableError(f"Sambert-HifiGan failed to load ({self.model_dir}): {exc}") from exc

    def synthesize(self, piece: Piece, speed: float = 1.0) -> np.ndarray:
        check_language(self.info, piece)
        assert self._pipe is not None, "load() first"
        try:
            output = self._pipe(input=piece.text, voice=self.speaker)
            wav = output[OUTPUT_WAV]
        except Exception as exc:
            raise TTSError(f"Sambert-HifiGan failed on this text: {exc}") from exc
        return decode_wav(wav, self.info.sample_rate)


def decode_wav(wav: bytes, sample_rate: int) -> np.ndarray:
    """WAV bytes → mono float32 at ``sample_rate``."""
    import soundfile

    try:
        audio, rate = soundfile.read(io.BytesIO(wav), dtype="float32", always_2d=True)
    except (RuntimeError, TypeError) as exc:  # LibsndfileError is a RuntimeError
        raise TTSError(f"Sambert-HifiGan returned audio that is not a WAV file: {exc}") from exc
    mono = audio.mean(axis=1)
    if rate != sample_rate:
        import soxr

        mono = soxr.resample(mono, rate, sample_rate)
    return finish(mono)
