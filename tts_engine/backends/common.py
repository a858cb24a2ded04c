"""Helpers the built-in backends share: language checks, onnxruntime devices, silence trimming."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from ..errors import UnsupportedLanguageError, VoiceUnavailableError
from ..text.piece import Piece
from ..types import VoiceInfo

DEVICES = ("auto", "cpu", "cuda")


def check_language(info: VoiceInfo, piece: Piece) -> None:
    if piece.lang not in info.languages:
        raise UnsupportedLanguageError(
            f"voice {info.id} speaks {', '.join(info.languages)}, not {piece.lang!r}"
        )


def use_cuda(device: str) -> bool:
    """Whether onnxruntime should run on CUDA for ``device`` ("auto", "cpu" or "cuda")."""
    if device not in DEVICES:
        raise VoiceUnavailableError(f"device must be one of {', '.join(DEVICES)}, not {device!r}")
    if device == "cpu":
        return False
    import onnxruntime

    has_cuda = "CUDAExecutionProvider" in onnxruntime.get_available_providers()
    if device == "cuda" and not has_cuda:
        raise VoiceUnavailableError(
            "device 'cuda' was asked for but onnxruntime has no CUDAExecutionProvider "
            "(install onnxruntime-gpu with a matching CUDA runtime, or use device 'auto')"
        )
    return has_cuda


def onnx_providers(device: str) -> list[str]:
    return ["CUDAExecutionProvider", "CPUExecutionProvider"] if use_cuda(device) else ["CPUExecutionProvider"]


def trim_silence(
    audio: np.ndarray, sample_rate: int, threshold: float = 0.01, keep_s: float = 0.04
) -> np.ndarray:
    """Cut leading and trailing near-silence, keeping ``keep_s`` of it on each side.

    Models pad their output with up to half a second of silence; the engine adds
    the pauses it wants itself, so only a short natural onset and decay stay.
    """
    loud = np.flatnonzero(np.abs(audio) > threshold)
    if loud.size == 0:
        return audio
    keep = int(keep_s * sample_rate)
    return audio[max(0, loud[0] - keep) : loud[-1] + 1 + keep]


def finish(audio: np.ndarray) -> np.ndarray:
    """Mono float32 within [-1, 1]: some models overshoot full scale by a few per cent."""
    out = np.asarray(audio, dtype=np.float32).reshape(-1)
    return np.clip(np.nan_to_num(out), -1.0, 1.0)


def voice_options(config: Mapping[str, Any] | None, backend: str, voice_id: str) -> dict[str, Any]:
    """A voice's settings: ``config["voices"][backend]`` overlaid by ``config["voices"][voice_id]``."""
    voices = (config or {}).get("voices") or {}
    return {**(voices.get(backend) or {}), **(voices.get(voice_id) or {})}
